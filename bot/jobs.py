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
import importlib
import logging
import os
import socket

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot import digest, retention
from bot.outbox import BULK, enqueue
from storage.db import session_scope
from storage.models import AuditEvent, JobRun, Report

log = logging.getLogger("safeshift.jobs")

JOBS = ("purge", "daily_digest", "weekly_summary", "risk_review", "incident_cases")
# Areas with jobs of their own (#10). Each module gives `triggers(org) -> {job: CronTrigger}` (job names start
# with the area's own prefix and are at most 64 characters), `catch_up(org, job) -> timedelta`, and
# `run(ctx, s, job, scheduled_for) -> [chat.postMessage payloads]`, called in the claim's transaction: it may
# write rows of its own there (check tasks, drills) and must be idempotent by its own keys.
AREAS = ("bot.checks.jobs", "bot.drills.jobs")


def _areas():
    return [importlib.import_module(name) for name in AREAS]


def _area_of(job: str):
    for area in _areas():
        if job.startswith(area.PREFIX):
            return area
    return None
RUNNER = f"{socket.gethostname()}:{os.getpid()}"
# The installation moment is one `job_run` row: job "installed" at this fixed scheduled time, started_at = the moment.
INSTALLED = "installed"
INSTALLED_KEY = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)


def triggers(org) -> dict[str, CronTrigger]:
    sched = org.policy.schedule
    dh, dm = (int(x) for x in sched.daily_digest.split(":"))
    wh, wm = (int(x) for x in sched.weekly_summary.time.split(":"))
    ph, pm = (int(x) for x in org.policy.retention.purge_at.split(":"))
    out = {
        "purge": CronTrigger(hour=ph, minute=pm, timezone=org.tz),
        "daily_digest": CronTrigger(hour=dh, minute=dm, timezone=org.tz),
        "weekly_summary": CronTrigger(day_of_week=sched.weekly_summary.weekday, hour=wh, minute=wm, timezone=org.tz),
        "risk_review": _review_trigger(org),  # §4.1 quarterly risk-register review (bot/rectification/register.py)
        "incident_cases": _cases_trigger(org),  # §5.2.3 monthly case summary (bot/cases.py)
    }
    for area in _areas():
        out.update(area.triggers(org))
    return out


def _cases_trigger(org) -> CronTrigger:
    cases = org.policy.incident.monthly_cases
    ch, cm = (int(x) for x in cases.time.split(":"))
    return CronTrigger(day=cases.day, hour=ch, minute=cm, timezone=org.tz)


def _review_trigger(org) -> CronTrigger:
    review = org.policy.rectification.review
    rh, rm = (int(x) for x in review.time.split(":"))
    return CronTrigger(month=",".join(str(m) for m in sorted(review.months)), day=review.day, hour=rh, minute=rm,
                       timezone=org.tz)


def fire_times(trigger: CronTrigger, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Every fire time in [start, end] (aware)."""
    out = []
    t = trigger.get_next_fire_time(None, start)
    while t is not None and t <= end:
        out.append(t)
        t = trigger.get_next_fire_time(t, t + dt.timedelta(microseconds=1))
    return out


def catch_up_window(org, job: str) -> dt.timedelta:
    area = _area_of(job)
    if area is not None:
        return area.catch_up(org, job)
    if job == "incident_cases":
        return org.policy.incident.monthly_cases.catch_up.timedelta
    if job == "risk_review":
        return org.policy.rectification.review.catch_up.timedelta
    return getattr(org.policy.schedule.catch_up, job).timedelta


def previous_fire_time(trigger: CronTrigger, now: dt.datetime, lookback=dt.timedelta(days=8)) -> dt.datetime | None:
    times = fire_times(trigger, now - lookback, now)
    return times[-1] if times else None


def payloads_for(ctx, job: str, scheduled_for: dt.datetime, session=None) -> list[dict]:
    if job == "daily_digest":
        since = digest.last_digest_time(ctx, scheduled_for, session)
        return digest.daily_payloads(ctx, scheduled_for, since=since, session=session)
    if job == "weekly_summary":
        return digest.weekly_payloads(ctx, scheduled_for, session=session)
    if job == "risk_review":
        from bot.rectification.register import review_payloads

        return review_payloads(ctx, scheduled_for, session)
    if job == "incident_cases":
        from bot.cases import monthly_payloads

        return monthly_payloads(ctx, scheduled_for, session)
    area = _area_of(job)
    if area is not None:
        return area.run(ctx, session, job, scheduled_for)
    raise KeyError(job)


def run_due(ctx, job: str) -> bool:
    """Run `job` for its latest scheduled moment (what a cron trigger calls)."""
    scheduled = previous_fire_time(triggers(ctx.org)[job], ctx.clock.now() + dt.timedelta(seconds=1))
    return scheduled is not None and run_job(ctx, job, scheduled)


def run_job(ctx, job: str, scheduled_for: dt.datetime) -> bool:
    """Run `job` for `scheduled_for` unless some process already has. True if this call ran it."""
    scheduled_for = scheduled_for.astimezone(dt.timezone.utc)
    now = ctx.clock.now()
    if job == "purge":  # deletes in its own transaction; the claim comes first
        try:
            with session_scope(ctx.engine) as s:
                s.add(JobRun(job=job, scheduled_for=scheduled_for, started_at=now, runner=RUNNER))
        except IntegrityError:
            return False
        counts = retention.purge(ctx)
        with session_scope(ctx.engine) as s:
            s.get(JobRun, (job, scheduled_for)).finished_at = ctx.clock.now()
        log.info("purge for %s: %s", scheduled_for.isoformat(), counts)
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
