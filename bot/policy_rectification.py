"""The rectification section of the policy (整改, §4.3; risk assessment and the register, §4.1; supervised
items, §6.1.2).

Imported by `bot.policy` (which defines the common types first); the same rule holds: no defaults here,
every value comes from `policy_default.yaml` and the organisation file.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.policy_base import CHANNEL_TARGETS, HHMM, PERSON_TARGETS, DurationField, Localized, _Strict

LIKELIHOODS = ("high", "medium", "low")
IMPACTS = ("severe", "general", "minor")
RISKS = ("high", "medium", "low")
Risk = Literal[RISKS]  # type: ignore[valid-type]
# A rung of the overdue ladder may also name the item's owner (accountable and assigned people).
RectTarget = Literal[PERSON_TARGETS + CHANNEL_TARGETS + ("owner",)]  # type: ignore[valid-type]
# Who owns an item of a risk level (§4.3.1): a role, the reporter's team supervisors, or the reporter.
OwnerRole = Literal["department_head", "deputy", "safety_officer", "team_supervisors", "reporter"]


class RectRung(_Strict):
    after: DurationField
    notify: list[RectTarget] = Field(min_length=1)
    via: list[Literal["thread", "dm", "channel"]] = Field(min_length=1)


class Reminders(_Strict):
    """Reminders to the owner before the deadline: at these shares of the time allowed, and this long before it."""

    fractions: list[float]
    before: list[DurationField]

    @field_validator("fractions")
    @classmethod
    def _share(cls, v: list[float]) -> list[float]:
        if any(not 0 < f < 1 for f in v):
            raise ValueError("a reminder share is between 0 and 1 (0.5: half-time)")
        return v


class Extension(_Strict):
    max_requests: int = Field(ge=0, le=10)
    longest: DurationField  # how far past the current deadline a new date may be


class Review(_Strict):
    """The register's review (§4.1: quarterly): in these months, on this day, at this local time."""

    months: list[int] = Field(min_length=1)
    day: int = Field(ge=1, le=28)
    time: HHMM
    notify: list[RectTarget] = Field(min_length=1)
    catch_up: DurationField  # a reminder missed while SafeShift was down is made up when at most this old


# Steps that decide on someone's own work (§4.3.1 approval by the leadership group, §4.3.3 verification by the
# safety officer): the author of the plan, the extension request or the completion report may not take them.
OwnWorkStep = Literal["approve_plan", "approve_extension", "verify"]
# Who the step goes to, rung by rung, when the author is the only person the permission names.
OwnWorkRung = Literal["department_head", "deputy", "safety_officer", "leadership"]


class RectificationPolicy(_Strict):
    likelihood: dict[Literal[LIKELIHOODS], Localized]  # type: ignore[valid-type]
    impact: dict[Literal[IMPACTS], Localized]  # type: ignore[valid-type]
    levels: dict[Risk, Localized]
    matrix: dict[Literal[LIKELIHOODS], dict[Literal[IMPACTS], Risk]]  # type: ignore[valid-type]
    owner: dict[Risk, OwnerRole]
    deadline: dict[Risk, DurationField]
    plan_within: dict[Risk, DurationField]  # §4.1.3 the plan is due this long after the assessment
    approve_within: DurationField  # §4.3.1 the leadership group decides on a submitted plan within this
    reopen_within: dict[Risk, DurationField]
    reminders: Reminders
    escalation: list[RectRung] = Field(min_length=1)
    extension: Extension
    photos_required: list[Risk]
    recurrence_window: DurationField
    supervisor_flag_after: int = Field(ge=2, le=10)
    dates_within: DurationField  # a day picked on a form (plan target, corrective action): today to this far ahead
    review: Review
    text_max: int = Field(ge=20, le=2900)
    own_work: dict[OwnWorkStep, list[OwnWorkRung]]

    @model_validator(mode="after")
    def _complete(self) -> "RectificationPolicy":
        for name, keys in (("likelihood", LIKELIHOODS), ("impact", IMPACTS), ("levels", RISKS),
                           ("owner", RISKS), ("deadline", RISKS), ("plan_within", RISKS), ("reopen_within", RISKS)):
            missing = [k for k in keys if k not in getattr(self, name)]
            if missing:
                raise ValueError(f"rectification.{name} must name {', '.join(missing)}")
        for li in LIKELIHOODS:
            missing = [im for im in IMPACTS if im not in self.matrix.get(li, {})]
            if missing:
                raise ValueError(f"rectification.matrix.{li} must name {', '.join(missing)}")
        if any(d.working_days for d in list(self.deadline.values()) + list(self.reopen_within.values())
               + list(self.plan_within.values()) + [self.approve_within]):
            raise ValueError("rectification deadlines are clock durations (h, d, w), not working days")
        if any(r.after.working_days for r in self.escalation) or \
                [r.after.seconds for r in self.escalation] != sorted(r.after.seconds for r in self.escalation):
            raise ValueError("rectification.escalation: clock durations, in order of `after`")
        if any(not 1 <= m <= 12 for m in self.review.months):
            raise ValueError("rectification.review.months are 1..12")
        return self

    def risk(self, likelihood: str, impact: str) -> str:
        return self.matrix[likelihood][impact]
