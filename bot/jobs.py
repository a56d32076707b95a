"""Recurring jobs, claimed: the use case behind the scheduler (`schedules/`), which only says *when*.

Whether a run happens is decided by the database:
each run first inserts `(job, scheduled time)` into `job_run` in the same
transaction that queues its messages, so a restart or a second process never
repeats it (APScheduler's own job stores cannot be shared between processes).
A run missed while the bot was down is made up once at start if it is recent
enough (policy `schedule.catch_up`), and only if it was due after the installation (`installed_at`):
the first start of a new installation posts no digest for a run before it existed.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot import registry, retention
from bot.outbox import BULK, enqueue
from storage.db import session_scope
from storage.models import AuditEvent, JobRun, Report

log = logging.getLogger("safeshift.jobs")

# The core's own job; every other comes from an installed kind's `JobArea` (bot/registry.py).
PURGE = "purge"


def _kinds():
    return registry.current()


RUNNER = f"{socket.gethostname()}:{os.getpid()}"
# The installation moment is one `job_run` row: job "installed" at this fixed scheduled time, started_at = the moment.
INSTALLED = "installed"
INSTALLED_KEY = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def triggers(org) -> dict[str, CronTrigger]:
    ph, pm = (int(x) for x in org.policy.retention.purge_at.split(":"))
    out = {PURGE: CronTrigger(hour=ph, minute=pm, timezone=org.tz)}
    for area in _kinds().job_areas():
        out.update(area.triggers(org))
    return out


def fire_times(trigger: CronTrigger, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Every fire time in [start, end] (aware)."""
    out = []
    t = trigger.get_next_fire_time(None, start)
    while t is not None and t <= end:
        out.append(t)
        t = trigger.get_next_fire_time(t, t + dt.timedelta(microseconds=1))
    return out


def catch_up_window(org, job: str) -> dt.timedelta:
    area = _kinds().job_area(job)
    if area is not None:
        return area.catch_up(org, job)
    return getattr(org.policy.schedule.catch_up, job).timedelta


def previous_fire_time(trigger: CronTrigger, now: dt.datetime, lookback=dt.timedelta(days=8)) -> dt.datetime | None:
    times = fire_times(trigger, now - lookback, now)
    return times[-1] if times else None


def payloads_for(ctx, job: str, scheduled_for: dt.datetime, session=None) -> list[dict]:
    area = _kinds().job_area(job)
    if area is None:
        raise KeyError(job)
    return area.run(ctx, session, job, scheduled_for)


def run_due(ctx, job: str) -> bool:
    """Run `job` for its latest scheduled moment (what a cron trigger calls)."""
    scheduled = previous_fire_time(triggers(ctx.org)[job], ctx.clock.now() + dt.timedelta(seconds=1))
    return scheduled is not None and run_job(ctx, job, scheduled)


def run_job(ctx, job: str, scheduled_for: dt.datetime) -> bool:
    """Run `job` for `scheduled_for` unless some process already has. True if this call ran it."""
    scheduled_for = scheduled_for.astimezone(dt.timezone.utc)
    now = ctx.clock.now()
    area = _kinds().job_area(job)
    # The purge and a job of `own_claim` (long work: it must not hold the write lock) work in transactions of their
    # own; the claim comes first and is committed alone.
    if job == PURGE or (area is not None and area.own_claim):
        try:
            with session_scope(ctx.engine) as s:
                s.add(JobRun(job=job, scheduled_for=scheduled_for, started_at=now, runner=RUNNER))
        except IntegrityError:
            return False
        counts = retention.purge(ctx) if job == PURGE else area.run(ctx, None, job, scheduled_for)
        with session_scope(ctx.engine) as s:
            s.get(JobRun, (job, scheduled_for)).finished_at = ctx.clock.now()
        ctx.wake()
        log.info("%s for %s: %s", job, scheduled_for.isoformat(), counts if job == PURGE else "done")
        return True
    try:
        with session_scope(ctx.engine) as s:
            s.add(JobRun(job=job, scheduled_for=scheduled_for, started_at=now, runner=RUNNER))
            s.flush()
            for p in payloads_for(ctx, job, scheduled_for, s):
                enqueue(s, now, "chat.postMessage", p, ordering_key=f"job:{job}", priority=BULK,
                        dedupe_key=f"{job}:{scheduled_for.isoformat()}:{p['channel']}")
            run = s.get(JobRun, (job, scheduled_for))
            run.finished_at = ctx.clock.now()
    except IntegrityError:
        return False
    ctx.wake()
    log.info("ran %s for %s", job, scheduled_for.isoformat())
    return True


def installed_at(ctx, now: dt.datetime) -> dt.datetime:
    """When this installation began, recorded once (the first call of any process wins).

    A database already in use (an upgrade from a version without the record) dates from its earliest
    trace: a report, an audit event or a job run. An empty one is new: now.
    """
    with session_scope(ctx.engine) as s:
        row = s.get(JobRun, (INSTALLED, INSTALLED_KEY))
        if row is not None:
            return row.started_at
        traces = [s.execute(select(func.min(Report.reported_at))).scalar(),
                  s.execute(select(func.min(AuditEvent.at))).scalar(),
                  s.execute(select(func.min(JobRun.started_at)).where(JobRun.job != INSTALLED)).scalar()]
    moment = min([t for t in traces if t is not None] + [now])
    try:
        with session_scope(ctx.engine) as s:
            s.add(JobRun(job=INSTALLED, scheduled_for=INSTALLED_KEY, started_at=moment, finished_at=moment,
                         runner=RUNNER))
    except IntegrityError:  # another process recorded it first: theirs stands
        pass
    with session_scope(ctx.engine) as s:
        return s.get(JobRun, (INSTALLED, INSTALLED_KEY)).started_at


def catch_up(ctx, now: dt.datetime | None = None) -> list[tuple[str, dt.datetime]]:
    """Make up the latest missed run of each job, if recent enough and due after the installation."""
    now = now or ctx.clock.now()
    since = installed_at(ctx, now)
    done = []
    for job, trigger in triggers(ctx.org).items():
        prev = previous_fire_time(trigger, now)
        if prev is None or now - prev > catch_up_window(ctx.org, job):
            continue
        if prev < since:
            log.info("%s of %s not made up: due before this installation (%s)", job, prev.isoformat(),
                     since.isoformat())
            continue
        if run_job(ctx, job, prev):
            done.append((job, prev))
    return done
