"""What indicators plug into the core (#22; bot/registry.py): the monthly safety report's job, the Home tab's
tiles, the daily digest's yesterday and the weekly summary's part for the hazard-analysis meeting (§4.2.3)."""

from __future__ import annotations

from bot.indicators import jobs, tiles, weekly
from bot.registry import JobArea, Kind

INDICATORS = Kind(
    name="indicators",
    jobs=(JobArea(jobs.JOB, jobs.triggers, jobs.catch_up, jobs.run, exact=True, own_claim=True),),
    home=tiles.home_parts,
    digest=tiles.digest_part,
    extra={"weekly_sections": weekly.sections},
)
