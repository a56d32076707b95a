"""Starting the loop and its plan: assess the risk, submit the plan, approve or send it back, reassign.

Each is one transaction: the item (under its row lock), an audit row on its hazard's timeline, the card
update, a line in the hazard's thread and a DM to whoever holds the next step.
"""

from __future__ import annotations

import datetime as dt

from bot import i18n, picked_dates
from bot.hazards import notices
from bot.hazards.lookups import find_report
from bot.hazards.transitions import Outcome
from bot.i18n import fmt_time, mention
from bot.masking import mask
from bot.prefs import user_locale
from bot.rectification import card, deadlines
from bot.rectification.states import USER_RE, begin, people_who_may, record, refuse, tell
from bot.text import clean_text
from storage.db import session_scope
from storage.models import RectItem

THREAD_TEXT = 300  # how much of a comment or reason the thread line repeats (the card and the DM say more)


def _line(ctx, s, report, now, key: str, **values) -> None:
    notices.thread_line(ctx, s, report, now, i18n.t(ctx.org.locale, key, number=report.number, **values))


def proposed_owner(ctx, report, risk: str) -> str:
    """Who answers for an item of this risk level (§4.3.1): the department head, the reporter's team
    supervisor, or the reporter; the safety officer when the organisation names nobody for the role."""
    role = ctx.org.policy.rectification.owner[risk]
    people = ctx.directory.resolve_people([role], report.team, report.reporter_id)
    return (people or ctx.directory.people("safety_officer") or ctx.directory.people("department_head")
            or [report.reporter_id])[0]


def can_start(ctx, number: str, user_id: str, locale: str) -> Outcome:
    """May `user_id` assess hazard `number` (the form opens only then)? A refusal goes to the operation log."""
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        report = find_report(s, number)
        if report is None or report.kind != "hazard":
            return Outcome(False, i18n.t(locale, "errors.not_found_number", number=number))
        if not ctx.directory.allowed(user_id, "assess", report.team):
            return refuse(ctx, s, locale, "assess", report.number, user_id, now)
        if deadlines.item_of(s, report.id) is not None:
            return Outcome(False, i18n.t(locale, "rectification.exists", number=report.number))
        return Outcome(True, None, report)


def assess(ctx, number: str, user_id: str, likelihood: object, impact: object, locale: str | None = None) -> Outcome:
    """Assess the hazard's risk (§4.1.3) and start its rectification item: owner proposed by the risk level."""
    pol = ctx.org.policy.rectification
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        locale = locale or user_locale(ctx, user_id, s)
        report = find_report(s, number)
        if report is None or report.kind != "hazard":
            return Outcome(False, i18n.t(locale, "errors.not_found_number", number=number))
        if not ctx.directory.allowed(user_id, "assess", report.team):
            return refuse(ctx, s, locale, "assess", report.number, user_id, now)
        if not (isinstance(likelihood, str) and isinstance(impact, str)) or likelihood not in pol.likelihood \
                or impact not in pol.impact:  # a forged form may send a list or an object
            return Outcome(False, i18n.t(locale, "rectification.pick_risk"))
        if deadlines.item_of(s, report.id) is not None:
            return Outcome(False, i18n.t(locale, "rectification.exists", number=report.number))
        risk = pol.risk(likelihood, impact)
        owner = proposed_owner(ctx, report, risk)
        item = RectItem(report_id=report.id, team=report.team, likelihood=likelihood, impact=impact, risk=risk,
                        state="planning", accountable=owner, assigned=owner, created_at=now, created_by=user_id)
        s.add(item)
        s.flush()
        record(s, item, now, user_id, "rect_assessed", None,
               {"likelihood": likelihood, "impact": impact, "risk": risk, "accountable": owner, "assigned": owner})
        words = card.risk_words(ctx.org, ctx.org.locale, likelihood, impact, risk)
        _line(ctx, s, report, now, "rectification.line_assessed", who=mention(user_id), risk=words["risk"],
              people=mention(owner))
        earlier = deadlines.recurrence(ctx, s, report, now)
        if earlier is not None:
            deadlines.mark_recurring(ctx, s, report, item, earlier, now)
        plan_due = deadlines.start_phase(ctx, s, report, item, now)
        card.post_card(ctx, s, report, item, now)
        tell(ctx, s, report, now, [owner], "rectification.dm_plan_needed", who=mention(user_id),
             due=fmt_time(plan_due, ctx.org.tz))
    ctx.wake()
    return Outcome(True, None, report)


