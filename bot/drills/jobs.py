"""The scheduler's entry for drills (bot/jobs.py AREAS): one daily job at the policy's `notice_time` that lays
out the drill calendar (`layout.lay_out`) and sends the notices whose moment has come (`notices.send_all_due`).

The run is claimed in `job_run` like every recurring job; what it sends is also recorded on each drill, so a
catch-up run, a restart or a second process repeats nothing, and a run missed while the bot was down is made
up at start (the latest run of a daily job is never more than a day old) and misses nothing.
"""

from __future__ import annotations

import datetime as dt

from apscheduler.triggers.cron import CronTrigger

from bot.drills import layout, notices

PREFIX = "drills:"
DAILY = PREFIX + "daily"
CATCH_UP = dt.timedelta(days=1)  # a daily job's latest run: made up at start whenever it was missed


def triggers(org) -> dict:
    h, m = (int(x) for x in org.policy.drills.notice_time.split(":"))
    return {DAILY: CronTrigger(hour=h, minute=m, timezone=org.tz)}


def catch_up(org, job: str) -> dt.timedelta:
    if job != DAILY:
        raise KeyError(job)
    return CATCH_UP


def run(ctx, s, job: str, scheduled_for: dt.datetime) -> list[dict]:
    """Lay out the calendar and queue the due notices in the claim's transaction (rows of our own: no payloads
    for the caller). `now` is the clock's, not `scheduled_for`: a run made up late sends what is due by now."""
    if job != DAILY:
        raise KeyError(job)
    now = ctx.clock.now()
    layout.lay_out(ctx, s, now)
    notices.send_all_due(ctx, s, now)
    return []
