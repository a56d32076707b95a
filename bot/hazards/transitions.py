"""State changes of a report: acknowledge, resolve, assign, separate, a reply in its thread.

Each is one transaction: the record (read afresh under its row lock), the audit entries and the
outbox rows. Acting on a report of a group acts on its lead, and the permission is checked against
that same report in every path (button, form, command, the card's thread). A thread event passes its own
transaction (`session=`), so that the event's `processed_event` row and its effect commit together.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update

from bot import i18n
from bot.hazards import escalation, notices
from bot.hazards.kinds import REPORT, kind_of_report
from bot.hazards.lookups import find_report
from bot.hazards.present import group_message, who_may
from bot.i18n import Mrkdwn, fmt_minutes, fmt_time, mention
from bot.limits import PLACE_IN_NOTICE
from bot.masking import mask
from bot.prefs import locales_of, user_locale
from bot.subjects import about
from bot.text import clean_text
from storage.db import buffer_insert, session_scope
from storage.models import AuditEvent, ProcessedEvent, Report, SlackMessage

NOTE_IN_THREAD = 1000  # how much of a resolution note the thread line repeats (the card shows 500, status all)


@dataclass
class Outcome:
    ok: bool
    message: Mrkdwn | None = None  # what to tell the person who acted (ephemeral), if anything
    report: Report | None = None


def lock_report(s, report_id: int) -> Report:
    """The report read afresh under its row lock (two clicks at once cannot both change it)."""
    # populate_existing: the identity map would otherwise hand back the copy read before the lock.
    return s.execute(select(Report).where(Report.id == report_id).with_for_update()
                     .execution_options(populate_existing=True)).scalar_one()


def _acted_on(ctx, s, locale: str, number: str, user_id: str, action: str,
              now: dt.datetime) -> tuple[Report | None, Outcome | None]:
    """(the report `number` acts on — its lead when it is part of a group — or None with the answer why not:
    no such report, or `user_id` may not `action` it, which is refused against that same report)."""
    named = find_report(s, number)
    if named is None:
        return None, Outcome(False, i18n.t(locale, "errors.not_found_number", number=number))
    target = s.get(Report, named.group_id) if named.group_id else named
    if not ctx.directory.allowed(user_id, action, target.team, target):
        return None, refuse(ctx, s, locale, action, target, user_id, now)
    return target, None


_CATALOG = {"acknowledge": "ack", "resolve": "resolve", "separate": "separate", "assign": "thread_work.assign"}
# How a person acted: the card's buttons (and the resolve form), a reply in the card's thread, a reaction on the
# card, or a mention of the bot in the thread. Recorded in the audit row; the thread line says it.
VIAS = ("button", "reply", "reaction", "mention", "verification")  # verification: its rectification passed


@contextlib.contextmanager
def _scope(ctx, session):
    """The caller's transaction when it passes one (a thread event records itself in the same one), else our own."""
    if session is not None:
        yield session
        return
    with session_scope(ctx.engine) as s:
        yield s


def _moment(now: dt.datetime, at: dt.datetime | None, report: Report) -> dt.datetime:
    """When the person acted: the event's own time (a reply read a little later, a retried delivery) when it is
    earlier than now, never before the report itself."""
    if at is None or at >= now:
        return now
    return max(at, report.reported_at)


def _line_key(action: str, via: str) -> str:
    return f"thread.{action}" if via == "button" else f"thread_work.{action}_{via}"


def refuse(ctx, s, locale: str, action: str, report: Report, user_id: str, now: dt.datetime,
           key: str | None = None) -> Outcome:
    """Refused: the person is told who may (catalog `key`, by default the action's own), and the attempt goes
    to the operation log."""
    s.add(AuditEvent(at=now, actor=user_id, action=f"refused_{action}", note=report.number))
    return Outcome(False, who_may(ctx, locale, action, key or f"{_CATALOG[action]}.refused", number=report.number),
                   report)


