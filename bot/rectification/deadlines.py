"""A rectification item's deadline as timer rows on its hazard (ARCHITECTURE.md principle 2), what fires
when they come due, recurring items (§6.1.2) and the supervisor flag (§4.3.2).

Purposes (bot/hazards/kinds.py RECTIFICATION): `rect_remind` steps 0..n are the reminders before the
deadline (policy: shares of the time allowed, and spans before it); `rectify` step -1 is the deadline
(the item turns OVERDUE), steps 0..n the policy's overdue ladder. A new deadline (extension approved,
failed verification) cancels the pending rows and writes a new cycle. The Sweeper claims the rows and
calls `fire` in its transaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot import i18n
from bot.hazards import notices
from bot.hazards.escalation import ICONS, stop_ladder
from bot.hazards.kinds import (
    RECT_PHASE_REMINDERS,
    RECT_PHASES,
    RECTIFICATION,
    REPORT,
    item_deadline_after,
    item_still_relevant,
)
from bot.hazards.present import mentions
from bot.i18n import channel_link, fmt_minutes, fmt_time
from bot.prefs import locales_of
from bot.rectification.states import holders, item_of, owners, record, tell  # noqa: F401 - item_of: used by the steps
from bot.working_hours import next_working_moment
from storage.db import buffer_insert
from storage.models import RectItem, Report, Timer


def due_after(ctx, start: dt.datetime, span) -> dt.datetime:
    return item_deadline_after(start, span, ctx.org.tz)


def stop(s, report_id: int, now: dt.datetime) -> None:
    for purpose in RECTIFICATION:
        stop_ladder(s, report_id, purpose, now)


def start(ctx, s, report: Report, item: RectItem, now: dt.datetime) -> None:
    """Write the timers guarding the item's current deadline (replacing any pending ones)."""
    _write(ctx, s, report, item, now, item.due_at, "rectify", "rect_remind")


def start_phase(ctx, s, report: Report, item: RectItem, now: dt.datetime) -> dt.datetime | None:
    """Before the work's clock (#21): the plan is due `plan_within[risk]` after the assessment (or after it was sent
    back), the approval `approve_within` after the plan's submission; reminders and the overdue ladder as for the
    work. Returns the due moment (None: not a phase with a clock)."""
    pol = ctx.org.policy.rectification
    purpose = next((p for p, state in RECT_PHASES.items() if state == item.state), None)
    if purpose is None:
        return None
    span = pol.plan_within[item.risk] if purpose == "rect_plan" else pol.approve_within
    due = item_deadline_after(now, span, ctx.org.tz)
    remind = next(r for r, p in RECT_PHASE_REMINDERS.items() if p == purpose)
    _write(ctx, s, report, item, now, due, purpose, remind)
    return due


def phase_due(s, report_id: int, purpose: str) -> dt.datetime | None:
    """The due moment of the item's current plan or approval clock (its latest deadline row)."""
    return s.execute(select(Timer.due_at).where(Timer.subject_type == REPORT, Timer.subject_id == report_id,
                                                Timer.purpose == purpose, Timer.step == -1)
                     .order_by(Timer.cycle.desc()).limit(1)).scalar_one_or_none()


def _write(ctx, s, report: Report, item: RectItem, now: dt.datetime, due: dt.datetime, purpose: str,
           remind: str) -> None:
    stop(s, report.id, now)
    pol = ctx.org.policy.rectification
    span = due - now
    reminders = sorted({now + span * f for f in pol.reminders.fractions} | {due - b.timedelta for b in pol.reminders.before})
    rows = {remind: [(step, m, next_working_moment(ctx.org, m, item.team))
                     for step, m in enumerate(m for m in reminders if now < m < due)],
            purpose: [(-1, due, due)] + [(step, due + r.after.timedelta,
                                          next_working_moment(ctx.org, due + r.after.timedelta, item.team))
                                         for step, r in enumerate(pol.escalation)]}
    for purpose, steps in rows.items():
        cycle = (s.execute(select(func.max(Timer.cycle)).where(Timer.subject_type == REPORT, Timer.subject_id == report.id,
                                                               Timer.purpose == purpose)).scalar() or 0) + 1
        for step, due_at, fire_at in steps:
            buffer_insert(s, Timer.__table__, dict(subject_type=REPORT, subject_id=report.id, purpose=purpose, cycle=cycle, step=step,
                                                   status="pending", fired_at=None, late=False, due_at=due_at,
                                                   fire_at=fire_at))


