"""The training area's jobs (bot/jobs.py claims each run once): the daily run (`training:quarterly`: the quarterly
test, the organisation file's new people, the induction reminders), one job per session with its own calendar
(`training:session:<key>`, bot/training/calendar.py) and the Safety Star's ask (`training:star`)."""

from __future__ import annotations

import datetime as dt

from bot.training import calendar, quarterly, roster, star

PREFIX = "training:"


def triggers(org) -> dict:
    return {**quarterly.triggers(org), **calendar.triggers(org), **star.triggers(org)}


def catch_up(org, job: str) -> dt.timedelta:
    if job == quarterly.DAILY:
        return quarterly.catch_up(org, job)
    if job == star.JOB or job in calendar.by_job(org):
        return quarterly.CATCH_UP
    raise KeyError(job)


def run(ctx, s, job: str, scheduled_for: dt.datetime) -> list[dict]:
    if job == quarterly.DAILY:
        return quarterly.run(ctx, s, job, scheduled_for)
    if job == star.JOB:
        return star.run(ctx, s, job, scheduled_for)
    return roster.run(ctx, s, job, scheduled_for)
