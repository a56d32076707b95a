"""The drill's evaluation (§3.4.2, §6.2.1): the form (score 0–100, problems one per line, summary), and the
evaluation itself in one transaction: the drill row (score, pass against `pass_score`, problems, summary), an
audit row, a hazard and a rectification item per problem (`problems.py`), and the evaluation report to the
policy's `report_to` targets (the leadership channel). Bad input gets inline errors and stores nothing.
"""

from __future__ import annotations

import datetime as dt
import json

from bot import i18n, ids
from bot.drills import SUBJECT, layout, problems, report
from bot.drills.attendance import attendees
from bot.drills.common import Outcome, allowed, not_found, parse_id, refuse
from bot.i18n import fmt_minutes, fmt_time, mention
from bot.render import render
from bot.text import clean_text
from storage.db import buffer_insert, session_scope
from storage.models import AuditEvent

SCORE_BLOCK, PROBLEMS_BLOCK, SUMMARY_BLOCK = ids.DRILL_FORM_BLOCKS
SCORE_MIN, SCORE_MAX = 0, 100  # §6.2.1 the score's scale
PROBLEMS_MAX = 20  # problems one evaluation files (each is a hazard, a card and an item: one form, one sitting)
SCORE_CHARS = 3
INPUT_MAX = 3000  # Slack's longest plain_text_input


def _answerable(ctx, s, drill_id: int | None, user_id: str, locale: str, now: dt.datetime, step: str):
    """(drill, None) when `user_id` may evaluate drill `drill_id` now, else (None, the refusal)."""
    if not allowed(ctx, user_id):
        return None, refuse(ctx, s, locale, user_id, step, drill_id, now)
    drill = layout.lock(s, drill_id) if drill_id is not None else None
    if drill is None:
        return None, not_found(locale, drill_id)
    name = layout.kind_name(ctx.org, drill, locale)
    if drill.status == "evaluated":
        return None, Outcome(False, i18n.t(locale, "drills.evaluated_already", name=name,
                                           who=mention(drill.evaluated_by)))
    if drill.status not in layout.OPEN:
        return None, Outcome(False, i18n.t(locale, "drills.attend_closed", name=name,
                                           status=i18n.tp(locale, f"drills.status_{drill.status}")))
    if drill.planned_at > now:
        return None, Outcome(False, i18n.t(locale, "drills.not_yet", name=name,
                                           when=fmt_time(drill.planned_at, ctx.org.tz)))
    return drill, None


def form_for(ctx, user_id: str, value: object, locale: str) -> Outcome:
    """The evaluation form, when `user_id` may evaluate the drill now (a refusal is logged)."""
    org, now = ctx.org, ctx.clock.now()
    with session_scope(ctx.engine) as s:
        drill, refused = _answerable(ctx, s, parse_id(value), user_id, locale, now, "evaluate")
        if refused:
            return refused
        n = len(attendees(s, drill.id))
        name = layout.kind_name(org, drill, locale)
        summary = i18n.t(locale, "drills.form_intro", name=name, when=fmt_time(drill.planned_at, org.tz),
                         plan=layout.plan_name(org, drill, locale) or "—", n=n)
    pol = org.policy.drills
    within = (i18n.tp(locale, "drills.within_wd", n=int(pol.problem_within.working_days))
              if pol.problem_within.working_days else fmt_minutes(locale, pol.problem_within.seconds))
    view = render("drill_form", locale, callback_id=ids.DRILL_VIEW, summary=summary,
                  private_metadata=json.dumps({"drill": drill.id}),
                  score_hint=i18n.tp(locale, "drills.score_hint", n=pol.pass_score),
                  problems_hint=i18n.tp(locale, "drills.problems_hint", max=PROBLEMS_MAX, text=within),
                  problem_max=INPUT_MAX,
                  summary_max=min(org.policy.rectification.text_max, INPUT_MAX), score_chars=SCORE_CHARS)
    return Outcome(True, view=view)


def validate(ctx, values: dict, locale: str) -> tuple[dict | None, dict]:
    """({score, problems, summary}, {}) or (None, {block_id: error})."""
    errors: dict[str, str] = {}
    raw = clean_text(values.get(SCORE_BLOCK))
    score = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= SCORE_CHARS else None
    if score is None or not SCORE_MIN <= score <= SCORE_MAX:
        errors[SCORE_BLOCK] = i18n.tp(locale, "drills.score_invalid", text=raw[:SCORE_CHARS + 5] or "—")
    limit = ctx.org.policy.hazard.description_max
    found = [line for line in (clean_text(x) for x in clean_text(values.get(PROBLEMS_BLOCK)).splitlines()) if line]
    if len(found) > PROBLEMS_MAX:
        errors[PROBLEMS_BLOCK] = i18n.tp(locale, "drills.problems_too_many", max=PROBLEMS_MAX)
    elif any(len(p) > limit for p in found):
        errors[PROBLEMS_BLOCK] = i18n.tp(locale, "drills.problem_too_long", max=limit)
    summary = clean_text(values.get(SUMMARY_BLOCK))
    if len(summary) > ctx.org.policy.rectification.text_max:
        errors[SUMMARY_BLOCK] = i18n.tp(locale, "drills.summary_too_long", max=ctx.org.policy.rectification.text_max)
    if errors:
        return None, errors
    return {"score": score, "problems": found, "summary": summary}, {}


def evaluate(ctx, user_id: str, metadata: dict, values: dict, locale: str) -> Outcome:
    data, errors = validate(ctx, values, locale)
    if errors:
        return Outcome(False, errors=errors)
    org, now = ctx.org, ctx.clock.now()
    pol = org.policy.drills
    with session_scope(ctx.engine) as s:
        drill, refused = _answerable(ctx, s, parse_id(metadata.get("drill")), user_id, locale, now, "evaluate")
        if refused:
            return Outcome(False, errors={SCORE_BLOCK: str(refused.message)})
        drill.score, drill.passed = data["score"], data["score"] >= pol.pass_score
        drill.problems, drill.summary = data["problems"], data["summary"]
        drill.status, drill.evaluated_at, drill.evaluated_by = "evaluated", now, user_id
        drill.version += 1
        filed = [problems.file_problem(ctx, s, drill, n, text, user_id, now)
                 for n, text in enumerate(data["problems"], start=1)]
        people = attendees(s, drill.id)
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor=user_id, action="drill_evaluated", subject_type=SUBJECT, subject_id=drill.id, note=data["summary"],
            before={"drill": drill.id, "status": "held" if people else "planned"},
            after={"drill": drill.id, "status": "evaluated", "score": drill.score, "passed": drill.passed,
                   "attendance": len(people), "hazards": [r.number for r, _ in filed]}))
        report.post(ctx, s, drill, people, filed, now)
    ctx.wake()
    return Outcome(True)