def fire(ctx, s, report: Report, timer: Timer, now: dt.datetime) -> bool:
    """Act on a due timer of `report`'s item. False: it no longer matters (the Sweeper cancels it)."""
    pol = ctx.org.policy.rectification
    item = item_of(s, report.id, lock=True)
    if not item_still_relevant(item, timer) or (timer.purpose in ("rectify",) + tuple(RECT_PHASES)
                                                 and timer.step >= len(pol.escalation)):
        return False
    if timer.purpose in RECT_PHASES or timer.purpose in RECT_PHASE_REMINDERS:
        return _fire_phase(ctx, s, report, item, timer, now)
    tz, org = ctx.org.tz, ctx.org
    due = fmt_time(item.due_at, tz)
    if timer.purpose == "rect_remind":
        tell(ctx, s, report, now, [item.assigned], "rectification.dm_reminder", due=due, late=timer.late,
             took=fmt_minutes(org.locale, (item.due_at - now).total_seconds()))
        record(s, item, now, "system", "rect_reminded", None, {"step": timer.step, "due": item.due_at.isoformat()})
        return True
    if timer.step == -1:
        item.overdue = item.was_overdue = True
        record(s, item, now, "system", "rect_overdue", None, {"due": item.due_at.isoformat(), "late": timer.late})
        _flag_supervisor(ctx, s, report, item, now)
        from bot.rectification.card import update_card

        update_card(ctx, s, report, item, now)
        return True
    rung = pol.escalation[timer.step]
    people = _people(ctx, item, report, list(rung.notify))
    channels = ctx.directory.resolve_channels([t for t in rung.notify if t != "owner"], item.team)
    icon = i18n.Mrkdwn(ICONS.get(min(timer.step, 1), ":warning:"))
    late_by = (now - item.due_at).total_seconds()
    if "thread" in rung.via:
        notices.thread_line(ctx, s, report, now, i18n.t(org.locale, "rectification.overdue_thread", icon=icon,
                                                         mentions=mentions(people), number=report.number, due=due,
                                                         late_by=i18n.fmt_late(org.locale, late_by), late=timer.late))
    if "dm" in rung.via:
        langs = locales_of(s, org, people)
        for user in people:
            notices.direct(ctx, s, report, now, user, i18n.t(
                langs[user], "rectification.overdue_dm", icon=icon, number=report.number, due=due, late=timer.late,
                late_by=i18n.fmt_late(langs[user], late_by), link=i18n.t(langs[user], "escalation.link",
                                                                       channel=channel_link(org.channels.safety))))
    if "channel" in rung.via:
        for channel in channels:
            notices.direct(ctx, s, report, now, channel, i18n.t(
                org.locale, "rectification.overdue_channel", icon=icon, number=report.number, due=due,
                holders=mentions(owners(item)), late_by=i18n.fmt_late(org.locale, late_by), late=timer.late))
    record(s, item, now, "system", "rect_escalated", None,
           {"step": timer.step, "people": people, "channels": channels, "late": timer.late})
    return True


def _fire_phase(ctx, s, report: Report, item: RectItem, timer: Timer, now: dt.datetime) -> bool:
    """A plan's or an approval's clock: reminders to whoever holds the step, then its deadline and the ladder, where
    `owner` is whoever holds the step (the owner for the plan, the approvers for the approval)."""
    org, pol = ctx.org, ctx.org.policy.rectification
    purpose = RECT_PHASE_REMINDERS.get(timer.purpose, timer.purpose)
    due_at = phase_due(s, report.id, purpose) or timer.due_at
    due, held = fmt_time(due_at, org.tz), holders(ctx, item, report.reporter_id)
    langs = locales_of(s, org, held)
    if timer.purpose in RECT_PHASE_REMINDERS:
        for user in held:
            notices.direct(ctx, s, report, now, user, i18n.t(
                langs[user], "rectification.dm_step_reminder", what=i18n.tp(langs[user], f"rectification.what_{purpose}"),
                number=report.number, due=due, took=fmt_minutes(langs[user], (due_at - now).total_seconds()),
                late=timer.late))
        record(s, item, now, "system", f"{purpose}_reminded", None, {"step": timer.step, "due": due_at.isoformat(),
                                                                    "people": held})
        return True
    if timer.step == -1:
        record(s, item, now, "system", f"{purpose}_overdue", None, {"due": due_at.isoformat(), "late": timer.late})
        return True
    rung = pol.escalation[timer.step]
    people = _people(ctx, item, report, list(rung.notify), owner=held)
    channels = ctx.directory.resolve_channels([t for t in rung.notify if t != "owner"], item.team)
    icon = i18n.Mrkdwn(ICONS.get(min(timer.step, 1), ":warning:"))
    late_by = (now - due_at).total_seconds()
    what = i18n.tp(org.locale, f"rectification.what_{purpose}")
    if "thread" in rung.via:
        notices.thread_line(ctx, s, report, now, i18n.t(
            org.locale, "rectification.step_overdue_thread", icon=icon, mentions=mentions(people), what=what,
            number=report.number, due=due, late_by=i18n.fmt_late(org.locale, late_by), late=timer.late))
    if "dm" in rung.via:
        langs = locales_of(s, org, people)
        for user in people:
            notices.direct(ctx, s, report, now, user, i18n.t(
                langs[user], "rectification.step_overdue_dm", icon=icon, number=report.number, due=due,
                what=i18n.tp(langs[user], f"rectification.what_{purpose}"), late=timer.late,
                late_by=i18n.fmt_late(langs[user], late_by), link=i18n.t(langs[user], "escalation.link",
                                                                       channel=channel_link(org.channels.safety))))
    if "channel" in rung.via:
        for channel in channels:
            notices.direct(ctx, s, report, now, channel, i18n.t(
                org.locale, "rectification.step_overdue_channel", icon=icon, number=report.number, due=due, what=what,
                holders=mentions(held), late_by=i18n.fmt_late(org.locale, late_by), late=timer.late))
    record(s, item, now, "system", f"{purpose}_escalated", None,
           {"step": timer.step, "people": people, "channels": channels, "late": timer.late})
    return True


