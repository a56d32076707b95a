"""When the policy's sessions fall (#23; §3.5.2, §2.2.2, §5.3.2), the way recurring checks lay out their days: a
session has a *nominal* day (its weekday, or its day of the month); when that day is off on the working-day
calendar it is held on the next working day. Each session with its own calendar has one job, run every day at its
local time, that issues the roster of the occurrence whose day is today (once: the roster's key names the nominal
day). A session whose calendar is a check's (`check:`) has no job: the check's Done opens its roster."""

from __future__ import annotations

import datetime as dt
import hashlib

from apscheduler.triggers.cron import CronTrigger

from bot.workdays import nominal_days

PREFIX = "training:session:"


def job_name(key: str) -> str:
    name = PREFIX + key
    return name if len(name) <= 64 else PREFIX + hashlib.sha1(key.encode()).hexdigest()[:16]


def by_job(org) -> dict:
    return {job_name(k): (k, x) for k, x in org.policy.training.sessions.items() if not x.check}


def triggers(org) -> dict:
    out = {}
    for job, (_key, session) in by_job(org).items():
        h, m = (int(x) for x in session.time.split(":"))
        out[job] = CronTrigger(hour=h, minute=m, timezone=org.tz)
    return out



def occurrence_on(org, session, day: dt.date) -> dt.date | None:
    """The nominal day of the occurrence held on `day`, if one is."""
    for nominal in nominal_days(session, day):
        if org.workdays.next_working_day(nominal) == day:
            return nominal
    return None


def next_occurrence(org, session, after: dt.date, within: int = 400) -> dt.date | None:
    """The day the next occurrence is held on, from `after` on."""
    for k in range(within):
        day = after + dt.timedelta(days=k)
        if occurrence_on(org, session, day) is not None:
            return day
    return None


def warnings(org) -> list[str]:
    """A session whose check is switched off (`checks.every.<key>: null`) has no day and no roster (#21's warnings)."""
    return [f"training.sessions.{k}: its check {x.check!r} is not in checks.every: no roster for it"
            for k, x in org.policy.training.sessions.items() if x.check and x.check not in org.policy.checks.every]
