"""The organisation file and the policy it carries, as validated data.

`load_org(path)` reads the YAML organisation file, deep-merges its `policy:`
overrides over the built-in policy (`policy_default.yaml`), validates the whole
and raises `ConfigError("path:line: where: what")` on the first problem.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator

from bot.durations import Duration, parse_duration

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy_default.yaml")
DEFAULT_PLANS_PATH = Path(__file__).with_name("plans_default.yaml")
LOCALES = ("zh-CN", "en")

PERSON_ROLES = ("department_head", "deputy", "safety_officer", "it", "security", "legal", "leadership", "back_office",
                "medical", "facilities")
# Targets a rule may name: people by role, computed groups, and channels.
PERSON_TARGETS = PERSON_ROLES + ("team_supervisors", "responders", "reporter")
CHANNEL_TARGETS = ("leadership_channel", "safety_channel", "team_channel")

_USER_RE = re.compile(r"^[UW][A-Z0-9]{2,}$")
_CHANNEL_RE = re.compile(r"^[CGD][A-Z0-9]{2,}$")
_HHMM_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


class ConfigError(Exception):
    """The organisation file is invalid; the message carries path and line."""


def _duration(v: Any) -> Duration:
    if isinstance(v, Duration):
        return v
    return parse_duration(v)


DurationField = Annotated[Duration, BeforeValidator(_duration)]


def _hhmm(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 24 * 60:
        v = f"{v // 60:02d}:{v % 60:02d}"  # YAML 1.1 reads an unquoted 08:30 as the number 510
    if not isinstance(v, str) or not _HHMM_RE.match(v):
        raise ValueError(f"not a time of day HH:MM: {v!r}")
    return v


HHMM = Annotated[str, BeforeValidator(_hhmm)]


def _user_id(v: Any) -> str:
    if not isinstance(v, str) or not _USER_RE.match(v):
        raise ValueError(f"not a Slack user ID: {v!r} (like U0123ABC)")
    return v


def _channel_id(v: Any) -> str:
    if not isinstance(v, str) or not _CHANNEL_RE.match(v):
        raise ValueError(f"not a Slack channel ID: {v!r} (like C0123ABC)")
    return v


UserId = Annotated[str, BeforeValidator(_user_id)]
ChannelId = Annotated[str, BeforeValidator(_channel_id)]
Target = Literal[PERSON_TARGETS + CHANNEL_TARGETS]  # type: ignore[valid-type]
# "owner": the accountable or assigned person of a rectification item (bot/rectification)
# `paged`: whoever a report's page asks to respond at once (incident.page_levels), so the page's words and the
# permission come from one list.
PermissionRole = Literal[PERSON_ROLES + ("team_supervisors", "team_members", "anyone", "owner", "paged")]  # type: ignore[valid-type]


# Every policy value comes from policy_default.yaml (merged with the organisation's overrides):
# the models below validate, they carry no defaults of their own.


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True, frozen=True)


class Localized(_Strict):
    """A text in both languages."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    en: str = Field(min_length=1)
    zh_CN: str = Field(alias="zh-CN", min_length=1)

    def get(self, locale: str) -> str:
        return self.zh_CN if locale == "zh-CN" else self.en


class Numbering(_Strict):
    prefix: str = Field(pattern=r"^[A-Z]{1,6}$")
    digits: int = Field(ge=3, le=10)


class Level(_Strict):
    name: Localized
    hint: Localized
    respond_within: DurationField
    resolve_within: DurationField
    responders: list[Target] = Field(min_length=1)
    notify: list[Target] = []
    ignore_working_hours: bool = False
    urgent: bool = False


class RateLimit(_Strict):
    max: int = Field(ge=1, le=10_000)
    window: DurationField
    exempt_levels: list[int] = []


