"""What indicators plug into the core (#22; bot/registry.py): the monthly safety report's job."""

from __future__ import annotations

from bot.indicators import jobs, tiles
from bot.registry import JobArea, Kind

INDICATORS = Kind(
    name="indicators",
    jobs=(JobArea(jobs.JOB, jobs.triggers, jobs.catch_up, jobs.run, exact=True, own_claim=True),),
    home=tiles.home_parts,
)
