"""A kind of report as data: everything the engine needs comes from the kind's policy section.

Adding a kind is adding its policy section (numbering prefix, levels, categories, limits,
ladders), its templates and its words; nothing in the engine names a kind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.policy import Escalation, HazardPolicy, Level, Numbering, Organisation


@dataclass(frozen=True)
class Kind:
    name: str  # "hazard"
    numbering: Numbering
    section: HazardPolicy  # levels, categories, limits, grouping, rate limit
    escalation: Escalation
    permissions: dict

    def level(self, n: int) -> Level:
        return self.section.levels[n]

    def number(self, year: int, seq: int) -> str:
        return f"{self.numbering.prefix}-{year}-{seq:0{self.numbering.digits}d}"

    def level_name(self, n: int, locale: str) -> str:
        lvl = self.section.levels.get(n)
        return lvl.name.get(locale) if lvl else str(n)

    def category_name(self, key: str, locale: str) -> str:
        cat = self.section.categories.get(key)
        return cat.get(locale) if cat else key

    def ladder(self, purpose: str):
        return getattr(self.escalation, purpose)


def kind(org: Organisation, name: str = "hazard") -> Kind:
    """The kind `name` of this organisation's policy."""
    policy = org.policy
    section = getattr(policy, name)
    return Kind(name=name, numbering=policy.numbering[name], section=section,
                escalation=getattr(section, "escalation", None) or policy.escalation,
                permissions=policy.permissions)


def kind_of_number(org: Organisation, number: str) -> Kind | None:
    prefix = number.split("-", 1)[0]
    for name, numbering in org.policy.numbering.items():
        if numbering.prefix == prefix and hasattr(org.policy, name):
            return kind(org, name)
    return None


def kind_of_report(org: Organisation, report) -> Kind:
    return kind(org, report.kind or "hazard")


# --------------------------------------------------------------------------- deadlines
# Which deadline applies to a report is decided here and only here (card, ladder, digest, Home).
PURPOSES = ("acknowledge", "resolve")


def deadline(report, purpose: str) -> dt.datetime:
    """The moment `purpose` (acknowledge | resolve) of `report` is due."""
    return report.respond_due_at if purpose == "acknowledge" else report.resolve_due_at


def current_step(report) -> str | None:
    """What the report is waiting for now: acknowledge (open), resolve (acknowledged), or nothing."""
    if report.status == "open":
        return "acknowledge"
    if report.status == "acknowledged":
        return "resolve"
    return None


def current_deadline(report) -> dt.datetime | None:
    step = current_step(report)
    return deadline(report, step) if step else None


def still_relevant(report, purpose: str) -> bool:
    """Does a timer guarding `purpose` still matter for the report as it is now?"""
    if report.status == "resolved" or report.group_id is not None:
        return False
    return report.status == "open" if purpose == "acknowledge" else True
