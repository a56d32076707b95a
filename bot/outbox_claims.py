"""What the outbox sender claims, in one transaction each (`bot.outbox.Sender` uses these).

- `claim`: the first undelivered row of each ordering_key that is due (most urgent first), with the due rows
  queued right behind it, so a report's card, thread lines and DMs cost one claim.
- `claim_probe`: while Slack is away, the one row a probe is made with: the most urgent head, whatever
  its own retry time.
- `release_waiting`: once a probe went through, every row waiting for its own back-off is due again.

Claims use `FOR UPDATE SKIP LOCKED` on PostgreSQL and a lease, so several processes share the work and a
crashed sender's rows are picked up again (`uncertain`: Slack may have the message).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from storage.db import read_scope, session_scope
from storage.models import OutboxMessage


def blocked():
    """A row waits while an earlier row of its ordering_key is still to be delivered."""
    earlier = aliased(OutboxMessage)
    return exists().where(
        and_(earlier.ordering_key == OutboxMessage.ordering_key, earlier.id < OutboxMessage.id,
             earlier.status.in_(("pending", "sending")))
    )


def _claimable(now: dt.datetime):
    return or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now),
    )


def _take(rows, now: dt.datetime, lease: dt.timedelta) -> None:
    for row in rows:
        if row.status == "sending":  # its sender died mid-call: Slack may have the message
            row.uncertain = True
        row.status = "sending"
        row.lease_until = now + lease
        row.attempts += 1


def claim(engine, now: dt.datetime, batch: int, lease: dt.timedelta) -> list[list[OutboxMessage]]:
    """Claim due rows; returns them grouped by ordering_key, groups most urgent first, each in id order."""
    claimable = _claimable(now)
    with read_scope(engine) as s:  # nothing to claim (the usual answer after a round): no write transaction
        if s.execute(select(OutboxMessage.id).where(claimable, ~blocked()).limit(1)).first() is None:
            return []
    with session_scope(engine) as s:
        heads = s.execute(
            select(OutboxMessage).where(claimable, ~blocked())
            .order_by(OutboxMessage.priority, OutboxMessage.id)
            .limit(batch).with_for_update(skip_locked=True)
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
            .order_by(OutboxMessage.id).limit(batch * 4).with_for_update()
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
            _take(group, now, lease)
        s.flush()
        return list(groups.values())


def claim_probe(engine, now: dt.datetime, lease: dt.timedelta, avoid: int | None = None
                ) -> tuple[OutboxMessage, bool] | None:
    """The row to probe Slack with, claimed, and whether it was due by its own back-off (None: nothing queued):
    the most urgent, the oldest first, whatever its own retry time. `avoid`: the row whose failure began the
    outage (and failed its first probe too), tried last: when another row goes through, that row was refused
    for itself (a 500 for its content) and cannot hold the queue; when the other fails too, Slack is away and
    the urgent row probes again."""
    pending = or_(OutboxMessage.status == "pending", _claimable(now))
    with session_scope(engine) as s:
        row = s.execute(
            select(OutboxMessage).where(pending, ~blocked())
            .order_by(case((OutboxMessage.id == (avoid or 0), 1), else_=0), OutboxMessage.priority, OutboxMessage.id)
            .limit(1).with_for_update(skip_locked=True)
        ).scalars().first()
        if row is None:
            return None
        due = row.status == "sending" or row.next_attempt_at <= now
        _take([row], now, lease)
        s.flush()
        return row, due


def release_waiting(engine, now: dt.datetime, keep: int | None = None) -> None:
    """Slack is back: the rows waiting for their own back-off (tried before) are due now; the pacer spaces them.
    `keep`: a row refused for itself keeps its back-off."""
    with session_scope(engine) as s:
        s.execute(update(OutboxMessage).where(OutboxMessage.status == "pending", OutboxMessage.attempts > 0,
                                              OutboxMessage.next_attempt_at > now, OutboxMessage.id != (keep or 0))
                  .values(next_attempt_at=now))


def next_due(engine) -> dt.datetime | None:
    """The next moment a row can be claimed: the first retry or paced slot of a row that waits for nothing else, or
    the end of a lease (a sender that died holding rows leaves them to be taken again then). Rows queued behind an
    earlier row of their report do not count (they wait for it, not for their own time): counting them made the
    loop spin while Slack was failing or a channel was paced. One statement."""
    waiting = (select(func.min(OutboxMessage.next_attempt_at))
               .where(OutboxMessage.status == "pending", ~blocked()).scalar_subquery())
    leased = (select(func.min(OutboxMessage.lease_until))
              .where(OutboxMessage.status == "sending", ~blocked()).scalar_subquery())
    with read_scope(engine) as s:
        due = [t for t in s.execute(select(waiting, leased)).one() if t is not None]
    return min(due) if due else None


def anything_queued(engine) -> bool:
    with read_scope(engine) as s:
        return s.execute(select(OutboxMessage.id).where(OutboxMessage.status.in_(("pending", "sending")))
                         .limit(1)).first() is not None
