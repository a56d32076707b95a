"""The voice kinds' policy sections (#24): the anonymous suggestion box (§2.3.3, §5.3.3) and the violations
ledger's graded response (§3.6.2, §5.2.3, §6.1.3, §3.2.3)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from bot.policy_base import HHMM, DurationField, PermissionRole, _Strict


class Suggestions(_Strict):
    """Suggestions reach the leadership channel in batches at these local times, so a post's time says nothing
    about when its sender wrote it; `daily_max` caps the whole box per day (no per-person limit: that would need
    to know the person)."""

    post_at: list[HHMM] = Field(min_length=1)
    daily_max: int = Field(ge=1, le=10_000)
    max_length: int = Field(ge=20, le=3000)


class Violations(_Strict):
    """§3.6.2: the n-th violation of a person within `window_days` takes step n (the last step repeats);
    a violation that caused an accident goes to the accountability procedure (追责). §3.2.3: the
    `suspend_after`-th one in a row asks `suspend_owner` to suspend call answering within `suspend_within_days`."""

    window_days: int = Field(ge=1, le=3650)
    steps: list[Literal["oral_warning", "written_notice", "pay_cut_transfer"]] = Field(min_length=1)
    suspend_after: int = Field(ge=1, le=100)
    suspend_owner: list[PermissionRole] = Field(min_length=1)
    suspend_within_days: int = Field(ge=0, le=90)
    appeal_within_days: int = Field(ge=1, le=90)


class AppraisalParts(_Strict):
    rectification: int = Field(ge=0, le=100)
    violations: int = Field(ge=0, le=100)
    accidents: int = Field(ge=0, le=100)


class YearEnd(_Strict):
    """§3.6.3 the year-end rule: a person whose annual safety score (the mean of the year's monthly scores) is
    under `pass_mark` failed the annual appraisal (no promotion); failed two years running, moved off the hotline.
    Listed for the leadership channel in January, on `day` at `time` (local), for the year before."""

    pass_mark: float = Field(ge=0, le=100)
    day: int = Field(ge=1, le=28)
    time: HHMM
    catch_up: DurationField


class Appraisal(_Strict):
    """§3.6.3: the safety indicators make up `weight`% of a person's performance appraisal. Each part scores
    0-100 for the month; the safety score is their weighted mean (`parts`, summing to 100)."""

    weight: int = Field(ge=0, le=100)
    parts: AppraisalParts
    per_violation: int = Field(ge=0, le=100)  # points off the violations part per violation in the month
    per_accident: int = Field(ge=0, le=100)  # points off the accidents part per accident caused by negligence
    per_flag: int = Field(ge=0, le=100)  # off the rectification part per item flagged on the person (§4.3.2)
    year_end: YearEnd

    @model_validator(mode="after")
    def _hundred(self):
        p = self.parts
        if p.rectification + p.violations + p.accidents != 100:
            raise ValueError("appraisal.parts must add up to 100")
        return self
