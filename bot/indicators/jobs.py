"""The monthly report's job (#22): on the policy's day and time (default the 1st, 09:00 local), the month before.
Claimed in `job_run` like every recurring job (bot/jobs.py, `own_claim`): two processes, a restart or a catch-up
post it once."""

from __future__ import annotations

import datetime as dt
import logging

from apscheduler.triggers.cron import CronTrigger

from bot.indicators import report

JOB = "indicators_monthly"
log = logging.getLogger("safeshift.indicators")


def triggers(org) -> dict:
    r = org.policy.indicators.report
    h, m = (int(x) for x in r.time.split(":"))
    return {JOB: CronTrigger(day=r.day, hour=h, minute=m, timezone=org.tz)}


def catch_up(org, job: str) -> dt.timedelta:
    return org.policy.indicators.report.catch_up.timedelta


def month_before(org, moment: dt.datetime) -> str:
    local = moment.astimezone(org.tz)
    return f"{local.year - (local.month == 1)}-{(local.month - 2) % 12 + 1:02d}"


def run(ctx, s, job: str, scheduled_for: dt.datetime) -> list[dict]:
    """The report of the month before `scheduled_for`, after the claim (`own_claim`): computed and drawn without
    holding the write lock, then queued in one short transaction. A crash in between leaves the month claimed and
    unposted (like the purge): `safeshift report monthly --month … --post` posts it."""
    if job != JOB:
        raise KeyError(job)
    month = month_before(ctx.org, scheduled_for)
    try:
        report.post(ctx, month)
    except report.StillSending:  # `safeshift report monthly --post` of the same month is delivering it right now
        log.warning("the monthly report of %s is being posted by another run: not posted again", month)
    return []
