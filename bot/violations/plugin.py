"""What the violations ledger plugs into the core (#24; bot/registry.py): `/violation` and `/appraisal` (the ledger
feeds the safety score), and the year-end list in January (§3.6.3)."""

from __future__ import annotations

from bot import ids
from bot.registry import JobArea, Kind
from bot.violations import appraisal, yearly

VIOLATIONS = Kind(name="violations", commands=(ids.VIOLATION_COMMAND, ids.APPRAISAL_COMMAND),
                  home=appraisal.home_blocks,
                  jobs=(JobArea(yearly.JOB, yearly.triggers, yearly.catch_up, yearly.run, exact=True),))
