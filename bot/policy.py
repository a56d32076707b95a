"""The organisation file and the policy it carries, as validated data.

`bot.orgfile.load_org(path)` reads the YAML organisation file, deep-merges its `policy:`
overrides over the built-in policy (`policy_default.yaml`), validates the whole with the models here
and raises `ConfigError("path:line: where: what")` on the first problem.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator, model_validator

from bot.policy_base import (  # noqa: F401 - the building blocks, known to callers as bot.policy.*
    _CHANNEL_RE,
    _HHMM_RE,
    _USER_RE,
    CHANNEL_TARGETS,
    DEFAULT_PLANS_PATH,
    DEFAULT_POLICY_PATH,
    HHMM,
    LOCALES,
    PERSON_ROLES,
    PERSON_TARGETS,
    CatchUp,
    ChannelId,
    ConfigError,
    DurationField,
    Escalation,
    HazardEscalation,
    HazardPolicy,
    Level,
    Localized,
    Numbering,
    PermissionRole,
    RateLimit,
    ReportSection,
    Retention,
    Rung,
    Schedule,
    Target,
    UserId,
    Weekly,
    WorkingHours,
    _channel_id,
    _duration,
    _hhmm,
    _Strict,
    _user_id,
)
from bot.policy_incident import IncidentPolicy, Plan  # the incident section and emergency plans (#9)


class Answers(_Strict):
    """Answers to a person's refused click: at most one per person per `refusals_every` (a flood of refused clicks
    must not queue a flood of answers ahead of, or beside, a fire's card)."""

    refusals_every: DurationField

    @field_validator("refusals_every")
    @classmethod
    def _clock(cls, v):
        if v.working_days:
            raise ValueError("answers.refusals_every is a clock duration (s, m)")
        return v


class ThreadWork(_Strict):
    """Working a report from its card's thread (#13): what acknowledges besides the button."""

    acknowledge_by_reply: bool
    acknowledge_reactions: list[Annotated[str, Field(pattern=r"^[a-z0-9_+'\-]{1,64}$")]]


from bot.policy_checks import CalendarDays, Checklists, Checks, Drills, Shift  # noqa: E402 - §2.2, §3.1, §3.4 (#10)
from bot.policy_indicators import IndicatorsPolicy  # noqa: E402 - §6.2.1 (#22)
from bot.policy_rectification import RectificationPolicy  # noqa: E402 - §4.1, §4.3 (#11)
from bot.policy_risks import RisksPolicy  # noqa: E402 - §4.1, §4.1.1 (#21)
from bot.policy_training import Training  # noqa: E402 - §3.5 (#23)
from bot.policy_voice import Appraisal, Suggestions, Violations  # noqa: E402 - §2.3.3, §3.6.2 (#24)


class Policy(_Strict):
    numbering: dict[str, Numbering]
    hazard: HazardPolicy
    incident: IncidentPolicy
    permissions: dict[Literal["acknowledge", "resolve", "separate", "on_site", "change_level", "investigate",
                              "special_report", "postmortem", "assign", "assess", "submit_plan", "approve_plan",
                              "request_extension", "approve_extension", "complete", "verify", "reassign", "add_risk",
                              "review_risk", "complete_check", "run_drill",
                              "answer_suggestion", "violations", "decide_appeal", "appraisals",
                              "record_training", "note", "give_figures", "review_plan", "training_topic", "pick_star"],
                      list[PermissionRole]]
    rectification: RectificationPolicy
    escalation: HazardEscalation  # the hazards' (an incident's are its section's)
    working_hours: WorkingHours
    schedule: Schedule
    retention: Retention
    thread: ThreadWork
    answers: Answers
    checklists: Checklists
    checks: Checks
    drills: Drills
    suggestions: Suggestions
    violations: Violations
    appraisal: Appraisal
    training: Training
    indicators: IndicatorsPolicy
    risks: RisksPolicy  # #21 §4.1, §4.1.1: weekly risk observations, the register published

    def level(self, n: int) -> Level:
        return self.hazard.levels[n]


class Channels(_Strict):
    safety: ChannelId
    leadership: ChannelId | None = None


