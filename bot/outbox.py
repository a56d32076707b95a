"""The outbox: Slack calls written in the same transaction as the change they report,
delivered by a sender that survives Slack being down.

- Rows of one `ordering_key` go out strictly in id order (a card before its thread lines and edits); a
  report's DMs have keys of their own, so the people paged never wait for the paced safety channel.
- A post records its `ts` under `message_key`; later rows `target_key` it: a
  `chat.update` edits that message in place, a thread reply goes under it.
- 429 → the whole channel waits `Retry-After` (bot.outbox_pacing); 5xx, timeouts and network errors →
  Slack is away: one probe at a time, at most a second apart, then the rest at each channel's pace;
  a Slack `ok: false` that retrying cannot fix → `failed` (logged, kept for audit).
- Claims (bot.outbox_claims) use `FOR UPDATE SKIP LOCKED` on PostgreSQL and a lease, so several
  processes share the work and a crashed sender's rows are picked up again.
- Posts to one channel are paced with a token bucket (Slack allows about one message per second per
  channel and promises no burst); edits share one bucket for the workspace (Tier 3), so that in a burst
  a newer edit supersedes a waiting one.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import socket
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import bindparam, select
from sqlalchemy.engine import Engine

from bot import outbox_claims as claims
from bot.limits import ERROR_TEXT_KEPT
from bot.outbox_files import UPLOAD, upload, uploaded_files
from bot.outbox_history import HISTORY_PAGES, METADATA_TYPE, find_posted  # noqa: F401 - re-exported
from bot.outbox_pacing import (  # noqa: F401 - re-exported
    BULK,
    POSTS,
    ROUTINE,
    URGENT,
    ChannelPacer,
    Outage,
    _pace_bucket,
    block_key,
)
from bot.worker import Worker
from storage.db import buffer_insert, insert_or_ignore, read_scope, session_scope
from storage.models import OutboxMessage, SlackFile, SlackMessage

log = logging.getLogger("safeshift.outbox")

RETRYABLE_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
                    "team_added_to_org"}
# Priorities (URGENT, ROUTINE, BULK): the sender takes due rows in this order (rows of one ordering_key still go
# in id order); pacing (ChannelPacer) lives in bot.outbox_pacing.
POSTED_CACHE = 10_000  # remembered message locations (a few hundred bytes each)
# What a round settled is written in one transaction at its end; a slow round (Slack answering slowly)
# still writes at least this often, well inside the claim's lease. Not policy: it only bounds how long
# the database lags behind what this sender knows.
SETTLE_AT_LEAST_EVERY = 1.0  # seconds
# A `chat.update` payload's key (taken out before the call): the edit replaces its own message only; when that message
# was never posted (its post failed for good) it is dropped, where a card's update would become the card's first post.
REPLACE_ONLY = "safeshift_replace_only"
RETRY_AT_MOST = 300.0  # seconds: one row's own back-off (Slack away as a whole is the probe's business)


def _surely_not_sent(exc: Exception) -> bool:
    """True when the request cannot have reached Slack (refused connection, name lookup)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (ConnectionRefusedError, socket.gaierror)):
            return True
        exc = getattr(exc, "reason", None) or exc.__cause__ or exc.__context__
    return False


def enqueue(session, now: dt.datetime, method: str, payload: dict, *, ordering_key: str,
            message_key: str | None = None, target_key: str | None = None, dedupe_key: str | None = None,
            report_id: int | None = None, expires_in: dt.timedelta | None = None, priority: int = ROUTINE) -> None:
    """Queue one Slack call in the caller's transaction; written at its commit, in call order.

    `priority`: URGENT (cards and notices of urgent levels, escalations, answers to a person),
    ROUTINE, or BULK (digests, the Home tab): due rows go out in that order.
    """
    buffer_insert(session, OutboxMessage.__table__, dict(
        created_at=now, method=method, payload=payload, ordering_key=ordering_key, message_key=message_key, priority=priority,
        target_key=target_key, dedupe_key=dedupe_key, next_attempt_at=now, report_id=report_id,
        expires_at=(now + expires_in) if expires_in else None, status="pending", attempts=0, last_error="",
        lease_until=None, sent_at=None, uncertain=False,
    ))


class _Settled:
    """What the sender settled since its last write: row updates and the messages it posted."""

    def __init__(self) -> None:
        self.updates: list[tuple[int, dict]] = []
        self.messages: list[dict] = []
        self.files: list[dict] = []  # the ids of files uploaded under a key (bot/outbox_files.py)
        self.since = time.monotonic()

    def __bool__(self) -> bool:
        return bool(self.updates or self.messages or self.files)


