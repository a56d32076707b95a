"""What the violations ledger plugs into the core (#24; bot/registry.py): `/violation` and `/appraisal` (the ledger feeds the safety score)."""

from __future__ import annotations

from bot import ids
from bot.registry import Kind
from bot.violations import appraisal

VIOLATIONS = Kind(name="violations", commands=(ids.VIOLATION_COMMAND, ids.APPRAISAL_COMMAND),
                  home=appraisal.home_blocks)
