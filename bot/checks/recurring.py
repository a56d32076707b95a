"""The policy's recurring checks (§3.1, §4.2.2, §6.1.1): weekly, monthly and quarterly, each to its owners.

A check is due on a *nominal* day (its weekday, or its day of the month); when that day is off on the working-day
calendar it is issued on the next working day instead (a UPS test set for a Wednesday of the National Day
holiday comes on the first working day after it). Each check has one job, run every day at the check's local
time: it issues the occurrence whose issue day is today, once (the task's key names the nominal day), with
its due time (`due_within`, working days counted on the organisation's calendar) and its reminders and overdue
ladder (bot/checks/deadlines.py). `team_supervisors` (or `on_duty`) as owner: one task per team. A spot
check (`sample`) lists that share of the team's workstations, picked at random.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random

from apscheduler.triggers.cron import CronTrigger

from bot.checks import deadlines, figures, tasks
from bot.workdays import nominal_days

PREFIX = "checks:every:"
_PICK = random.SystemRandom()  # who is spot-checked must not be guessable in advance


def job_name(key: str) -> str:
    name = PREFIX + key
    return name if len(name) <= 64 else PREFIX + hashlib.sha1(key.encode()).hexdigest()[:16]


def _checks_by_job(org) -> dict:
    return {job_name(key): (key, check) for key, check in org.policy.checks.every.items()}


def triggers(org) -> dict:
    out = {}
    for job, (_key, check) in _checks_by_job(org).items():
        h, m = (int(x) for x in check.time.split(":"))
        out[job] = CronTrigger(hour=h, minute=m, timezone=org.tz)
    return out


# A run missed while SafeShift was down is made up at start when at most this old; each run also issues any
# occurrence of the last LOOKBACK days not issued yet whose due time is still ahead, so a longer outage
# misses nothing that can still be done. Not policy: it describes the bot, not the responsibility system.
CATCH_UP = dt.timedelta(days=1)
LOOKBACK = 7


def catch_up(org, job: str) -> dt.timedelta:
    return CATCH_UP



def issue_day(org, nominal: dt.date) -> dt.date:
    return org.workdays.next_working_day(nominal)


def occurrence_on(org, check, day: dt.date) -> dt.date | None:
    """The nominal day of the occurrence issued on `day`, if one is."""
    for nominal in nominal_days(check, day):
        if issue_day(org, nominal) == day:
            return nominal
    return None


def occurrences(org, check, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """(nominal day, issue day) of every occurrence issued in [start, end]."""
    out = []
    day = start
    while day <= end:
        nominal = occurrence_on(org, check, day)
        if nominal is not None:
            out.append((nominal, day))
        day += dt.timedelta(days=1)
    return out


def owner_groups(ctx, check) -> list[tuple[str | None, list[str]]]:
    """[(team or None, owners)]: one per team when the check is each team's, else one for the department."""
    directory = ctx.directory
    if "team_supervisors" in check.owner or "on_duty" in check.owner:
        out = []
        for team in ctx.org.teams:
            people = (list(team.supervisors) if "team_supervisors" in check.owner else []) + \
                (list(team.on_duty) if "on_duty" in check.owner else [])
            people += directory.resolve_people([o for o in check.owner if o not in ("team_supervisors", "on_duty")],
                                               team.name, None)
            out.append((team.name, people or directory.people("safety_officer")))
        return out
    people = directory.resolve_people(list(check.owner), None, None)
    return [(None, people or directory.people("safety_officer") or directory.people("department_head"))]


def sample(ctx, check, team_name: str | None) -> list[str]:
    """A spot check's workstations: `sample` of the team's pool (its workstations, else its members), at random,
    at least one."""
    if not check.sample or team_name is None:
        return []
    team = ctx.directory.team(team_name)
    pool = list(team.workstations) if team and team.workstations else list(team.members if team else [])
    if not pool:
        return []
    n = max(1, math.ceil(len(pool) * check.sample))
    picked = _PICK.sample(pool, min(n, len(pool)))
    return sorted(picked, key=pool.index)


def issue_occurrence(ctx, s, key: str, check, nominal: dt.date, at: dt.datetime, now: dt.datetime) -> list:
    """Issue the occurrence of `check` for `nominal` day at local moment `at`: one task per owner group."""
    org = ctx.org
    due = check.due_within.add_to(at, org.tz, org.workdays)
    issued = []
    for team, owners in owner_groups(ctx, check):
        task_key = f"check:{key}:{team or '-'}:{nominal.isoformat()}"
        task = tasks.issue(ctx, s, kind="check", name=key, key=task_key, owners=owners, day=nominal, due_at=due,
                           now=now, team=team, sample=sample(ctx, check, team))
        if task is not None:
            deadlines.start(ctx, s, task, now)
            if check.attach:  # #21: the figures it is done with (the monthly risk review: the past year's hazards)
                figures.attach(ctx, s, task, check.attach, at, now)
            issued.append(task)
    return issued


def issue_at(org, check, day: dt.date) -> dt.datetime:
    h, m = (int(x) for x in check.time.split(":"))
    return dt.datetime.combine(day, dt.time(h, m), tzinfo=org.tz).astimezone(dt.timezone.utc)


def run(ctx, s, job: str, scheduled_for: dt.datetime) -> list[dict]:
    """Issue today's occurrence, and any of the last days' not issued yet (an outage) that can still be done."""
    org = ctx.org
    key, check = _checks_by_job(org)[job]
    now = ctx.clock.now()
    today = scheduled_for.astimezone(org.tz).date()
    for back in range(LOOKBACK, -1, -1):
        day = today - dt.timedelta(days=back)
        nominal = occurrence_on(org, check, day)
        if nominal is None:
            continue
        at = issue_at(org, check, day)
        if back and check.due_within.add_to(at, org.tz, org.workdays) <= now:
            continue  # too late to be done: the digest counts it as missed, nobody is sent a dead check
        issue_occurrence(ctx, s, key, check, nominal, at, now)
    return []  # the tasks' messages are queued by `tasks.issue`