class Sender(Worker):
    name = "sender"

    def __init__(self, engine: Engine, client: WebClient, clock, *, max_attempts: int = 50,
                 channel_interval: float = 1.0, batch: int = 100, gate=None):
        super().__init__(clock, gate)
        self.engine = engine
        self.client = client
        self.max_attempts = max_attempts
        self.batch = batch
        self.pacer = ChannelPacer(interval=channel_interval)
        self.outage = Outage()  # Slack as a whole not answering: probes only
        self.rounds = 0  # claim rounds so far: a test of "never spins" counts them
        self._posted: dict[str, tuple[str, str]] = {}  # message_key -> (channel, ts)
        self._settled = _Settled()  # written by _write_settled, one transaction per round
        self._early_probe = False  # the row probing Slack was not due yet: a failure is not its attempt
        self._answered = False  # the last call got an answer from Slack (whatever it said)
        self._failed_first: int | None = None  # the row whose failure began the outage
        # A claim outlives the slowest possible call, so a live sender never loses its row.
        self.lease = dt.timedelta(seconds=2 * float(getattr(client, "timeout", 10) or 10) + 5)

    # -- claiming -------------------------------------------------------------------------
    _blocked = staticmethod(claims.blocked)

    def _claim(self) -> list[list[OutboxMessage]]:
        """Claim due rows in one transaction (bot.outbox_claims.claim), grouped by ordering_key."""
        self.rounds += 1
        return claims.claim(self.engine, self.clock.now(), self.batch, self.lease)

    # -- delivering -----------------------------------------------------------------------
    def run_once(self) -> int:
        """Deliver what is due now. Returns how many rows were handled (sent, failed or rescheduled).

        What a round settles (sent, failed, rescheduled, given back) is written in one transaction at its end:
        one write per round of up to `batch` ordering keys instead of one per row or report, so a request
        answered meanwhile seldom waits for the sender's writes. The rows stay claimed (`sending`, under
        their lease) until then. While Slack is away (`Outage`) a round is one probe, when it is time.
        """
        if self.outage.active:
            return self._probe() if self.clock.now() >= self.outage.probe_at else 0
        done = 0
        queued: dict[str, int] = {}  # bucket -> rows of it told to wait this round: each is given the next slot
        groups = self._claim()
        try:
            for g, group in enumerate(groups):
                for i, row in enumerate(group):
                    done += 1
                    if self.gate is not None:  # a request being answered goes first (briefly)
                        self.gate.wait_idle()
                    if not self._deliver(row, queued):  # rescheduled: the rows behind it must wait for it
                        self._release(group[i + 1:])
                        break
                    if time.monotonic() - self._settled.since > SETTLE_AT_LEAST_EVERY:
                        self._write_settled()
                if self.outage.active:  # Slack is away: what is left of the round goes back untried
                    for rest in groups[g + 1:]:
                        self._release(rest)
                    break
        finally:
            self._write_settled()
        return done

    def _probe(self) -> int:
        """Slack was away: try one row. Answered (whatever Slack said) → the outage is over and every row waiting
        for its own back-off is due again; the pacer spaces them per channel."""
        self.rounds += 1
        now = self.clock.now()
        # The row that began the outage probes first (most often Slack was away a moment); when it fails again,
        # the next probe is another row: if that one goes through, the first was refused for itself.
        first = self._failed_first if self.outage.failures == 2 else None
        got = claims.claim_probe(self.engine, now, self.lease, first)
        if got is None:  # nothing left to send
            self.outage.recovered()
            return 0
        row, due = got
        self._early_probe, self._answered = not due, False
        try:
            self._deliver(row, {})
        finally:
            self._early_probe = False
            self._write_settled()
        if self._answered:
            log.info("Slack answers again: releasing the queue")
            self.outage.recovered()
            claims.release_waiting(self.engine, self.clock.now(), keep=first if first != row.id else None)
        elif self.outage.probe_at is not None and self.outage.probe_at <= now:  # no call made (paced, expired)
            self.outage.probe_at = now + dt.timedelta(seconds=0.1)
        return 1

    def _release(self, rows: list[OutboxMessage]) -> None:
        """Give back claimed rows untried (their attempt does not count)."""
        for row in rows:
            self._finish(row.id, status="pending", lease_until=None, attempts=row.attempts - 1)

    def _finish(self, row_id: int, **values) -> None:
        self._settled.updates.append((row_id, values))

    def _write_settled(self) -> None:
        """Write what was settled in one transaction (one executemany per shape of update)."""
        if not self._settled:
            return
        if self.gate is not None:  # a request being answered goes first (briefly): the rows stay claimed meanwhile
            self.gate.wait_idle()
        settled, self._settled = self._settled, _Settled()
        table = OutboxMessage.__table__
        shapes: dict[tuple, list[dict]] = {}
        for row_id, values in settled.updates:
            shapes.setdefault(tuple(sorted(values)), []).append({"b_id": row_id, **{f"b_{k}": v for k, v in values.items()}})
        with session_scope(self.engine) as s:
            conn = s.connection()
            for shape, params in shapes.items():
                conn.execute(table.update().where(table.c.id == bindparam("b_id"))
                             .values({k: bindparam(f"b_{k}") for k in shape}), params)
            for message in settled.messages:
                if not insert_or_ignore(conn, SlackMessage.__table__, message):
                    self._posted.pop(message["key"], None)  # it was posted before: what the database has counts
            for uploaded in settled.files:
                insert_or_ignore(conn, SlackFile.__table__, uploaded)

    def _superseded(self, row: OutboxMessage) -> bool:
        with read_scope(self.engine) as s:
            return s.execute(select(OutboxMessage.id).where(
                OutboxMessage.target_key == row.target_key, OutboxMessage.method == "chat.update",
                OutboxMessage.id > row.id, OutboxMessage.status.in_(("pending", "sending"))).limit(1)).first() is not None

    def _where(self, key: str) -> tuple[str, str] | None:
        """(channel, ts) of a posted message. Posted messages never move, so they are remembered."""
        found = self._posted.get(key)
        if found is None:
            with read_scope(self.engine) as s:
                msg = s.get(SlackMessage, key)
            if msg is None:
                return None
            found = (msg.channel, msg.ts)
            self._remember(key, found)
        return found

    def _remember(self, key: str, where: tuple[str, str]) -> None:
        if len(self._posted) >= POSTED_CACHE:
            self._posted.clear()
        self._posted[key] = where

    def _resolve_target(self, row: OutboxMessage) -> tuple[str | None, dict]:
        """The call to make: channel/ts/thread_ts filled from the target message, or a fallback without it."""
        method, payload = row.method, dict(row.payload)
        replace_only = payload.pop(REPLACE_ONLY, False)
        if not row.target_key:
            return method, payload
        target = self._where(row.target_key)
        if target is None:
            # The message it refers to was never posted (its post failed for good):
            # a card update becomes the card's first post (unless it may only replace); a reply goes to the channel.
            if method == "chat.update" and replace_only:
                return None, payload
            if method == "chat.update":
                payload.pop("ts", None)
                return "chat.postMessage", payload
            payload.pop("thread_ts", None)
            return method, payload
        channel, ts = target
        if method == "chat.update":
            payload["channel"], payload["ts"] = channel, ts
        else:
            payload["thread_ts"] = ts
            payload.setdefault("channel", channel)
        return method, payload

    def _pace(self, row: OutboxMessage, method: str, channel: str, now: dt.datetime, queued: dict) -> bool:
        """True when the row may go now; else it is rescheduled for its channel's next free slot (the n-th row
        of a channel told to wait in this round gets the n-th slot, so they are not all claimed again at once)."""
        bucket = _pace_bucket(method, channel) or block_key(method, channel)
        wait = self.pacer.wait_for(bucket, now.timestamp(), row.priority)
        if wait <= 0:
            return True
        ahead = queued.get(bucket, 0)
        queued[bucket] = ahead + 1
        wait += ahead * max(self.pacer.interval, 0.0)
        self._finish(row.id, status="pending", attempts=row.attempts - 1, lease_until=None,
                     next_attempt_at=now + dt.timedelta(seconds=wait))
        return False

    def _deliver(self, row: OutboxMessage, queued: dict) -> bool:
        """Deliver one row. True: settled (sent, failed or skipped); False: rescheduled for later."""
        now = self.clock.now()
        if row.expires_at and row.expires_at < now:
            self._finish(row.id, status="failed", last_error="expired before delivery", lease_until=None)
            return True
        if row.method == "chat.update" and row.target_key and self._superseded(row):
            self._finish(row.id, status="superseded", lease_until=None)  # a newer version of it is queued
            return True
        method, payload = self._resolve_target(row)
        if method is None:  # an edit only of its own message, which was never posted (REPLACE_ONLY)
            self._finish(row.id, status="failed", last_error="its message was never posted", lease_until=None)
            return True
        channel = payload.get("channel", "")
        if not self._pace(row, method, channel, now, queued):
            return False
        if method in POSTS:
            payload["metadata"] = {"event_type": METADATA_TYPE, "event_payload": {"outbox_id": row.id}}
            if row.uncertain:
                found = find_posted(self.client, row, payload)
                if found is not None:
                    log.info("outbox row %s was already posted (%s); not posting again", row.id, found.get("ts"))
                    self._mark_sent(row, method, found, channel)
                    return True
        try:
            response = upload(self.client, payload) if method == UPLOAD else self.client.api_call(method, json=payload)
        except SlackApiError as exc:
            return self._failed_call(row, exc, method, channel)
        except Exception as exc:  # noqa: BLE001 - network errors, timeouts: Slack is away
            # the exception's type only: its text may quote the request (user text) back
            return self._retry_later(row, type(exc).__name__, None, uncertain=not _surely_not_sent(exc), away=True)
        self._answered = True
        bucket = _pace_bucket(method, channel)
        if bucket:  # counted from the answer: Slack surely had the post by then
            self.pacer.take(bucket, self.clock.now().timestamp(), row.priority)
        self._mark_sent(row, method, response, channel)
        return True

    def _mark_sent(self, row: OutboxMessage, method: str, response, channel: str) -> None:
        """Settle a delivered row; its message's place is known at once here (rows behind it may target it)
        and written with the round (`_write_settled`)."""
        sent_at = self.clock.now()
        self._finish(row.id, status="sent", sent_at=sent_at, lease_until=None, last_error="")
        if method == UPLOAD:
            self._settled.files += uploaded_files(row.message_key, response, sent_at)
        # An update that had to become the first post of its message now is that message.
        key = (row.message_key or (row.target_key if row.method == "chat.update" else None)) \
            if method in POSTS else None
        if key and response.get("ts") and key not in self._posted:
            where = (response.get("channel") or channel, response["ts"])
            self._remember(key, where)
            self._settled.messages.append(dict(key=key, channel=where[0], ts=where[1], report_id=row.report_id,
                                               posted_at=sent_at))

    def _failed_call(self, row: OutboxMessage, exc: SlackApiError, method: str, channel: str) -> bool:
        resp = exc.response
        status = getattr(resp, "status_code", 200)
        # Slack's error code only (`channel_not_found`): the whole response would quote the message back
        error = (resp.get("error") if resp is not None and hasattr(resp, "get") else None) or type(exc).__name__
        if status == 429 or error == "ratelimited":
            self._answered = True
            try:
                retry_after = float(resp.headers.get("Retry-After") or resp.headers.get("retry-after") or 1)
            except (TypeError, ValueError, AttributeError):
                retry_after = 1.0
            # the whole channel waits (not only this row), and its next slot is this row's priority's
            now = self.clock.now().timestamp()
            bucket = block_key(method, channel)
            self.pacer.block(bucket, now + retry_after)
            self.pacer.wait_for(bucket, now, row.priority)
            return self._retry_later(row, f"429 rate limited ({error})", retry_after)
        if status >= 500 or error in RETRYABLE_ERRORS:
            return self._retry_later(row, f"{status} {error}", None, away=True)
        self._answered = True
        log.error("outbox row %s (%s) failed for good: %s", row.id, row.method, error)
        self._finish(row.id, status="failed", last_error=str(error)[:ERROR_TEXT_KEPT], lease_until=None)
        return True

    def _retry_later(self, row: OutboxMessage, error: str, delay: float | None, uncertain: bool = False,
                     away: bool = False) -> bool:
        """Reschedule with back-off (False), or give up after the last attempt (True: settled as failed).
        `away`: Slack did not answer (5xx, network): the sender probes before sending anything else."""
        now = self.clock.now()
        if away:
            if not self.outage.active:
                self._failed_first = row.id
            self.outage.failed(now)
            if self._early_probe:  # a probe before the row's own time: its back-off and attempts stay as they were
                self._finish(row.id, status="pending", last_error=error[:ERROR_TEXT_KEPT], lease_until=None,
                             uncertain=row.uncertain or uncertain, attempts=row.attempts - 1)
                return False
        if row.attempts >= self.max_attempts:
            log.error("outbox row %s gave up after %s attempts: %s", row.id, row.attempts, error)
            self._finish(row.id, status="failed", last_error=error[:ERROR_TEXT_KEPT], lease_until=None)
            return True
        if delay is None:
            delay = min(RETRY_AT_MOST, 0.5 * (2 ** (row.attempts - 1))) * random.uniform(0.8, 1.2)
        log.warning("outbox row %s retry in %.1fs: %s", row.id, delay, error)
        self._finish(row.id, status="pending", last_error=error[:ERROR_TEXT_KEPT], lease_until=None,
                     uncertain=row.uncertain or uncertain, next_attempt_at=now + dt.timedelta(seconds=delay))
        return False

    # -- the thread (bot.worker.Worker) ----------------------------------------------------
    def next_due(self):
        """The next moment there is work: the next probe while Slack is away, else the next claimable row."""
        if self.outage.active:
            return self.outage.probe_at
        return claims.next_due(self.engine)