def _people(ctx, item: RectItem, report: Report, targets: list[str], owner: list[str] | None = None) -> list[str]:
    out: list[str] = []
    for target in targets:
        found = (owners(item) if owner is None else owner) if target == "owner" else ctx.directory.resolve_people([target], item.team,
                                                                                  report.reporter_id)
        out += [u for u in found if u not in out]
    return out


def _flag_supervisor(ctx, s, report: Report, item: RectItem, now: dt.datetime) -> None:
    """§4.3.2: the team's items in a row (by deadline) all went overdue → its supervisor is marked for the
    monthly figures (an audit row `rect_supervisor_flagged` and the item's `flagged`)."""
    need = ctx.org.policy.rectification.supervisor_flag_after
    if not item.team or item.flagged:
        return
    s.flush()  # the sweeper works without autoflush: an item that went overdue earlier in this batch counts
    earlier = s.execute(select(RectItem.was_overdue).where(
        RectItem.team == item.team, RectItem.id != item.id, RectItem.first_due_at.is_not(None),
        RectItem.first_due_at <= item.first_due_at, (RectItem.closed_at.is_not(None)) | RectItem.was_overdue)
        .order_by(RectItem.first_due_at.desc(), RectItem.id.desc()).limit(need - 1)).scalars().all()
    if len(earlier) < need - 1 or not all(earlier):
        return
    team = ctx.directory.team(item.team)
    supervisors = list(team.supervisors) if team else []
    item.flagged = True
    record(s, item, now, "system", "rect_supervisor_flagged", None, {"team": item.team, "supervisors": supervisors,
                                                                     "in_a_row": need})
    notices.thread_line(ctx, s, report, now, i18n.t(ctx.org.locale, "rectification.flagged_thread", n=need,
                                                     team=item.team, people=mentions(supervisors)))


# --------------------------------------------------------------------------- recurring items (§6.1.2)
def _place(text: str) -> str:
    return " ".join((text or "").casefold().split())


def recurrence(ctx, s, report: Report, now: dt.datetime) -> Report | None:
    """The latest earlier hazard of the same place and category within the policy's window, if any."""
    place = _place(report.location)
    if not place:
        return None
    since = report.reported_at - ctx.org.policy.rectification.recurrence_window.timedelta
    earlier = s.execute(select(Report).where(
        Report.kind == "hazard", Report.category == report.category, Report.id != report.id,
        Report.reported_at >= since, Report.reported_at <= report.reported_at)
        .order_by(Report.reported_at.desc()).limit(200)).scalars().all()
    return next((r for r in earlier if _place(r.location) == place), None)


def mark_recurring(ctx, s, report: Report, item: RectItem, earlier: Report, now: dt.datetime) -> None:
    """Linked to the earlier hazard, marked recurring: a supervised item (督办事项) the department head follows.
    Called before the item's card is posted (the card shows it)."""
    item.recurring_of, item.supervised = earlier.id, True
    heads = ctx.directory.people("department_head")
    record(s, item, now, "system", "rect_recurring", None, {"earlier": earlier.number, "supervised": True,
                                                            "followed_by": heads})
    notices.thread_line(ctx, s, report, now, i18n.t(ctx.org.locale, "rectification.recurring_thread",
                                                     number=report.number, lead=earlier.number, who=mentions(heads)))
    tell(ctx, s, report, now, heads, "rectification.dm_supervised", lead=earlier.number)
