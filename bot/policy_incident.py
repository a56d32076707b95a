"""The incident section of the policy (§3.2.2, §5.1.2, §5.2) and emergency plans (§3.4.1, §5.1.1).

Imported by `bot.policy` (which defines the common types first); the same rule holds: no defaults here,
every value comes from `policy_default.yaml` / `plans_default.yaml` and the organisation file.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.policy_base import (
    CHANNEL_TARGETS,
    HHMM,
    DurationField,
    Escalation,
    Localized,
    RateLimit,
    ReportSection,
    Rung,
    Target,
    _Strict,
)


class IncidentType(Localized):
    """A kind of incident (§3.2.2, §5.1.2, §5.2.1): its name, the level the policy proposes, the emergency
    plan that applies (a key of `plans:`), and who is paged besides the level's people."""

    level: int
    plan: str | None
    page: list[Target]  # told by DM at every level (paged on a paging level), #21 §2.3.2
    # #21 §2.3.2: the kind's partners (`page`) are due on site this long after the report; their On site stops the
    # clock, else the `on_site` ladder climbs. Absent: no such clock (only customer conflicts have one).
    on_site_within: DurationField | None = None


class FollowUp(_Strict):
    """An after-the-event task (special report, investigation): for which levels, who owns it, when it is due."""

    levels: list[int]
    owner: list[Target] = Field(min_length=1)
    due_within: DurationField


class CorrectiveItems(_Strict):
    """#21 §5.2.3: each corrective action becomes a rectification item, held by a hazard filed at this level and
    category (answered at once, like a drill's problem), its item of this risk (§4.1.3 matrix)."""

    level: int
    category: str  # a key of hazard.categories
    likelihood: str  # a key of rectification.likelihood
    impact: str  # a key of rectification.impact


class MonthlyCases(_Strict):
    """§5.2.3: the handled cases of the month before, published to the leadership channel on this day."""

    day: int = Field(ge=1, le=28)
    time: HHMM
    catch_up: DurationField


class IncidentEscalation(Escalation):
    special_report: list[Rung] = Field(min_length=1)
    investigation: list[Rung] = Field(min_length=1)
    on_site: list[Rung] = Field(min_length=1)  # the partners not on site in time (#21, §2.3.2)

    @field_validator("special_report", "investigation", "on_site")
    @classmethod
    def _ordered_too(cls, v: list[Rung]) -> list[Rung]:
        return Escalation._ordered(v)


class IncidentPolicy(ReportSection):
    categories: dict[str, IncidentType] = Field(min_length=1)  # the kinds of incident
    affected_max: int = Field(ge=10, le=2900)
    page_levels: list[int]  # these levels page at once: DM to every person named, @mention in the channels
    page_channels: list[Literal[CHANNEL_TARGETS]]  # type: ignore[valid-type]
    special_report: FollowUp
    investigation: FollowUp
    corrective_action_within: DurationField  # a corrective action's default due date, from the investigation
    corrective_items: CorrectiveItems  # #21 §5.2.3 how each corrective action is filed as a rectification item
    plan_review_within: DurationField  # a plan not reviewed for this long is stale (§5.1.1: updated quarterly)
    postmortem_levels: list[int]
    monthly_cases: MonthlyCases
    escalation: IncidentEscalation
    # One person's flood (a prank, a stuck script) must not page everyone again and again: at most `max`
    # reports (hazards and incidents) per person in `window`, paging levels never refused; a person's further
    # paging incidents within `group_window` join their first one (its thread, their own number and words).
    rate_limit: RateLimit | None
    group_window: DurationField | None

    @model_validator(mode="after")
    def _known_levels(self) -> "IncidentPolicy":
        for key, kind_ in self.categories.items():
            if kind_.level not in self.levels:
                raise ValueError(f"incident kind {key!r} proposes level {kind_.level}, which is not a level")
            if kind_.on_site_within is not None and (kind_.on_site_within.working_days or not kind_.page):
                raise ValueError(f"incident kind {key!r}: on_site_within is a clock duration and needs `page:` people")
        return self


class Plan(_Strict):
    """An emergency plan (§3.4.1, §5.1.1): built-in templates in `plans_default.yaml`, merged with `plans:`."""

    name: Localized
    aliases: list[str]  # what people type after /plan, besides the key and the names
    template: bool  # still the built-in wording: the organisation should adapt it
    reviewed: dt.date | None  # last review (§5.1.1: quarterly)
    trigger: Localized
    steps: list[Localized] = Field(min_length=1)
    responsible: list[Target] = Field(min_length=1)
    contacts: list[Localized]
    evacuation_route: Localized
    assembly_point: Localized
