"""A problem a drill found becomes a rectification item (§3.4.2) due within `drills.problem_within` (15 working
days on the organisation's calendar), written in the evaluation's transaction.

A rectification item belongs to a hazard, so each problem is first filed as a hazard (kind hazard, the policy's
`problem_level` and `problem_category`, reported by the evaluator, its place the drill), numbered like every
hazard (`bot.hazards.create.file_answered`), its card posted. The evaluator answers it at once:
acknowledged and resolved with a note that it went to rectification, so its own 24/48 h deadlines and ladders
never start. Its item starts `in_progress` with the problem as its plan, approved by the evaluator, the deadline
timers written and its card posted in the hazard's thread (`bot.rectification.steps.start_approved`).
"""

from __future__ import annotations

import datetime as dt

from bot import i18n
from bot.drills import layout
from bot.hazards import create
from bot.i18n import fmt_time
from bot.rectification import steps
from bot.rectification.states import tell
from storage.models import Drill, RectItem, Report

SOURCE_PREFIX = "drill:"  # the source key of every hazard a drill's problem became


def source_key(drill: Drill, n: int) -> str:
    return f"{SOURCE_PREFIX}{drill.id}:problem:{n}"


def file_problem(ctx, s, drill: Drill, n: int, text: str, evaluator: str, now: dt.datetime) -> tuple[Report, RectItem]:
    """Problem `n` (1-based) of `drill`: its hazard, answered and handed to rectification, and its item, through
    the hazard's and the item's own use cases, in the evaluation's transaction."""
    org = ctx.org
    pol = org.policy.drills
    due = pol.problem_within.add_to(now, org.tz, org.workdays)
    locale = org.locale
    name = layout.kind_name(org, drill, locale)
    report = create.file_answered(
        ctx, s, source_key=source_key(drill, n), reporter_id=evaluator, category=pol.problem_category,
        level=pol.problem_level, description=text, now=now, via="drill", context={"drill": drill.id},
        location=i18n.tp(locale, "drills.problem_place", name=name,
                         date=org.local(drill.planned_at).date().isoformat(), number=str(drill.id)),
        note=i18n.tp(locale, "drills.problem_note", name=name, due=fmt_time(due, org.tz)))
    item = steps.start_approved(ctx, s, report, likelihood=pol.problem_likelihood, impact=pol.problem_impact,
                                measures=text, due=due, by=evaluator, now=now, context={"drill": drill.id})
    if item.assigned != evaluator:
        tell(ctx, s, report, now, [item.assigned], "drills.dm_item", name=name, due=fmt_time(due, org.tz))
    return report, item