def submit_plan(ctx, number: str, user_id: str, values: dict, locale: str) -> Outcome:
    """The owner's plan (§4.3.1): measures, resources, target date. A new version each time it is submitted."""
    n = ctx.org.policy.rectification.text_max
    measures, resources = clean_text(values.get("measures")), clean_text(values.get("resources"))
    target = card_date(values.get("target"))
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        report, item, refused = begin(ctx, s, number, user_id, "submit_plan", locale, now)
        if refused:
            return refused
        if target is None and not values.get("target"):  # a plan sent back keeps its date unless a new one is picked
            target = (item.plan or {}).get("target")
        if not measures or target is None:
            return Outcome(False, i18n.t(locale, "rectification.plan_incomplete"))
        if not picked_dates.in_window(ctx, dt.date.fromisoformat(target)):
            return Outcome(False, i18n.t(locale, "rectification.target_window", **picked_dates.window_words(ctx)))
        if len(measures) > n or len(resources) > n:
            return Outcome(False, i18n.t(locale, "errors.too_long", max=n))
        item.plan = {"measures": measures, "resources": resources, "target": target, "by": user_id}
        item.plan_version += 1
        item.state = "approval"
        record(s, item, now, user_id, "rect_plan_submitted", {"state": "planning"},
               {"state": "approval", "version": item.plan_version, **item.plan})
        card.update_card(ctx, s, report, item, now)
        _line(ctx, s, report, now, "rectification.line_plan", who=mention(user_id), n=item.plan_version)
        approve_due = deadlines.start_phase(ctx, s, report, item, now)
        tell(ctx, s, report, now, people_who_may(ctx, item, "approve_plan", report.reporter_id),
             "rectification.dm_approve_plan", who=mention(user_id), due=fmt_time(approve_due, ctx.org.tz))
    ctx.wake()
    return Outcome(True, None, report)


def card_date(value: object) -> str | None:
    try:
        return dt.date.fromisoformat(str(value or "").strip()[:10]).isoformat()
    except ValueError:
        return None


def decide_plan(ctx, number: str, user_id: str, approve: bool, comment: object = "", locale: str = "zh-CN") -> Outcome:
    """Approve the plan (the deadline starts now: 72 h / 1 week / 2 weeks by risk level) or send it back."""
    comment = clean_text(comment)
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        report, item, refused = begin(ctx, s, number, user_id, "approve_plan", locale, now)
        if refused:
            return refused
        if not approve and not comment:
            return Outcome(False, i18n.t(locale, "rectification.comment_needed"))
        if not approve:
            item.state = "planning"
            record(s, item, now, user_id, "rect_plan_sent_back", {"state": "approval"},
                   {"state": "planning", "version": item.plan_version}, note=comment)
            deadlines.start_phase(ctx, s, report, item, now)  # the revised plan is due as the first one was
            card.update_card(ctx, s, report, item, now)
            _line(ctx, s, report, now, "rectification.line_sent_back", who=mention(user_id),
                  text=mask(comment)[:THREAD_TEXT])
            tell(ctx, s, report, now, [item.assigned], "rectification.dm_sent_back", who=mention(user_id),
                 text=mask(comment)[:THREAD_TEXT])
        else:
            span = ctx.org.policy.rectification.deadline[item.risk]
            item.state, item.approved_at, item.approved_by = "in_progress", now, user_id
            item.due_at = item.first_due_at = deadlines.due_after(ctx, now, span)
            record(s, item, now, user_id, "rect_plan_approved", {"state": "approval"},
                   {"state": "in_progress", "version": item.plan_version, "due": item.due_at.isoformat()})
            deadlines.start(ctx, s, report, item, now)
            card.update_card(ctx, s, report, item, now)
            due = fmt_time(item.due_at, ctx.org.tz)
            _line(ctx, s, report, now, "rectification.line_approved", who=mention(user_id), due=due)
            tell(ctx, s, report, now, [item.assigned], "rectification.dm_approved", who=mention(user_id), due=due)
    ctx.wake()
    return Outcome(True, None, report)