def acknowledge(ctx, number: str, user_id: str, locale: str | None = None, *, via: str = "button",
                at: dt.datetime | None = None, session=None) -> Outcome:
    """`via`: how (VIAS); `at`: when the person acted, if earlier than now; `session`: the caller's transaction."""
    assert via in VIAS, via
    now = ctx.clock.now()
    with _scope(ctx, session) as s:
        locale = locale or user_locale(ctx, user_id, s)
        target, refused = _acted_on(ctx, s, locale, number, user_id, "acknowledge", now)
        if refused:
            return refused
        report = lock_report(s, target.id)  # two clicks at once cannot both acknowledge
        if report.status == "resolved":
            return Outcome(False, i18n.t(locale, "ack.resolved_already", number=report.number), report)
        if report.status != "open":
            escalation.answered(ctx, s, report, user_id, now)  # #21: IT's press still answers its own clock
            return Outcome(False, i18n.t(locale, "ack.already", number=report.number, who=mention(report.acknowledged_by),
                                         when=fmt_time(report.acknowledged_at, ctx.org.tz)), report)
        when = _moment(now, at, report)
        report.status, report.acknowledged_at, report.acknowledged_by = "acknowledged", when, user_id
        report.overdue = False
        report.version += 1
        took = (when - report.reported_at).total_seconds()
        buffer_insert(s, AuditEvent.__table__, dict(at=when, actor=user_id, action="acknowledged", subject_type=REPORT, subject_id=report.id,
                                                    before={"status": "open"}, note="",
                                                    after={"status": "acknowledged", "seconds": int(took), "via": via}))
        _carry_group(s, report, when, user_id, "acknowledged", status="acknowledged", acknowledged_at=when,
                     acknowledged_by=user_id)
        escalation.stop_ladder(s, report.id, "acknowledge", now)
        escalation.start_ladder(ctx, s, report, "resolve", now)
        escalation.answered(ctx, s, report, user_id, now)
        notices.update_card(ctx, s, report, now)
        loc = ctx.org.locale
        notices.thread_line(ctx, s, report, now, i18n.t(loc, _line_key("acknowledged", via), who=mention(user_id),
                                                         number=report.number, took=fmt_minutes(loc, took)))
    ctx.wake()
    return Outcome(True, None, report)


def can_resolve(ctx, number: str, user_id: str, locale: str | None = None) -> Outcome:
    """May `user_id` resolve `number` (its lead, in a group)? A refusal is written to the operation log."""
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        locale = locale or user_locale(ctx, user_id, s)
        target, refused = _acted_on(ctx, s, locale, number, user_id, "resolve", now)
        if refused:
            return refused
        if target.status == "resolved":
            return _already_resolved(ctx, locale, target)
        return Outcome(True, None, target)


def _already_resolved(ctx, locale: str, report: Report) -> Outcome:
    return Outcome(False, i18n.t(locale, "resolve.already", number=report.number, who=mention(report.resolved_by),
                                 when=fmt_time(report.resolved_at, ctx.org.tz)), report)


def resolve(ctx, number: str, user_id: str, note: object, locale: str | None = None, *, via: str = "button",
            session=None) -> Outcome:
    assert via in VIAS, via
    note = clean_text(note)
    now = ctx.clock.now()
    with _scope(ctx, session) as s:
        locale = locale or user_locale(ctx, user_id, s)
        target, refused = _acted_on(ctx, s, locale, number, user_id, "resolve", now)
        if refused:
            return refused
        note_max = kind_of_report(ctx.org, target).section.suggestion_max
        if not note:
            return Outcome(False, i18n.t(locale, "resolve.note_empty"), target)
        if len(note) > note_max:
            return Outcome(False, i18n.t(locale, "errors.too_long", max=note_max), target)
        report = lock_report(s, target.id)
        if report.status == "resolved":
            return _already_resolved(ctx, locale, report)
        _resolve_locked(ctx, s, report, user_id, note, via, now)
    ctx.wake()
    return Outcome(True, None, report)


