"""The scheduler's entry for checks (bot/jobs.py AREAS): the shift and daily checklists (`checks:shift…`,
bot/checks/shifts.py) and the recurring checks (`checks:every…`, bot/checks/recurring.py)."""

from __future__ import annotations

from bot.checks import recurring, shifts

PREFIX = "checks:"


def _parts():
    return (shifts, recurring)


def triggers(org) -> dict:
    out: dict = {}
    for part in _parts():
        out.update(part.triggers(org))
    return out


def _part(job: str):
    for part in _parts():
        if job.startswith(part.PREFIX):
            return part
    raise KeyError(job)


def catch_up(org, job: str):
    return _part(job).catch_up(org, job)


def run(ctx, s, job: str, scheduled_for) -> list[dict]:
    return _part(job).run(ctx, s, job, scheduled_for)