def reassign(ctx, number: str, user_id: str, accountable: object, assigned: object, locale: str) -> Outcome:
    """Leadership changes who answers for the item and who does it (kept apart)."""
    accountable, assigned = str(accountable or "").strip(), str(assigned or "").strip()
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        report, item, refused = begin(ctx, s, number, user_id, "reassign", locale, now)
        if refused:
            return refused
        if not USER_RE.match(accountable) or not USER_RE.match(assigned):
            return Outcome(False, i18n.t(locale, "rectification.pick_people"))
        if not (ctx.directory.is_known(accountable) and ctx.directory.is_known(assigned)):  # never C0…, USLACKBOT
            return Outcome(False, i18n.t(locale, "rectification.pick_known_people"))
        before = {"accountable": item.accountable, "assigned": item.assigned}
        item.accountable, item.assigned = accountable, assigned
        record(s, item, now, user_id, "rect_reassigned", before, {"accountable": accountable, "assigned": assigned})
        card.update_card(ctx, s, report, item, now)
        _line(ctx, s, report, now, "rectification.line_reassigned", who=mention(user_id),
              people=mention(accountable), reporter=mention(assigned))
        tell(ctx, s, report, now, [u for u in dict.fromkeys([accountable, assigned]) if u != user_id],
             "rectification.dm_reassigned", who=mention(user_id))
    ctx.wake()
    return Outcome(True, None, report)


# The forms a button opens, and the step whose permission each needs.
FORM_STEPS = {"plan": "submit_plan", "send_back": "approve_plan", "extension": "request_extension",
              "complete": "complete", "verify_fail": "verify", "reassign": "reassign"}


def form_for(ctx, number: str, user_id: str, step: str, locale: str) -> tuple[Outcome, dict | None]:
    """(ok, the step's form) when `user_id` may take `step` now; else (the refusal, None), logged."""
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        report, item, refused = begin(ctx, s, number, user_id, FORM_STEPS[step], locale, now)
        if refused:
            return refused, None
        if step == "extension" and now >= item.due_at:
            return Outcome(False, i18n.t(locale, "rectification.ext_too_late", number=report.number,
                                         due=fmt_time(item.due_at, ctx.org.tz))), None
        return Outcome(True, None, report), card.step_form(ctx, report, item, step, locale)


def assess_form(ctx, number: str, user_id: str, locale: str) -> tuple[Outcome, dict | None]:
    check = can_start(ctx, number, user_id, locale)
    return check, (card.assess_form(ctx, check.report, locale) if check.ok else None)


def start_approved(ctx, s, report, *, likelihood: str, impact: str, measures: str, due: dt.datetime, by: str,
                   now: dt.datetime, context: dict | None = None, owner: str | None = None) -> RectItem:
    """An item that starts `in_progress`, its plan (`measures`, due `due`) approved by `by` at once (a drill's
    problem, §3.4.2; an investigation's corrective action, §5.2.3): assessed, approved, its deadline timers written
    and its card posted, in the caller's transaction. The owner is `owner` (a person of the organisation file the
    caller checked) or else the policy's for its risk level."""
    risk = ctx.org.policy.rectification.risk(likelihood, impact)
    owner = owner or proposed_owner(ctx, report, risk)
    item = RectItem(report_id=report.id, team=report.team, likelihood=likelihood, impact=impact, risk=risk,
                    state="in_progress", accountable=owner, assigned=owner, created_at=now, created_by=by,
                    plan={"measures": measures, "resources": "", "target": ctx.org.local(due).date().isoformat()},
                    plan_version=1, approved_at=now, approved_by=by, due_at=due, first_due_at=due)
    s.add(item)
    s.flush()
    record(s, item, now, by, "rect_assessed", None,
           {"likelihood": likelihood, "impact": impact, "risk": risk, "accountable": owner, "assigned": owner,
            **(context or {})})
    record(s, item, now, by, "rect_plan_approved", {"state": "planning"},
           {"state": "in_progress", "version": 1, "due": due.isoformat(), **(context or {})})
    deadlines.start(ctx, s, report, item, now)
    card.post_card(ctx, s, report, item, now)
    return item