def _resolve_locked(ctx, s, report: Report, user_id: str, note: str, via: str, now: dt.datetime) -> None:
    """Resolve `report` (read under its lock, not yet resolved): record, audit, group, ladders, card, thread."""
    before = {"status": report.status}
    if report.status == "open":  # resolving answers the report too
        report.acknowledged_at, report.acknowledged_by = now, user_id
    escalation.answered(ctx, s, report, user_id, now)
    report.status, report.resolved_at, report.resolved_by = "resolved", now, user_id
    report.resolution_note = note
    report.overdue = False
    report.version += 1
    buffer_insert(s, AuditEvent.__table__, dict(at=now, actor=user_id, action="resolved", subject_type=REPORT, subject_id=report.id,
                                                before=before, after={"status": "resolved", "via": via}, note=note))
    members = _carry_group(s, report, now, user_id, "resolved", note=note, status="resolved", resolved_at=now,
                           resolved_by=user_id, resolution_note=note)
    escalation.stop_ladder(s, report.id, None, now)
    notices.update_card(ctx, s, report, now)
    loc = ctx.org.locale
    notices.thread_line(ctx, s, report, now, i18n.t(loc, _line_key("resolved", via), who=mention(user_id),
                                                     number=report.number, note=mask(note)[:NOTE_IN_THREAD]))
    if members:
        _tell_member_reporters(ctx, s, report, members, user_id, note, now)
        notices.group_thread(ctx, s, report, now, group_message(ctx, s, report), first=False)


def close_verified(ctx, s, report_id: int, user_id: str, now: dt.datetime) -> None:
    """In the caller's transaction: its rectification verified (§4.3.3 验证通过后，关闭隐患项), the hazard is
    resolved by the verifier if it is still open (its ladders stop, its card and timeline say so); a hazard
    already resolved keeps its resolution."""
    report = lock_report(s, report_id)
    if report.status == "resolved":
        return
    _resolve_locked(ctx, s, report, user_id, str(i18n.tp(ctx.org.locale, "rectification.closed_note")),
                    "verification", now)


def _carry_group(s, lead: Report, now: dt.datetime, user_id: str, action: str, note: str = "",
                 **values) -> list[tuple[int, str, str]]:
    """Open reports grouped under `lead` follow it, each with its own audit entry naming the group.
    Returns (id, number, reporter) of those that followed."""
    members = s.execute(select(Report.id, Report.number, Report.reporter_id)
                        .where(Report.group_id == lead.id, Report.status != "resolved")).all()
    if not members:
        return []
    s.execute(update(Report).where(Report.id.in_([m[0] for m in members])).values(**values))
    for member_id, _, _ in members:
        buffer_insert(s, AuditEvent.__table__, dict(at=now, actor=user_id, action=action, **about(REPORT, member_id),
                                                    before=None, after={"via_group": lead.number}, note=note))
    return [tuple(m) for m in members]


def _tell_member_reporters(ctx, s, lead: Report, members, user_id: str, note: str, now: dt.datetime) -> None:
    """Resolving a group resolves reports other people filed: each of them hears it, with the note."""
    reporters = [reporter for _, _, reporter in members if reporter != user_id]
    langs = locales_of(s, ctx.org, reporters)
    for member_id, number, reporter in members:
        if reporter == user_id:
            continue
        loc = langs[reporter]
        member = s.get(Report, member_id)
        notices.direct(ctx, s, member, now, reporter, i18n.t(
            loc, "dm.resolved_with_group", number=number, lead=lead.number, who=mention(user_id),
            note=mask(note)[:NOTE_IN_THREAD]))


def separate(ctx, number: str, user_id: str, locale: str | None = None) -> Outcome:
    """Take a joined report out of its group: its own card, deadlines and ladder; the group card is updated."""
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        locale = locale or user_locale(ctx, user_id, s)
        member = find_report(s, number)
        if member is None:
            return Outcome(False, i18n.t(locale, "errors.not_found_number", number=number))
        if not ctx.directory.allowed(user_id, "separate", member.team):
            return refuse(ctx, s, locale, "separate", member, user_id, now)
        if member.group_id is None:
            return Outcome(False, i18n.t(locale, "separate.not_joined", number=member.number), member)
        lead = lock_report(s, member.group_id)
        member = lock_report(s, member.id)
        if member.group_id != lead.id:  # separated by someone else a moment ago
            return Outcome(False, i18n.t(locale, "separate.not_joined", number=member.number), member)
        if member.status == "resolved":
            return Outcome(False, i18n.t(locale, "ack.resolved_already", number=member.number), member)
        member.group_id = None
        member.version += 1
        buffer_insert(s, AuditEvent.__table__, dict(at=now, actor=user_id, action="separated", subject_type=REPORT, subject_id=member.id,
                                                    before={"group": lead.number}, after={"lead": lead.number},
                                                    note=""))
        s.flush()
        loc = ctx.org.locale
        line = i18n.t(loc, "thread.separated", who=mention(user_id), number=member.number, lead=lead.number)
        notices.post_card(ctx, s, member, now)
        notices.thread_line(ctx, s, member, now, line)
        escalation.start_ladder(ctx, s, member, "acknowledge" if member.status == "open" else "resolve", now)
        notices.thread_line(ctx, s, lead, now, line)
        notices.update_card(ctx, s, lead, now)
        notices.group_thread(ctx, s, lead, now, group_message(ctx, s, lead), first=False)
    ctx.wake()
    return Outcome(True, None, member)


