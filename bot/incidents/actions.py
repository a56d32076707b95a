"""An investigation's corrective actions are rectification items (#21, §5.2.3 整改措施落实).

A rectification item hangs off a hazard (one item per report: its timers, card and timeline live there), so each
corrective action is filed as a hazard of its own, as a drill's problem is (§3.4.2): numbered like every hazard,
its place the incident, answered at once by the investigator so its own 24/48 h clocks never start
(`bot.hazards.create.file_answered`), level and category from `incident.corrective_items`. Its item starts
`in_progress` with the action as its plan, approved by the investigator, due on the action's day, its owner the
action's owner (`bot.rectification.steps.start_approved`): from there it is the rectification kind's — reminders,
the completion report, verification by the safety officer (never by whoever reported it done, `own_work`), the
overdue ladder. `corrective_action.item_report_id` says which hazard holds the item.

The rectification kind tells the installed kinds of every change to an item (`Kind.extra["rect_item_changed"]`):
`item_changed` here marks the action done when its item is closed and edits the incident's card (n of m done,
overdue). Actions written before the items existed are carried over by migration 0015: a `carry_over` timer per
open action, fired by the sweeper into `carry_over` (the migration cannot read the organisation's policy).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot import i18n
from bot.hazards import create, notices
from bot.hazards.kinds import REPORT
from bot.i18n import fmt_time
from bot.masking import mask
from bot.prefs import locales_of
from bot.rectification import steps
from storage.db import buffer_insert
from storage.models import AuditEvent, CorrectiveAction, RectItem, Report, Timer

SUBJECT = "corrective_action"  # the carry-over timers' subject (migration 0015)
CARRY_OVER = "carry_over"
SOURCE_PREFIX = "incident-action:"  # the source key of every hazard a corrective action became


def to_item(ctx, s, incident: Report, action: CorrectiveAction, now: dt.datetime) -> Report:
    """File `action` (stored, with its id) as a hazard and start its item, in the caller's transaction."""
    org = ctx.org
    pol = org.policy.incident.corrective_items
    locale = org.locale
    hazard = create.file_answered(
        ctx, s, source_key=f"{SOURCE_PREFIX}{action.id}", reporter_id=action.created_by, category=pol.category,
        level=pol.level, description=action.description, now=now, via="incident",
        context={"incident": incident.number, "corrective_action": action.id},
        location=i18n.tp(locale, "incident.action.place", number=incident.number),
        note=i18n.tp(locale, "incident.action.note", number=incident.number, due=fmt_time(action.due_at, org.tz)))
    team = ctx.directory.team_of(action.owner)  # the owner's supervisors are the ladder's first rung
    if team is not None:
        hazard.team = team.name
    steps.start_approved(ctx, s, hazard, likelihood=pol.likelihood, impact=pol.impact, measures=action.description,
                         due=action.due_at, by=action.created_by, now=now, owner=action.owner,
                         context={"incident": incident.number, "corrective_action": action.id})
    action.item_report_id = hazard.id
    return hazard


def item_changed(ctx, s, hazard: Report, item: RectItem, now: dt.datetime) -> None:
    """An item changed (the rectification kind's hook): if it is a corrective action's, the action follows its
    item (done when closed, an audit row on the incident) and the incident's card shows the progress."""
    if not (hazard.source_key or "").startswith(SOURCE_PREFIX):
        return
    s.flush()
    action = s.execute(select(CorrectiveAction).where(CorrectiveAction.item_report_id == hazard.id)
                       .with_for_update()).scalar_one_or_none()
    if action is None:
        return
    if item.state == "closed" and action.status != "done":
        action.status, action.done_at, action.done_by = "done", now, item.verified_by
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor=item.verified_by or "system", action="corrective_action_done", subject_type=REPORT,
            subject_id=action.report_id, before={"status": "open"},
            after={"status": "done", "item": hazard.number, "action": action.id}, note=action.description[:4000]))
    incident = s.get(Report, action.report_id)
    if incident is not None:
        notices.update_card(ctx, s, incident, now)


def load(s, ids: set) -> dict:
    return {a.id: a for a in s.execute(select(CorrectiveAction).where(CorrectiveAction.id.in_(ids))
                                       .with_for_update()).scalars()}


def carry_over(ctx, s, action: CorrectiveAction, timer: Timer, now: dt.datetime) -> bool:
    """Migration 0015's row for an action written before the items: its item now, its owner told, once."""
    if timer.purpose != CARRY_OVER or action.item_report_id is not None or action.status != "open":
        return False
    incident = s.get(Report, action.report_id)
    if incident is None:
        return False
    hazard = to_item(ctx, s, incident, action, now)
    buffer_insert(s, AuditEvent.__table__, dict(
        at=now, actor="system", action="corrective_action_carried_over", subject_type=REPORT, subject_id=incident.id,
        before=None, after={"item": hazard.number, "action": action.id, "due": action.due_at.isoformat()}, note=""))
    langs = locales_of(s, ctx.org, [action.owner])
    notices.direct(ctx, s, hazard, now, action.owner, i18n.t(
        langs[action.owner], "incident.action.carried_dm", number=incident.number, item=hazard.number,
        what=mask(action.description)[:500], due=fmt_time(action.due_at, ctx.org.tz)))
    notices.update_card(ctx, s, incident, now)
    return True
