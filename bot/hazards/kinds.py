"""A kind of report as data: everything the engine needs comes from the kind's policy section.

Adding a kind is adding its policy section (numbering prefix, levels, categories, limits,
ladders), its templates and its words; nothing in the engine names a kind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from bot.policy import Escalation, Level, Numbering, Organisation, ReportSection


@dataclass(frozen=True)
class Kind:
    name: str  # "hazard" | "incident"
    numbering: Numbering
    section: ReportSection  # levels, categories, limits (a hazard's: grouping, rate limit; an incident's: follow-ups)
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

    def words(self, key: str) -> str:
        """The catalog entry `key` in this kind's words: a hazard's are the catalog's own, another kind's
        live under its name (`incident.escalation.dm`)."""
        return key if self.name == "hazard" else f"{self.name}.{key}"


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
SUBJECT = REPORT = "report"  # what a report's timers and audit rows name (bot/subjects.py)
PURPOSES = ("acknowledge", "resolve")
# After-the-event tasks of an incident (§3.2.2 special report, §5.2.2 investigation): each has its own due
# moment and ladder, and stays relevant after the incident is resolved, until it is submitted.
FOLLOW_UPS = {"special_report": ("special_report_due_at", "special_report_at"),
              "investigation": ("investigation_due_at", "investigation_at"),
              "on_site": ("partner_due_at", "partner_at"),  # #21 §2.3.2 the kind's partners on site in time
              "answer": ("partner_due_at", "partner_at")}  # #21 §3.1.3 a hazard category's responders (IT) answer
ENDS_WITH_REPORT = ("on_site", "answer")  # follow-ups that no longer matter once the report is resolved


def deadline(report, purpose: str) -> dt.datetime:
    """The moment `purpose` (acknowledge | resolve | special_report | investigation) of `report` is due."""
    if purpose in FOLLOW_UPS:
        return getattr(report, FOLLOW_UPS[purpose][0])
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
    if purpose in FOLLOW_UPS:
        due_col, done_col = FOLLOW_UPS[purpose]
        if purpose in ENDS_WITH_REPORT and report.status == "resolved":
            return False
        return getattr(report, due_col) is not None and getattr(report, done_col) is None
    if report.status == "resolved" or report.group_id is not None:
        return False
    return report.status == "open" if purpose == "acknowledge" else True


def what_key(purpose: str) -> str:
    """The catalog entry naming what `purpose` waits for (响应, 处理, 专项报告, 调查)."""
    return f"escalation.what_{purpose}" if purpose in PURPOSES + ("answer",) else f"incident.what_{purpose}"


# --------------------------------------------------------------------------- rectification (整改, §4.3)
# A rectification item's timers are rows on its hazard: `rectify` guards its deadline (step -1: OVERDUE, then the
# policy's ladder), `rect_remind` the reminders before it. Which moment applies is decided here too.
# Before the work's clock starts (#21): `rect_plan` guards the plan's due moment (from the assessment, §4.1.3) and
# `rect_approve` the approval's (from the plan's submission, §4.3.1), each with its reminders (`…_remind`).
RECT_PHASES = {"rect_plan": "planning", "rect_approve": "approval"}
# (timer.purpose holds at most 16 characters)
RECT_PHASE_REMINDERS = {"rect_plan_remind": "rect_plan", "rect_appr_remind": "rect_approve"}
RECTIFICATION = ("rectify", "rect_remind") + tuple(RECT_PHASES) + tuple(RECT_PHASE_REMINDERS)


def item_deadline(item) -> dt.datetime | None:
    """When a rectification item is due: only while the work runs (approved, completion report not yet in)."""
    return item.due_at if item is not None and item.state == "in_progress" else None


def item_still_relevant(item, timer) -> bool:
    """Does a timer of a rectification item still matter? Only one of the deadline now in force (a plan's or an
    approval's only while the item waits for it; a new phase cancels the pending rows)."""
    phase = RECT_PHASES.get(RECT_PHASE_REMINDERS.get(timer.purpose, timer.purpose))
    if phase is not None:
        return item is not None and item.state == phase
    return item_deadline(item) is not None and (timer.purpose == "rect_remind" or timer.due_at >= item.due_at)


def item_deadline_after(start: dt.datetime, span, tz) -> dt.datetime:
    """A deadline `span` (a policy duration) after `start`: 72 h / 1 week / 2 weeks from approval (§4.3.1)."""
    return span.add_to(start, tz)