def assign(ctx, number: str, user_id: str, assignee: str, locale: str | None = None, *, via: str = "mention",
           session=None) -> Outcome:
    """Who does the work (`assigned_to`), kept apart from who answers for it (the responders, the acknowledger)."""
    assert via in VIAS, via
    now = ctx.clock.now()
    with _scope(ctx, session) as s:
        locale = locale or user_locale(ctx, user_id, s)
        target, refused = _acted_on(ctx, s, locale, number, user_id, "assign", now)
        if refused:
            return refused
        report = lock_report(s, target.id)
        if report.status == "resolved":
            return _already_resolved(ctx, locale, report)
        if report.assigned_to == assignee:
            return Outcome(False, i18n.t(locale, "thread_work.assign.already", number=report.number,
                                         who=mention(assignee)), report)
        before = {"assigned_to": report.assigned_to}
        report.assigned_to = assignee
        report.version += 1
        buffer_insert(s, AuditEvent.__table__, dict(at=now, actor=user_id, action="assigned", subject_type=REPORT, subject_id=report.id,
                                                    before=before, after={"assigned_to": assignee, "via": via},
                                                    note=""))
        notices.update_card(ctx, s, report, now)
        loc = ctx.org.locale
        notices.thread_line(ctx, s, report, now, i18n.t(loc, "thread_work.assigned", who=mention(user_id),
                                                         mentions=mention(assignee), number=report.number))
        if assignee != user_id:  # the person doing the work hears it directly, in their language
            their = user_locale(ctx, assignee, s)
            notices.direct(ctx, s, report, now, assignee, i18n.t(
                their, "thread_work.assigned_dm", who=mention(user_id), number=report.number,
                level=kind_of_report(ctx.org, report).level_name(report.level, their),
                location=mask(report.location)[:PLACE_IN_NOTICE] or "—", link=notices.link(their, ctx)))
    ctx.wake()
    return Outcome(True, None, report)


def card_at(s, channel: str, ts: str) -> SlackMessage | None:
    """The report card posted at (channel, ts), or None when that message is not a card of ours."""
    card = s.execute(select(SlackMessage).where(SlackMessage.channel == channel,
                                                SlackMessage.ts == ts)).scalar_one_or_none()
    if card is None or card.report_id is None or not card.key.endswith(":card"):
        return None
    return card


def record_reply(s, now: dt.datetime, *, event_id: str | None, channel: str, thread_ts: str, ts: str,
                 user_id: str, text: str, at: dt.datetime | None = None, comment: bool = True) -> SlackMessage | None:
    """In the caller's transaction: the reply joins its report's timeline, marked processed (a second delivery
    raises IntegrityError at the flush). Returns the card replied under, or None when it is not a card's thread.
    `comment=False` (a reply that is an @SafeShift command): marked processed only, its effect is on the timeline."""
    card = card_at(s, channel, thread_ts)
    if card is None:
        return None
    s.add(ProcessedEvent(event_id=event_id or f"{channel}:{ts}"[:64], received_at=now))
    s.flush()
    if not comment:
        return card
    buffer_insert(s, AuditEvent.__table__, dict(at=at or now, actor=user_id, action="comment",
                                                **about(REPORT, card.report_id), before=None,
                                                note=clean_text(text)[:4000], after={"ts": ts}))
    return card


def ephemeral(ctx, channel: str | None, user_id: str, text: str) -> None:
    with session_scope(ctx.engine) as s:
        notices.ephemeral(ctx, s, channel, user_id, text)
    ctx.wake()

