"""The outbox: Slack calls written in the same transaction as the change they report,
delivered by a sender that survives Slack being down.

- Rows of one `ordering_key` (one report) go out strictly in id order.
- A post records its `ts` under `message_key`; later rows `target_key` it: a
  `chat.update` edits that message in place, a thread reply goes under it.
- 429 → wait `Retry-After`; 5xx, timeouts and network errors → exponential back-off;
  a Slack `ok: false` that retrying cannot fix → `failed` (logged, kept for audit).
- Claims use `FOR UPDATE SKIP LOCKED` on PostgreSQL and a lease, so several
  processes share the work and a crashed sender's rows are picked up again.
- Posts to one channel are paced with a token bucket (Slack allows about one
  message per second per channel, with short bursts); edits share one bucket for the
  workspace (Tier 3), so that in a burst a newer edit supersedes a waiting one.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import socket
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import and_, bindparam, exists, or_, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased

from bot.limits import ERROR_TEXT_KEPT
from bot.outbox_files import UPLOAD, upload, uploaded_files
from bot.outbox_pacing import BULK, POSTS, ROUTINE, URGENT, ChannelPacer, _pace_bucket  # noqa: F401 - re-exported
from bot.worker import Worker
from storage.db import buffer_insert, insert_or_ignore, read_scope, session_scope
from storage.models import OutboxMessage, SlackFile, SlackMessage

log = logging.getLogger("safeshift.outbox")

METADATA_TYPE = "safeshift_outbox"  # every post carries its outbox id, so an uncertain one can be found
RETRYABLE_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout",
                    "team_added_to_org"}
# Priorities (URGENT, ROUTINE, BULK): the sender takes due rows in this order (rows of one ordering_key still go
# in id order); pacing (ChannelPacer) lives in bot.outbox_pacing.
HISTORY_PAGES = 20  # how far back an uncertain post is looked for (200 messages a page)
POSTED_CACHE = 10_000  # remembered message locations (a few hundred bytes each)
# A report's settled rows are written in one transaction when its group is done; a slow group (Slack
# answering slowly) still writes them at least this often, well inside the claim's lease. Not policy:
# it only bounds how long the database lags behind what this sender knows.
SETTLE_AT_LEAST_EVERY = 1.0  # seconds


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
                 channel_interval: float = 1.0, batch: int = 50, gate=None):
        super().__init__(clock, gate)
        self.engine = engine
        self.client = client
        self.max_attempts = max_attempts
        self.batch = batch
        self.pacer = ChannelPacer(interval=channel_interval)
        self.rounds = 0  # claim rounds so far: a test of "never spins" counts them
        self._posted: dict[str, tuple[str, str]] = {}  # message_key -> (channel, ts)
        self._settled = _Settled()  # written by _write_settled, one transaction per report's group
        # A claim outlives the slowest possible call, so a live sender never loses its row.
        self.lease = dt.timedelta(seconds=2 * float(getattr(client, "timeout", 10) or 10) + 5)

    # -- claiming -------------------------------------------------------------------------
    @staticmethod
    def _blocked():
        """A row waits while an earlier row of its ordering_key is still to be delivered."""
        earlier = aliased(OutboxMessage)
        return exists().where(
            and_(earlier.ordering_key == OutboxMessage.ordering_key, earlier.id < OutboxMessage.id,
                 earlier.status.in_(("pending", "sending")))
        )

    def _claim(self) -> list[list[OutboxMessage]]:
        """Claim due rows in one transaction: the first undelivered row of each report (most urgent first),
        with the due rows queued right behind it, so a report's card, thread lines and DMs cost one claim.
        Returns them grouped by ordering_key, each group in id order."""
        now = self.clock.now()
        self.rounds += 1
        claimable = or_(
            and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
            and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now),
        )
        with read_scope(self.engine) as s:  # nothing to claim (the usual answer after a round): no write transaction
            if s.execute(select(OutboxMessage.id).where(claimable, ~self._blocked()).limit(1)).first() is None:
                return []
        with session_scope(self.engine) as s:
            heads = s.execute(
                select(OutboxMessage).where(claimable, ~self._blocked())
                .order_by(OutboxMessage.priority, OutboxMessage.id)
                .limit(self.batch).with_for_update(skip_locked=True)
            ).scalars().all()
            if not heads:
                return []
            groups = {h.ordering_key: [h] for h in heads}
            first = min(h.id for h in heads)
            # The rows right behind each head, whatever their state: a run is cut at the first row that is not
            # due (a retry waiting, or a live claim), so no row overtakes an earlier one of its report. No SKIP
            # LOCKED here: nobody else can hold these rows while we hold their head.
            behind = s.execute(
                select(OutboxMessage).where(OutboxMessage.ordering_key.in_(list(groups)), OutboxMessage.id > first,
                                            OutboxMessage.status.in_(("pending", "sending")))
                .order_by(OutboxMessage.id).limit(self.batch * 4).with_for_update()
            ).scalars().all()
            cut: set[str] = set()
            for row in behind:
                group = groups[row.ordering_key]
                if row.ordering_key in cut or row.id <= group[0].id:
                    continue
                due = (row.next_attempt_at <= now) if row.status == "pending" else (row.lease_until < now)
                if not due:
                    cut.add(row.ordering_key)
                    continue
                group.append(row)
            for group in groups.values():
                for row in group:
                    if row.status == "sending":  # its sender died mid-call: Slack may have the message
                        row.uncertain = True
                    row.status = "sending"
                    row.lease_until = now + self.lease
                    row.attempts += 1
            s.flush()
            return list(groups.values())

    # -- delivering -----------------------------------------------------------------------
    def run_once(self) -> int:
        """Deliver what is due now. Returns how many rows were handled (sent, failed or rescheduled).

        What a group settles (sent, failed, rescheduled, given back) is written in one transaction when the
        group is done: one write per report instead of one per row, so a request answered meanwhile seldom
        waits for the sender's writes. The rows stay claimed (`sending`, under their lease) until then.
        """
        done = 0
        for group in self._claim():
            try:
                for i, row in enumerate(group):
                    done += 1
                    if self.gate is not None:  # a request being answered goes first (briefly)
                        self.gate.wait_idle()
                    if not self._deliver(row):  # rescheduled: the rows behind it must wait for it
                        self._release(group[i + 1:])
                        break
                    if time.monotonic() - self._settled.since > SETTLE_AT_LEAST_EVERY:
                        self._write_settled()
            finally:
                self._write_settled()
        return done

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

    def _resolve_target(self, row: OutboxMessage) -> tuple[str, dict]:
        """The call to make: channel/ts/thread_ts filled from the target message, or a fallback without it."""
        method, payload = row.method, dict(row.payload)
        if not row.target_key:
            return method, payload
        target = self._where(row.target_key)
        if target is None:
            # The message it refers to was never posted (its post failed for good):
            # a card update becomes the card's first post; a reply goes to the channel.
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

    def _deliver(self, row: OutboxMessage) -> bool:
        """Deliver one row. True: settled (sent, failed or skipped); False: rescheduled for later."""
        now = self.clock.now()
        if row.expires_at and row.expires_at < now:
            self._finish(row.id, status="failed", last_error="expired before delivery", lease_until=None)
            return True
        if row.method == "chat.update" and row.target_key and self._superseded(row):
            self._finish(row.id, status="superseded", lease_until=None)  # a newer version of it is queued
            return True
        method, payload = self._resolve_target(row)
        channel = payload.get("channel", "")
        bucket = _pace_bucket(method, channel)
        if bucket:
            wait = self.pacer.wait_for(bucket, now.timestamp(), row.priority)
            if wait > 0:
                self._finish(row.id, status="pending", attempts=row.attempts - 1, lease_until=None,
                             next_attempt_at=now + dt.timedelta(seconds=wait))
                return False
        if method in POSTS:
            payload["metadata"] = {"event_type": METADATA_TYPE, "event_payload": {"outbox_id": row.id}}
            if row.uncertain:
                found = self._find_posted(row, payload)
                if found is not None:
                    log.info("outbox row %s was already posted (%s); not posting again", row.id, found.get("ts"))
                    self._mark_sent(row, method, found, channel)
                    return True
        try:
            response = upload(self.client, payload) if method == UPLOAD else self.client.api_call(method, json=payload)
        except SlackApiError as exc:
            return self._failed_call(row, exc)
        except Exception as exc:  # noqa: BLE001 - network errors, timeouts: retry with back-off
            # the exception's type only: its text may quote the request (user text) back
            return self._retry_later(row, type(exc).__name__, None, uncertain=not _surely_not_sent(exc))
        if bucket:
            self.pacer.take(bucket, now.timestamp(), row.priority)
        self._mark_sent(row, method, response, channel)
        return True

    def _mark_sent(self, row: OutboxMessage, method: str, response, channel: str) -> None:
        """Settle a delivered row; its message's place is known at once here (rows behind it may target it)
        and written with the group (`_write_settled`)."""
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

    def _find_posted(self, row: OutboxMessage, payload: dict) -> dict | None:
        """Look for this row's message in the channel's recent history (by its metadata)."""
        channel = payload.get("channel", "")
        try:
            if channel[:1] in ("U", "W"):  # a DM: history wants the D… channel
                channel = self.client.conversations_open(users=channel)["channel"]["id"]
            oldest = f"{row.created_at.timestamp() - 60:.6f}"
            kwargs = dict(channel=channel, oldest=oldest, limit=200, include_all_metadata=True)
            cursor = None
            for _ in range(HISTORY_PAGES):  # a busy channel has more than one page since the row was made
                if cursor:
                    kwargs["cursor"] = cursor
                if payload.get("thread_ts"):
                    history = self.client.conversations_replies(ts=payload["thread_ts"], **kwargs)
                else:
                    history = self.client.conversations_history(**kwargs)
                for message in history.get("messages") or []:
                    meta = message.get("metadata") or {}
                    if meta.get("event_type") == METADATA_TYPE and \
                            (meta.get("event_payload") or {}).get("outbox_id") == row.id:
                        return {"ts": message.get("ts"), "channel": channel}
                cursor = ((history.get("response_metadata") or {}).get("next_cursor") or "").strip()
                if not cursor:
                    break
        except Exception as exc:  # noqa: BLE001 - cannot tell: posting again is the lesser evil
            log.warning("could not check whether outbox row %s was posted: %s", row.id, type(exc).__name__)
            return None
        return None

    def _failed_call(self, row: OutboxMessage, exc: SlackApiError) -> bool:
        resp = exc.response
        status = getattr(resp, "status_code", 200)
        # Slack's error code only (`channel_not_found`): the whole response would quote the message back
        error = (resp.get("error") if resp is not None and hasattr(resp, "get") else None) or type(exc).__name__
        if status == 429:
            retry_after = None
            try:
                retry_after = float(resp.headers.get("Retry-After") or resp.headers.get("retry-after") or 1)
            except (TypeError, ValueError, AttributeError):
                retry_after = 1.0
            return self._retry_later(row, f"429 rate limited ({error})", retry_after)
        if status >= 500 or error in RETRYABLE_ERRORS:
            return self._retry_later(row, f"{status} {error}", None)
        log.error("outbox row %s (%s) failed for good: %s", row.id, row.method, error)
        self._finish(row.id, status="failed", last_error=str(error)[:ERROR_TEXT_KEPT], lease_until=None)
        return True

    def _retry_later(self, row: OutboxMessage, error: str, delay: float | None, uncertain: bool = False) -> bool:
        """Reschedule with back-off (False), or give up after the last attempt (True: settled as failed)."""
        if row.attempts >= self.max_attempts:
            log.error("outbox row %s gave up after %s attempts: %s", row.id, row.attempts, error)
            self._finish(row.id, status="failed", last_error=error[:ERROR_TEXT_KEPT], lease_until=None)
            return True
        if delay is None:
            delay = min(300.0, 0.5 * (2 ** (row.attempts - 1))) * random.uniform(0.8, 1.2)
        log.warning("outbox row %s retry in %.1fs: %s", row.id, delay, error)
        self._finish(row.id, status="pending", last_error=error[:ERROR_TEXT_KEPT], lease_until=None,
                     uncertain=row.uncertain or uncertain,
                     next_attempt_at=self.clock.now() + dt.timedelta(seconds=delay))
        return False

    # -- the thread (bot.worker.Worker) ----------------------------------------------------
    def next_due(self):
        """The next moment a row can be claimed. Rows queued behind an earlier row of their report do not
        count (they wait for it, not for their own time): counting them made the loop spin while Slack
        was failing or a channel was paced."""
        with read_scope(self.engine) as s:
            return s.execute(
                select(OutboxMessage.next_attempt_at).where(OutboxMessage.status == "pending", ~self._blocked())
                .order_by(OutboxMessage.next_attempt_at).limit(1)
            ).scalar()
