"""The policy's building blocks (#18: below the policy and its sections, so none of them imports another in a
circle): durations, times of day, Slack ids, roles and targets, localized words, a report section's levels, rate
limits and ladders, working hours, the schedule and retention. `bot/policy.py` puts the sections together."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
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


class HazardCategory(Localized):
    """A hazard category (#21). `responders` join the level's (§4.2.3 三级隐患由IT团队修复: equipment → IT): they hold
    the report, may acknowledge it, and every `responders` rung of its ladders names them. `answer_within`: they are
    due to answer this long after the report (§3.1.3 IT answers an equipment repair within 4 h); one of them
    acknowledging, resolving or replying in the card's thread stops it, else `escalation.answer` climbs."""

    responders: list[Target] = []  # type: ignore[valid-type]
    answer_within: DurationField | None = None

    @model_validator(mode="after")
    def _answer_needs_people(self) -> "HazardCategory":
        if self.answer_within is not None and (self.answer_within.working_days or not self.responders):
            raise ValueError("a category's answer_within is a clock duration and needs `responders:`")
        return self


class HazardPolicy(ReportSection):
    categories: dict[str, HazardCategory] = Field(min_length=1)  # type: ignore[assignment]
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


class HazardEscalation(Escalation):
    """The hazards' ladders: acknowledge, resolve, and (#21, §3.1.3) a category's responders not answering in time."""

    answer: list[Rung] = Field(min_length=1)

    @field_validator("answer")
    @classmethod
    def _ordered_too(cls, v: list[Rung]) -> list[Rung]:
        return Escalation._ordered(v)


class WorkingHours(_Strict):
    start: HHMM
    end: HHMM
    days: Literal["every_day", "working_days"]
    # #21 (§2.3.1, §6.2.1): `shifts`: a team with shifts also counts as working whenever one of its shifts runs (a
    # reminder for a team on shift till midnight goes at 23:00); `fixed`: only the hours above.
    teams: Literal["shifts", "fixed"]


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


def read_config(path: str | Path, what: str, missing: str) -> tuple[str, str]:
    """(text, path) of a configuration file (`what`, e.g. "the organisation file"), or a ConfigError in one line:
    `missing` says what to do when it does not exist."""
    p = Path(path)
    try:
        return p.read_text(encoding="utf-8"), str(p)
    except FileNotFoundError:
        raise ConfigError(f"{p}: {what} does not exist ({missing})") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read {what}: {exc.strerror}") from None


def line_of(node: "yaml.Node | None", loc: tuple) -> int | None:
    """Follow a pydantic error location through the YAML node tree."""
    if node is None:
        return None
    line = node.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if str(key_node.value) == str(part):
                    node = value_node
                    line = node.start_mark.line + 1
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line
