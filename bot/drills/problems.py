"""A problem a drill found becomes a rectification item (§3.4.2) due within `drills.problem_within` (15 working
days on the organisation's calendar), written in the evaluation's transaction.

A rectification item belongs to a hazard, so each problem is first filed as a hazard (kind hazard, the policy's
`problem_level` and `problem_category`, reported by the evaluator, its place the drill), numbered like every
hazard (the same sequence, `bot/hazards/create.py`'s way), its card posted. The evaluator answers it at once:
acknowledged and resolved with a note that it went to rectification, so its own 24/48 h deadlines and ladders
never start. Its item starts `in_progress` with the problem as its plan, approved by the evaluator, the deadline
timers written (`bot/rectification/deadlines.start`) and its card posted in the hazard's thread.
"""

from __future__ import annotations

import datetime as dt

from bot import i18n
from bot.drills import layout
from bot.hazards import notices
from bot.hazards.kinds import REPORT, kind
from bot.i18n import fmt_time
from bot.rectification import card as rect_card
from bot.rectification import deadlines
from bot.rectification.states import record, tell
from bot.rectification.steps import proposed_owner
from storage.db import buffer_insert, next_sequence
from storage.models import AuditEvent, Drill, RectItem, Report

SOURCE_PREFIX = "drill:"  # the source key of every hazard a drill's problem became


def source_key(drill: Drill, n: int) -> str:
    return f"{SOURCE_PREFIX}{drill.id}:problem:{n}"


def from_a_drill():
    """A hazard filed from a drill's evaluation: acknowledged by its filing, not by anyone answering in time."""
    return Report.source_key.like(f"{SOURCE_PREFIX}%")


def file_problem(ctx, s, drill: Drill, n: int, text: str, evaluator: str, now: dt.datetime) -> tuple[Report, RectItem]:
    """Problem `n` (1-based) of `drill`: its hazard, answered and handed to rectification, and its item."""
    org = ctx.org
    pol = org.policy.drills
    k = kind(org, "hazard")
    level = k.level(pol.problem_level)
    due = pol.problem_within.add_to(now, org.tz, org.workdays)
    locale = org.locale
    note = i18n.tp(locale, "drills.problem_note", name=layout.kind_name(org, drill, locale),
                   due=fmt_time(due, org.tz))
    year = org.local(now).year
    seq = next_sequence(s, k.numbering.prefix, year)
    team = ctx.directory.team_of(evaluator)
    report = Report(
        kind=k.name, number=k.number(year, seq), year=year, seq=seq, source_key=source_key(drill, n),
        category=pol.problem_category, level=pol.problem_level, description=text, suggestion="",
        location=i18n.tp(locale, "drills.problem_place", name=layout.kind_name(org, drill, locale),
                         date=org.local(drill.planned_at).date().isoformat(), number=str(drill.id)),
        photos=[], reporter_id=evaluator, reporter_known=ctx.directory.is_known(evaluator),
        team=team.name if team else None, status="resolved", reported_at=now,
        respond_due_at=level.respond_within.add_to(now, org.tz, org.workdays),
        resolve_due_at=level.resolve_within.add_to(now, org.tz, org.workdays),
        acknowledged_at=now, acknowledged_by=evaluator, resolved_at=now, resolved_by=evaluator, resolution_note=note)
    s.add(report)
    s.flush()
    for action, before, after, text_ in (
            ("reported", None, {"status": "open", "level": pol.problem_level, "category": pol.problem_category,
                                "grouped_with": None, "known": report.reporter_known, "drill": drill.id}, ""),
            ("acknowledged", {"status": "open"}, {"status": "acknowledged", "seconds": 0, "via": "drill"}, ""),
            ("resolved", {"status": "acknowledged"}, {"status": "resolved", "via": "drill"}, note)):
        buffer_insert(s, AuditEvent.__table__, dict(at=now, actor=evaluator, action=action, subject_type=REPORT, subject_id=report.id,
                                                    before=before, after=after, note=text_))
    notices.post_card(ctx, s, report, now)
    item = _item(ctx, s, report, drill, text, evaluator, due, now)
    return report, item


def _item(ctx, s, report: Report, drill: Drill, text: str, evaluator: str, due: dt.datetime,
          now: dt.datetime) -> RectItem:
    rect, pol = ctx.org.policy.rectification, ctx.org.policy.drills
    likelihood, impact = pol.problem_likelihood, pol.problem_impact
    risk = rect.risk(likelihood, impact)
    owner = proposed_owner(ctx, report, risk)
    item = RectItem(report_id=report.id, team=report.team, likelihood=likelihood, impact=impact, risk=risk,
                    state="in_progress", accountable=owner, assigned=owner, created_at=now, created_by=evaluator,
                    plan={"measures": text, "resources": "", "target": ctx.org.local(due).date().isoformat()},
                    plan_version=1, approved_at=now, approved_by=evaluator, due_at=due, first_due_at=due)
    s.add(item)
    s.flush()
    record(s, item, now, evaluator, "rect_assessed", None,
           {"likelihood": likelihood, "impact": impact, "risk": risk, "accountable": owner, "assigned": owner,
            "drill": drill.id})
    record(s, item, now, evaluator, "rect_plan_approved", {"state": "planning"},
           {"state": "in_progress", "version": 1, "due": due.isoformat(), "drill": drill.id})
    deadlines.start(ctx, s, report, item, now)
    rect_card.post_card(ctx, s, report, item, now)
    if owner != evaluator:
        tell(ctx, s, report, now, [owner], "drills.dm_item", name=layout.kind_name(ctx.org, drill, ctx.org.locale),
             due=fmt_time(due, ctx.org.tz))
    return item
