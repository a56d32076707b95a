"""The routine that prevents accidents, as policy (#10): shifts, checklists, recurring checks and drills
(§2.2, §3.1, §3.4, §4.2, §6.1.1), and the organisation's own working-day calendar entries.

Imported by `bot.policy` (which defines the common types first); the same rule holds: no policy value here,
every value comes from `policy_default.yaml` and the organisation file.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.policy_base import CHANNEL_TARGETS, HHMM, PERSON_TARGETS, DurationField, Localized, UserId, _Strict
from bot.policy_rectification import IMPACTS, LIKELIHOODS
from bot.workdays import WEEKDAYS  # noqa: F401 - re-exported: the one list of day names

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
Days = Literal["every_day", "working_days"]
# Who a check or checklist goes to: people by role; `team_supervisors` and `on_duty` make one per team.
CheckOwner = Literal[PERSON_TARGETS + ("on_duty",)]  # type: ignore[valid-type]
# A rung of a check's overdue ladder may also name the check's owners.
CheckTarget = Literal[PERSON_TARGETS + CHANNEL_TARGETS + ("owner",)]  # type: ignore[valid-type]


def _keys(v: dict, what: str) -> dict:
    for key in v:
        if not _KEY.match(str(key)):
            raise ValueError(f"{what} key {key!r} must be lower_snake_case")
    return v


def hhmm_minutes(value: str) -> int:
    h, m = value.split(":")
    return int(h) * 60 + int(m)


# --------------------------------------------------------------------------- the organisation file
class Shift(_Strict):
    """A team's shift: `members` default to the team's own; `end` may be "00:00" (ends at midnight) or earlier
    than `start` (runs past midnight)."""

    name: str = Field(min_length=1, max_length=40)
    start: HHMM
    end: HHMM
    days: Days = "every_day"
    members: list[UserId] | None = None

    @model_validator(mode="after")
    def _length(self) -> "Shift":
        if self.start == self.end:
            raise ValueError("a shift's start and end must differ")
        return self

    def length(self) -> dt.timedelta:
        minutes = (hhmm_minutes(self.end) - hhmm_minutes(self.start)) % (24 * 60)
        return dt.timedelta(minutes=minutes)


class CalendarDays(_Strict):
    """Days the organisation adds to the official calendar: a newer notice, or a local arrangement."""

    country: str = "CN"  # the `holidays` package's country code: mainland China's calendar by default
    holidays: list[dt.date] = []
    workdays: list[dt.date] = []  # weekend days worked (调休上班)

    @field_validator("country")
    @classmethod
    def _known(cls, v: str) -> str:
        import holidays

        if v not in holidays.list_supported_countries():
            raise ValueError(f"unknown country {v!r} for the working-day calendar (use a code like CN)")
        return v

    @model_validator(mode="after")
    def _apart(self) -> "CalendarDays":
        both = set(self.holidays) & set(self.workdays)
        if both:
            raise ValueError(f"a day cannot be both a holiday and a working day: {sorted(both)[0]}")
        return self


# --------------------------------------------------------------------------- policy: checklists
class Checklist(_Strict):
    """A checklist of items, either tied to each shift (`before` its start) or daily (`at` a local time)."""

    before: DurationField | None = None
    at: HHMM | None = None
    days: Days = "every_day"  # daily checklists only; a shift's own `days` rule shift checklists
    missing_after: DurationField
    owner: list[CheckOwner] = []  # daily checklists; a shift checklist's owners are fixed by its kind
    missing_to: list[CheckOwner] = Field(min_length=1)  # who gets the names of those who have not done it
    items: dict[str, Localized] = Field(min_length=1, max_length=10)  # Slack: at most 10 checkboxes

    @field_validator("items")
    @classmethod
    def _item_keys(cls, v: dict) -> dict:
        return _keys(v, "checklist item")

    @model_validator(mode="after")
    def _when(self) -> "Checklist":
        if (self.before is None) == (self.at is None):
            raise ValueError("a checklist has either `before` (each shift) or `at` (a time each day)")
        for d in (self.before, self.missing_after):
            if d is not None and d.working_days:
                raise ValueError("checklist times are clock durations (m, h), not working days")
        return self


class Checklists(_Strict):
    pre_shift: Checklist  # §2.2.3 each agent before the shift: workstation and equipment
    briefing: Checklist  # §2.2.2 the supervisor's pre-shift briefing (班前会)
    end_of_day: Checklist  # the on-duty person: non-essential power off, no fire sources
    patrol: Checklist  # §2.2.1 the safety officer's daily patrol

    @model_validator(mode="after")
    def _kinds(self) -> "Checklists":
        for name in ("pre_shift", "briefing"):
            if getattr(self, name).before is None:
                raise ValueError(f"checklists.{name} is tied to shifts: give `before`, not `at`")
        for name in ("end_of_day", "patrol"):
            if getattr(self, name).at is None:
                raise ValueError(f"checklists.{name} is daily: give `at`, not `before`")
        if not self.patrol.owner:
            raise ValueError("checklists.patrol.owner names who patrols (e.g. [safety_officer])")
        return self


# --------------------------------------------------------------------------- policy: recurring checks
class CheckRung(_Strict):
    after: DurationField
    notify: list[CheckTarget] = Field(min_length=1)
    via: list[Literal["dm", "channel"]] = Field(min_length=1)


class Check(_Strict):
    """A recurring check (§3.1, §4.2.2, §6.1.1): when it is issued, to whom, by when it is due."""

    name: Localized
    every: Literal["week", "month", "quarter"]
    weekday: Literal[WEEKDAYS] | None = None  # type: ignore[valid-type]  # every week
    day: int | None = Field(default=None, ge=1, le=28)  # every month / quarter
    months: list[int] = []  # every quarter: the months it is issued in
    time: HHMM
    due_within: DurationField
    owner: list[CheckOwner] = Field(min_length=1)
    sample: float | None = Field(default=None, gt=0, le=1)  # a spot check: this share of the team's workstations
    hint: Localized | None = None
    # #21 §2.2.2, §4.2.2, §6.1.1: Done asks for what the check found (a form: its minutes, summary or findings, and
    # a problem list, one a line; each problem becomes a hazard in one click). None: a plain Done button.
    content: Literal["minutes", "summary", "findings"] | None = None
    # #21 §4.1.1: figures posted in the check's thread as it is issued (the past twelve months' hazards)
    attach: Literal["hazards_past_year"] | None = None

    @model_validator(mode="after")
    def _cadence(self) -> "Check":
        if self.every == "week" and self.weekday is None:
            raise ValueError("a weekly check names its `weekday`")
        if self.every in ("month", "quarter") and self.day is None:
            raise ValueError("a monthly or quarterly check names its `day` of the month (1-28)")
        if self.every == "quarter" and (len(self.months) != 4 or any(not 1 <= m <= 12 for m in self.months)):
            raise ValueError("a quarterly check names its four `months` (1-12)")
        return self


class Checks(_Strict):
    reminders: list[DurationField]  # to the owners, this long before the due time
    escalation: list[CheckRung] = Field(min_length=1)  # `after` counts from the due time
    every: dict[str, Check]
    # #21: a problem a check recorded becomes a hazard of this level and category (keys of hazard.levels/categories)
    finding_level: int
    finding_category: str
    problems_max: int = Field(ge=1, le=40)  # problems one check records (each a line with its button)

    @field_validator("every", mode="before")
    @classmethod
    def _switched_off(cls, v):
        # The organisation file merges over the built-in checks: `name: null` switches one off.
        return {k: c for k, c in v.items() if c is not None} if isinstance(v, dict) else v

    @field_validator("every")
    @classmethod
    def _check_keys(cls, v: dict) -> dict:
        return _keys(v, "check")

    @model_validator(mode="after")
    def _ordered(self) -> "Checks":
        afters = [r.after.seconds for r in self.escalation]
        if any(r.after.working_days for r in self.escalation) or afters != sorted(afters):
            raise ValueError("checks.escalation: clock durations, in order of `after`")
        if any(r.working_days for r in self.reminders):
            raise ValueError("checks.reminders are clock durations (m, h, d)")
        return self


# --------------------------------------------------------------------------- policy: drills
class DrillKind(_Strict):
    name: Localized
    months: list[int] = Field(min_length=1)  # the months a drill of this kind is held in (§3.4.2 cadence)
    day: int = Field(ge=1, le=28)  # its day (moved to the next working day when it is a day off)
    time: HHMM
    plan: str | None = None  # the emergency plan exercised (a key under `plans:`)

    @field_validator("months")
    @classmethod
    def _months(cls, v: list[int]) -> list[int]:
        if any(not 1 <= m <= 12 for m in v) or len(set(v)) != len(v):
            raise ValueError("drill months are distinct numbers 1-12")
        return sorted(v)


class Drills(_Strict):
    pass_score: int = Field(ge=0, le=100)  # §6.2.1 a drill passes at this score
    problem_within: DurationField  # §3.4.2 each problem found: a rectification item due within this
    problem_level: int  # the hazard level a problem is filed at
    problem_category: str  # and its category (a key of hazard.categories)
    # and the risk of its rectification item (§4.1.3 matrix: who owns it, and the item's risk level)
    problem_likelihood: Literal[LIKELIHOODS]  # type: ignore[valid-type]
    problem_impact: Literal[IMPACTS]  # type: ignore[valid-type]
    notices: list[DurationField] = Field(min_length=1)  # notices this long before the drill (7d, 1d)
    notice_time: HHMM  # local time notices go out
    owner: list[CheckOwner] = Field(min_length=1)  # who runs and evaluates drills
    announce: list[CheckTarget] = Field(min_length=1)  # where notices go
    report_to: list[CheckTarget] = Field(min_length=1)  # where the evaluation report goes
    horizon: DurationField  # how far ahead the drill calendar is laid out
    kinds: dict[str, DrillKind] = Field(min_length=1)

    @field_validator("kinds")
    @classmethod
    def _kind_keys(cls, v: dict) -> dict:
        return _keys(v, "drill kind")

    @model_validator(mode="after")
    def _notices(self) -> "Drills":
        if any(d.working_days for d in self.notices) or len({d.seconds for d in self.notices}) != len(self.notices):
            raise ValueError("drills.notices are distinct clock durations (d, w), not working days")
        if self.horizon.working_days:
            raise ValueError("drills.horizon is a clock duration (w, d)")
        return self
