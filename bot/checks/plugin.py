"""What checks plug into the core (#18; bot/registry.py): a check task's timers and the checklists' jobs."""

from __future__ import annotations

from sqlalchemy import select

from bot import ids
from bot.checks import SUBJECT, coverage, deadlines, jobs
from bot.checks.digest import digest_part
from bot.checks.home import home_parts
from bot.registry import JobArea, Kind, TimerHandler
from storage.models import CheckTask


def _load(s, task_ids: set) -> dict:
    return {t.id: t for t in s.execute(select(CheckTask).where(CheckTask.id.in_(task_ids)).with_for_update()).scalars()}


CHECKS = Kind(
    name="checks",
    timers=(TimerHandler(SUBJECT, _load, deadlines.fire, purposes=deadlines.PURPOSES),),
    jobs=(JobArea(jobs.PREFIX, jobs.triggers, jobs.catch_up, jobs.run),),
    home=home_parts,
    digest=digest_part,
    commands=(ids.SAFESHIFT_COMMAND,),
    warnings=coverage.warnings,
)