class ReportSection(_Strict):
    """What every kind of report has (hazard, incident): text limits, categories and levels."""

    description_max: int = Field(ge=20, le=2900)
    location_max: int = Field(ge=10, le=500)
    suggestion_max: int = Field(ge=20, le=2900)  # also the limit of a resolution note
    categories: dict[str, Localized] = Field(min_length=1)
    levels: dict[int, Level] = Field(min_length=1)

    @field_validator("categories")
    @classmethod
    def _cat_keys(cls, v: dict[str, Localized]) -> dict[str, Localized]:
        for key in v:
            if not re.match(r"^[a-z][a-z0-9_]{0,40}$", key):
                raise ValueError(f"category key {key!r} must be lower_snake_case")
        return v


class HazardPolicy(ReportSection):
    max_photos: int = Field(ge=0, le=10)
    group_window: DurationField | None
    rate_limit: RateLimit | None


class Rung(_Strict):
    after: DurationField
    notify: list[Target] = Field(min_length=1)
    via: list[Literal["thread", "dm", "channel"]] = Field(min_length=1)


class Escalation(_Strict):
    acknowledge: list[Rung] = Field(min_length=1)
    resolve: list[Rung] = Field(min_length=1)

    @field_validator("acknowledge", "resolve")
    @classmethod
    def _ordered(cls, v: list[Rung]) -> list[Rung]:
        afters = [r.after.seconds for r in v]
        if any(r.after.working_days for r in v):
            raise ValueError("escalation waits are clock durations (s, m, h, d), not working days")
        if afters != sorted(afters):
            raise ValueError("rungs must be in order of `after`")
        return v


class WorkingHours(_Strict):
    start: HHMM
    end: HHMM
    days: Literal["every_day", "working_days"]


    @model_validator(mode="after")
    def _span(self) -> "WorkingHours":
        if self.start >= self.end:
            raise ValueError("working_hours.start must be before end")
        return self


class Weekly(_Strict):
    weekday: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    time: HHMM



class CatchUp(_Strict):
    daily_digest: DurationField
    weekly_summary: DurationField
    purge: DurationField


class Schedule(_Strict):
    daily_digest: HHMM
    weekly_summary: Weekly
    response_target: DurationField
    catch_up: CatchUp



class Retention(_Strict):
    operation_log: DurationField
    reports: DurationField | None
    delivered_messages: DurationField
    processed_events: DurationField
    purge_at: HHMM


    @field_validator("operation_log", "reports", "delivered_messages", "processed_events")
    @classmethod
    def _clock(cls, v):
        if v is not None and v.working_days:
            raise ValueError("retention is a clock duration (d, w), not working days")
        return v


# The incident section and emergency plans (#9) live next door; they build on the types above.
from bot.policy_incident import IncidentPolicy, Plan  # noqa: E402


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


from bot.policy_rectification import RectificationPolicy  # noqa: E402 - §4.1, §4.3 (#11)
from bot.policy_checks import CalendarDays, Checklists, Checks, Drills, Shift  # noqa: E402 - §2.2, §3.1, §3.4 (#10)


class Policy(_Strict):
    numbering: dict[str, Numbering]
    hazard: HazardPolicy
    incident: IncidentPolicy
    permissions: dict[Literal["acknowledge", "resolve", "separate", "on_site", "change_level", "investigate",
                              "special_report", "postmortem", "assign", "assess", "submit_plan", "approve_plan",
                              "request_extension", "approve_extension", "complete", "verify", "reassign", "add_risk",
                              "review_risk", "complete_check", "run_drill"], list[PermissionRole]]
    rectification: RectificationPolicy
    escalation: Escalation
    working_hours: WorkingHours
    schedule: Schedule
    retention: Retention
    thread: ThreadWork
    answers: Answers
    checklists: Checklists
    checks: Checks
    drills: Drills

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
        if drills.problem_level not in self.policy.hazard.levels:
            raise ValueError(f"drills.problem_level {drills.problem_level} is not a hazard level")
        if drills.problem_category not in self.policy.hazard.categories:
            raise ValueError(f"drills.problem_category {drills.problem_category!r} is not a hazard category")
        return self

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


# Reading the file (YAML, the built-in policy merged under it, errors with their line) lives next door.
from bot.orgfile import default_plans_data, default_policy_data, load_org, parse_org  # noqa: E402,F401
