"""The Sweeper: fires due timers of every kind (ARCHITECTURE.md principle 2; #18: it names no kind).

A timer row names its subject (`subject_type`, `subject_id`) and its purpose; the registry says which kind loads
that subject and fires it. The Sweeper claims due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL) and, in the same
transaction, marks them fired and queues what the kind's fire function writes (notices in the outbox, audit rows),
so a restart, a crash or a second process never loses or doubles a notice. Rows missed while the bot was down fire
once at start, in order, marked late. A timer nobody fires (its kind is gone), whose subject is gone, or whose kind
says it no longer matters, is cancelled; one that raises is set aside (`error`) and the rest go on.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.exc import DataError, IntegrityError, InternalError

from bot import registry
from bot.worker import Worker
from storage.db import buffer_mark, buffer_rollback, read_scope, session_scope
from storage.models import Timer

log = logging.getLogger("safeshift.escalation")

# On time means within 5 s of the moment (the sweeper sleeps until the next due moment, woken by new timers); a later
# notice says it is late. Not policy: it describes the bot, not the responsibility system.
LATE_AFTER = dt.timedelta(seconds=5)


_TIMER = Timer.__table__
_CLAIMED = tuple(_TIMER.c)
_MARK = (update(_TIMER).where(_TIMER.c.id == bindparam("_id"))
         .values({c: bindparam(f"_{c}", type_=_TIMER.c[c].type) for c in ("status", "fired_at", "late")}))


# PostgreSQL: the batch's marks as one UPDATE joined to the arrays of its rows (psycopg's executemany would send
# one UPDATE per row); SQLite's executemany stays in C.
_MARK_ARRAYS = text(
    "UPDATE timer SET status = m.status, fired_at = m.fired_at, late = m.late"
    " FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS text[]), CAST(:fired AS timestamptz[]),"
    " CAST(:lates AS boolean[])) AS m(id, status, fired_at, late) WHERE timer.id = m.id")


def _write_marks(s, marks: list[dict]) -> None:
    if not marks:
        return
    if s.get_bind().dialect.name != "postgresql":
        s.execute(_MARK, marks)
        return
    fired_at = _TIMER.c.fired_at.type.dialect_impl(s.get_bind().dialect).bind_processor(s.get_bind().dialect)
    s.execute(_MARK_ARRAYS, {"ids": [m["_id"] for m in marks], "statuses": [m["_status"] for m in marks],
                             "fired": [fired_at(m["_fired_at"]) if fired_at else m["_fired_at"] for m in marks],
                             "lates": [bool(m["_late"]) for m in marks]})


class Claimed:
    """A claimed timer row, as the fire functions read it (`timer.purpose`, `.step`, `.due_at`, `.late`, …)."""

    __slots__ = tuple(c.name for c in _CLAIMED)

    def __init__(self, *values) -> None:
        for name, value in zip(self.__slots__, values):
            setattr(self, name, value)

    def mark(self, status: str, at: dt.datetime) -> dict:
        """The row's new state, for the batch's one UPDATE (`_MARK`)."""
        self.status, self.fired_at = status, at
        return {"_id": self.id, "_status": status, "_fired_at": at, "_late": self.late}


class Sweeper(Worker):
    """Fires due timers. `run_once()` is the whole engine; the thread only calls it on time."""

    name = "sweeper"

    def __init__(self, ctx, batch: int = 200, kinds: registry.Registry | None = None):
        super().__init__(ctx.clock, getattr(ctx, "gate", None))
        self.ctx = ctx
        self.batch = batch
        self.kinds = kinds
        self._idle_next: tuple | None = None
        self._claimed: list[int] = []  # the ids of the batch being fired (set aside when the database refuses it)

    def run_once(self) -> int:
        ctx = self.ctx
        kinds = self.kinds or registry.current()
        now = ctx.clock.now()
        fired = 0
        self._idle_next = None
        with read_scope(ctx.engine) as s:  # nothing due (the usual answer): no write transaction at all
            nxt = s.execute(select(func.min(Timer.fire_at)).where(Timer.status == "pending")).scalar()
        if nxt is None or nxt > now:
            self._idle_next = (nxt,)  # the thread's next_due() needs no second read (idle: one read a round)
            return 0
        try:
            fired = self._fire_batch(kinds, now, self.batch)[1]
        except (IntegrityError, DataError, InternalError):  # a row the database refuses: its transaction is lost
            log.exception("a batch of timers could not be written; firing them one by one")
            fired = self._one_by_one(kinds, now)
        if fired:
            ctx.wake()
        return fired

    def _one_by_one(self, kinds, now: dt.datetime) -> int:
        """The batch again, a row per transaction: the row whose writes the database refuses (a value too long, a
        missing one) is set aside (`error`) and every other fires; without this the same batch failed every round
        and no escalation went out (a Python error inside `fire` is set aside within the batch)."""
        fired = 0
        for _ in range(self.batch):
            self._claimed = []
            try:
                claimed, done = self._fire_batch(kinds, now, 1)
            except (IntegrityError, DataError, InternalError):
                log.exception("timer %s could not be written; set aside", self._claimed)
                with session_scope(self.ctx.engine) as s:
                    s.execute(update(_TIMER).where(_TIMER.c.id.in_(self._claimed), _TIMER.c.status == "pending")
                              .values(status="error", fired_at=now))
                continue
            if not claimed:
                break
            fired += done
        return fired

    def _fire_batch(self, kinds, now: dt.datetime, limit: int) -> tuple[int, int]:
        """Claim up to `limit` due timers and fire them in one transaction: (claimed, fired)."""
        ctx = self.ctx
        fired = 0
        with session_scope(ctx.engine) as s:
            # The claim reads the rows' columns, not ORM objects: nothing tracks them, and their marks go back in
            # one executemany (issue 26: 10,000 rungs due at once spent a third of their time in the ORM).
            timers = [Claimed(*row) for row in s.execute(
                select(*_CLAIMED).where(Timer.status == "pending", Timer.fire_at <= now)
                .order_by(Timer.fire_at, Timer.subject_type, Timer.subject_id, Timer.step).limit(limit)
                .with_for_update(skip_locked=True)
            )]
            self._claimed = [t.id for t in timers]
            if not timers:
                return 0, 0
            # One query per handler for the batch's subjects: no per-row round trips.
            wanted: dict = defaultdict(set)
            handler_of = {}
            for t in timers:
                h = handler_of[t.id] = kinds.timer_handler(t.subject_type, t.purpose)
                if h is not None:
                    wanted[h].add(t.subject_id)
            loaded = {h: h.load(s, ids) for h, ids in wanted.items()}
            marks = []
            with s.no_autoflush:
                for timer in timers:
                    h = handler_of[timer.id]
                    subject = loaded[h].get(timer.subject_id) if h is not None else None
                    if subject is None:  # no kind fires it, or its subject is gone
                        marks.append(timer.mark("cancelled", now))
                        continue
                    timer.late = (now - timer.fire_at) > LATE_AFTER
                    mark = buffer_mark(s)
                    try:
                        if h.fire(ctx, s, subject, timer, now) is False:
                            marks.append(timer.mark("cancelled", now))  # answered, moved on, or a dropped rung
                            continue
                    except Exception:  # noqa: BLE001 - one bad row must not stop every other notice
                        buffer_rollback(s, mark)
                        log.exception("timer %s (%s %s, %s) could not fire; set aside", timer.id, timer.subject_type,
                                      timer.subject_id, timer.purpose)
                        marks.append(timer.mark("error", now))
                        continue
                    marks.append(timer.mark("fired", ctx.clock.now()))
                    fired += 1
            _write_marks(s, marks)  # before the commit writes what the fire functions queued (storage.db)
        return len(timers), fired

    # -- the thread (bot.worker.Worker) ----------------------------------------------------
    def busy(self, done: int) -> bool:
        return done >= self.batch

    def next_due(self):
        known, self._idle_next = self._idle_next, None
        if known is not None:  # the round that just found nothing due read it
            return known[0]
        with read_scope(self.ctx.engine) as s:
            return s.execute(select(func.min(Timer.fire_at)).where(Timer.status == "pending")).scalar()
