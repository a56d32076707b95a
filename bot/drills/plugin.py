"""What drills plug into the core (#18; bot/registry.py): the daily job that lays out the calendar and sends notices."""

from __future__ import annotations

from bot import ids
from bot.drills import jobs
from bot.registry import JobArea, Kind

DRILLS = Kind(
    name="drills",
    jobs=(JobArea(jobs.PREFIX, jobs.triggers, jobs.catch_up, jobs.run),),
    commands=(ids.DRILL_COMMAND,),
)