class People(_Strict):
    department_head: list[UserId] = []
    deputy: list[UserId] = []
    safety_officer: list[UserId] = []
    it: list[UserId] = []
    security: list[UserId] = []
    legal: list[UserId] = []
    leadership: list[UserId] = []  # further members of the leadership group (e.g. employee representatives)
    back_office: list[UserId] = []
    medical: list[UserId] = []  # first aid / the medical contact, paged for a personal injury (§5.2.1)
    facilities: list[UserId] = []  # facilities / the electrician: UPS and generator tests, circuit checks (§3.1)


class Team(_Strict):
    name: str = Field(min_length=1, max_length=80)
    channel: ChannelId | None = None
    supervisors: list[UserId] = []
    members: list[UserId] = []
    on_duty: list[UserId] = []  # the end-of-day check (#10)
    shifts: list[Shift] = []
    workstations: list[Annotated[str, Field(min_length=1, max_length=40)]] = []  # the weekly spot check's pool

    @field_validator("shifts")
    @classmethod
    def _unique_shifts(cls, v: list[Shift]) -> list[Shift]:
        names = [x.name for x in v]
        if len(set(names)) != len(names):
            raise ValueError("a team's shift names must be unique")
        return v

    def shift(self, name: str) -> Shift | None:
        return next((x for x in self.shifts if x.name == name), None)

    def shift_members(self, shift: Shift) -> list[str]:
        return list(shift.members if shift.members is not None else self.members)


class Organisation(_Strict):
    timezone: str = "Asia/Shanghai"
    locale: Literal["zh-CN", "en"] = "zh-CN"
    channels: Channels
    people: People = People()
    teams: list[Team] = []
    user_locales: dict[UserId, Literal["zh-CN", "en"]] = {}
    calendar: CalendarDays = CalendarDays()
    policy: Policy
    plans: dict[str, Plan] = {}

    @model_validator(mode="after")
    def _plans_named(self) -> "Organisation":
        for key, kind_ in self.policy.incident.categories.items():
            if kind_.plan is not None and kind_.plan not in self.plans:
                raise ValueError(f"incident kind {key!r} names plan {kind_.plan!r}, which is not under plans:")
        drills = self.policy.drills
        for key, kind_ in drills.kinds.items():
            if kind_.plan is not None and kind_.plan not in self.plans:
                raise ValueError(f"drill kind {key!r} names plan {kind_.plan!r}, which is not under plans:")
        checks = self.policy.checks
        if checks.finding_level not in self.policy.hazard.levels:
            raise ValueError(f"checks.finding_level {checks.finding_level} is not a hazard level")
        if checks.finding_category not in self.policy.hazard.categories:
            raise ValueError(f"checks.finding_category {checks.finding_category!r} is not a hazard category")
        if drills.problem_level not in self.policy.hazard.levels:
            raise ValueError(f"drills.problem_level {drills.problem_level} is not a hazard level")
        if drills.problem_category not in self.policy.hazard.categories:
            raise ValueError(f"drills.problem_category {drills.problem_category!r} is not a hazard category")
        items = self.policy.incident.corrective_items
        rect = self.policy.rectification
        if items.level not in self.policy.hazard.levels or items.category not in self.policy.hazard.categories:
            raise ValueError("incident.corrective_items: level and category are a hazard level and category")
        if items.likelihood not in rect.likelihood or items.impact not in rect.impact:
            raise ValueError("incident.corrective_items: likelihood and impact are keys of rectification's")
        return self

    @cached_property
    def question_bank(self):
        """The question bank (#23): the organisation's file (`training.bank`) or the built-in one; read and
        validated once (`bot.orgfile` reads it at load, so a malformed bank stops the start)."""
        from bot.policy_training import load_bank

        return load_bank(self.policy.training.bank_path())

    @cached_property
    def workdays(self):
        """The working-day calendar: the official one with this file's `calendar:` days on top."""
        from bot.workdays import WorkCalendar

        return WorkCalendar(self.calendar.holidays, self.calendar.workdays, self.calendar.country)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r} (use an IANA name like Asia/Shanghai)") from None
        return v

    @field_validator("teams")
    @classmethod
    def _unique_teams(cls, v: list[Team]) -> list[Team]:
        names = [t.name for t in v]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise ValueError(f"team names must be unique: {sorted(dup)}")
        return v

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, moment: dt.datetime) -> dt.datetime:
        return moment.astimezone(self.tz)


