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

from sqlalchemy import func, select

from bot import registry
from bot.worker import Worker
from storage.db import buffer_mark, buffer_rollback, read_scope, session_scope
from storage.models import Timer

log = logging.getLogger("safeshift.escalation")

# On time means within 5 s of the moment (the sweeper wakes at least every second); a later notice
# says it is late. Not policy: it describes the bot, not the responsibility system.
LATE_AFTER = dt.timedelta(seconds=5)


class Sweeper(Worker):
    """Fires due timers. `run_once()` is the whole engine; the thread only calls it on time."""

    name = "sweeper"

    def __init__(self, ctx, batch: int = 200, kinds: registry.Registry | None = None):
        super().__init__(ctx.clock, getattr(ctx, "gate", None))
        self.ctx = ctx
        self.batch = batch
        self.kinds = kinds
        self._idle_next: tuple | None = None

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
        with session_scope(ctx.engine) as s:
            timers = s.execute(
                select(Timer).where(Timer.status == "pending", Timer.fire_at <= now)
                .order_by(Timer.fire_at, Timer.subject_type, Timer.subject_id, Timer.step).limit(self.batch)
                .with_for_update(skip_locked=True)
            ).scalars().all()
            if not timers:
                return 0
            # One query per handler for the batch's subjects: no per-row round trips.
            wanted: dict = defaultdict(set)
            handler_of = {}
            for t in timers:
                h = handler_of[t.id] = kinds.timer_handler(t.subject_type, t.purpose)
                if h is not None:
                    wanted[h].add(t.subject_id)
            loaded = {h: h.load(s, ids) for h, ids in wanted.items()}
            with s.no_autoflush:
                for timer in timers:
                    h = handler_of[timer.id]
                    subject = loaded[h].get(timer.subject_id) if h is not None else None
                    if subject is None:  # no kind fires it, or its subject is gone
                        timer.status, timer.fired_at = "cancelled", now
                        continue
                    timer.late = (now - timer.fire_at) > LATE_AFTER
                    mark = buffer_mark(s)
                    try:
                        if h.fire(ctx, s, subject, timer, now) is False:
                            timer.status, timer.fired_at = "cancelled", now  # answered, moved on, or a dropped rung
                            continue
                    except Exception:  # noqa: BLE001 - one bad row must not stop every other notice
                        buffer_rollback(s, mark)
                        log.exception("timer %s (%s %s, %s) could not fire; set aside", timer.id, timer.subject_type,
                                      timer.subject_id, timer.purpose)
                        timer.status, timer.fired_at = "error", now
                        continue
                    timer.status, timer.fired_at = "fired", ctx.clock.now()
                    fired += 1
        if fired:
            ctx.wake()
        return fired

    # -- the thread (bot.worker.Worker) ----------------------------------------------------
    def busy(self, done: int) -> bool:
        return done >= self.batch

    def next_due(self):
        known, self._idle_next = self._idle_next, None
        if known is not None:  # the round that just found nothing due read it
            return known[0]
        with read_scope(self.ctx.engine) as s:
            return s.execute(select(func.min(Timer.fire_at)).where(Timer.status == "pending")).scalar()
