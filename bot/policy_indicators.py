"""The indicators' policy (#22, §6.2.1): when the monthly report goes out, and every target. No value here: they
come from `policy_default.yaml` (`indicators:`) and the organisation file."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from bot.policy_base import HHMM, DurationField, _Strict

TARGET_KEYS = ("training_participation", "rectification_rate", "drill_pass_rate", "pre_shift_completion",
               "scheduled_check_completion", "major_accidents", "safety_complaint_share", "level1_response_minutes",
               "conflict_rate", "emergency_on_site_minutes", "overdue_rectification", "supervisors_flagged")


class MonthlyReport(_Strict):
    day: int = Field(ge=1, le=28)
    time: HHMM
    catch_up: DurationField
    charts: bool = True


class IndicatorsPolicy(_Strict):
    report: MonthlyReport
    targets: dict[str, float | None]
    # §6.2.1 per-role weighting: which indicators each role is judged on (agents: following procedure; supervisors:
    # their team's rectification rate; the head: the department's targets). Shown beside the report.
    weighting: dict[Literal["agent", "supervisor", "department_head", "deputy", "safety_officer"], list[str]] = {}

    @field_validator("targets")
    @classmethod
    def _known(cls, v: dict) -> dict:
        for key in v:
            if key not in TARGET_KEYS:
                raise ValueError(f"indicators.targets: unknown indicator {key!r}")
        return v

    @field_validator("weighting")
    @classmethod
    def _weights(cls, v: dict) -> dict:
        for role, keys in v.items():
            for key in keys:
                if key not in TARGET_KEYS:
                    raise ValueError(f"indicators.weighting.{role}: unknown indicator {key!r}")
        return v
