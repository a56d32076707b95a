"""`/drill`: the coming drills, moving one (by someone with permission `run_drill`), the evaluation form of one
(as the day notice's Evaluate button), help.

Moving is one transaction: the drill (under its row lock), an audit row (before → after), and the notices:
those already sent for the old date are due again for the new one (the drill's `notices` is emptied and the
notices whose moment has come for the new date go at once); people who had heard of the old date hear of the
move even when no notice of the new date is due yet.
"""

from __future__ import annotations

import datetime as dt
import re

from bot import i18n
from bot.drills import SUBJECT, evaluation, layout, notices
from bot.drills.common import Outcome, allowed, not_found, parse_id, refuse
from bot.i18n import fmt_time
from bot.masking import mask
from bot.render import render
from bot.text import clean_text
from storage.db import buffer_insert, session_scope
from storage.models import AuditEvent, Drill

SUBCOMMANDS = {"list": "list", "列表": "list", "计划": "list", "move": "move", "改期": "move",
               "evaluate": "evaluate", "评估": "evaluate", "cancel": "cancel", "取消": "cancel", "help": "help", "帮助": "help", "?": "help"}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^\d{1,2}:\d{2}$")
TEXT_ECHO = 40  # how much of a bad argument the answer repeats
TEXT_REASON = 500  # a cancellation's reason, kept in the audit row
MOVE_YEARS = (2000, 2999)  # a date a drill can be moved to (the year 1 is no drill date, and overflows UTC)


def command(ctx, user_id: str, text: object, locale: str) -> Outcome:
    """The answer to `/drill …` (always only for the person who typed it)."""
    words = clean_text(text).split()
    sub = SUBCOMMANDS.get(words[0].lower(), "unknown") if words else "list"
    if sub == "list":
        return list_message(ctx, locale)
    if sub == "move":
        return move_command(ctx, user_id, words[1:], locale)
    if sub == "cancel":
        return cancel(ctx, user_id, words[1:], locale)
    if sub == "evaluate":  # the day notice's Evaluate button, for a drill whose notice is out of reach
        return evaluation.form_for(ctx, user_id, words[1] if len(words) > 1 else "", locale)
    help_text = i18n.t(locale, "drills.help")
    return Outcome(sub == "help", help_text if sub == "help" else i18n.t(locale, "drills.unknown_word",
                                                                         text=mask(words[0])[:TEXT_ECHO]) + "\n" + help_text)


def status_word(ctx, drill: Drill, locale: str, now: dt.datetime) -> str:
    if drill.status in layout.OPEN and drill.planned_at <= now:
        return i18n.tp(locale, "drills.status_awaiting")
    return i18n.tp(locale, f"drills.status_{drill.status}")


def list_message(ctx, locale: str) -> Outcome:
    """The coming drills: date, kind, plan, status (the calendar is laid out first, idempotently)."""
    org, now = ctx.org, ctx.clock.now()
    with session_scope(ctx.engine) as s:
        layout.lay_out(ctx, s, now)
        drills = layout.coming(s, org, now)
        lines = [i18n.t(locale, "drills.list_line", number=str(d.id), when=fmt_time(d.planned_at, org.tz),
                        name=layout.kind_name(org, d, locale), plan=layout.plan_name(org, d, locale) or "—",
                        status=status_word(ctx, d, locale, now)) for d in drills]
    blocks = render("drill_list", locale, title=i18n.tp(locale, "drills.list_title"), lines=lines,
                    empty=i18n.t(locale, "drills.list_empty"), footer=i18n.t(locale, "drills.list_help"),
                    zone=org.timezone)
    return Outcome(True, i18n.tp(locale, "drills.list_fallback", n=len(lines)), blocks=blocks)


def parse_when(ctx, drill: Drill, words: list[str]) -> dt.datetime | None:
    """`YYYY-MM-DD [HH:MM]` in the organisation's zone (without a time: the drill keeps its local time)."""
    if not words or len(words) > 2 or not _DATE.match(words[0]):
        return None
    try:
        day = dt.date.fromisoformat(words[0])
        if not MOVE_YEARS[0] <= day.year <= MOVE_YEARS[1]:
            return None
        if len(words) == 2:
            if not _TIME.match(words[1]):
                return None
            h, m = (int(x) for x in words[1].split(":"))
            at = dt.time(h, m)
        else:
            at = ctx.org.local(drill.planned_at).time()
    except ValueError:
        return None
    return layout.local_moment(ctx.org, day, at.strftime("%H:%M"))


def move_command(ctx, user_id: str, words: list[str], locale: str) -> Outcome:
    if len(words) < 2 or parse_id(words[0]) is None:
        return Outcome(False, i18n.t(locale, "drills.move_usage"))
    return move(ctx, user_id, parse_id(words[0]), words[1:], locale)


def move(ctx, user_id: str, drill_id: int, when_words: list[str], locale: str) -> Outcome:
    org, now = ctx.org, ctx.clock.now()
    with session_scope(ctx.engine) as s:
        if not allowed(ctx, user_id):
            return refuse(ctx, s, locale, user_id, "move", drill_id, now)
        drill = layout.lock(s, drill_id)
        if drill is None:
            return not_found(locale, drill_id)
        name = layout.kind_name(org, drill, locale)
        if drill.status not in layout.OPEN or drill.status == "held":
            return Outcome(False, i18n.t(locale, "drills.move_not_open", name=name,
                                         status=i18n.tp(locale, f"drills.status_{drill.status}")))
        new = parse_when(ctx, drill, when_words)
        if new is None:
            return Outcome(False, i18n.t(locale, "drills.move_bad_date", text=mask(" ".join(when_words))[:TEXT_ECHO]))
        if new <= now:
            return Outcome(False, i18n.t(locale, "drills.move_past", when=fmt_time(new, org.tz)))
        if new == drill.planned_at:  # already so: nothing to record, nobody to tell again
            return Outcome(False, i18n.t(locale, "drills.move_same", name=name, when=fmt_time(new, org.tz)))
        old, told = drill.planned_at, list(drill.notices or [])
        drill.planned_at, drill.moved_by, drill.notices = new, user_id, []
        drill.version += 1
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor=user_id, action="drill_moved", subject_type=SUBJECT, subject_id=drill.id, note="",
            before={"drill": drill.id, "planned_at": old.isoformat(), "notices": told},
            after={"drill": drill.id, "planned_at": new.isoformat()}))
        sent = notices.send_due(ctx, s, drill, now, moved_from=old, told_before=bool(told))
        day_off = not org.workdays.is_working_day(org.local(new).date())
    ctx.wake()
    return Outcome(True, i18n.t(locale, "drills.moved", number=str(drill_id), name=name, when=fmt_time(new, org.tz),
                                late=sent is not None, unknown=day_off))


def cancel(ctx, user_id: str, words: list[str], locale: str) -> Outcome:
    """`/drill cancel <id> [reason]` (#21): a planned drill is cancelled (by someone with `run_drill`); the people
    already told of it hear so. A drill held (attendance taken) is evaluated instead."""
    org, now = ctx.org, ctx.clock.now()
    drill_id = parse_id(words[0]) if words else None
    if drill_id is None:
        return Outcome(False, i18n.t(locale, "drills.cancel_usage"))
    reason = clean_text(" ".join(words[1:]))[:TEXT_REASON]
    with session_scope(ctx.engine) as s:
        if not allowed(ctx, user_id):
            return refuse(ctx, s, locale, user_id, "cancel", drill_id, now)
        drill = layout.lock(s, drill_id)
        if drill is None:
            return not_found(locale, drill_id)
        name = layout.kind_name(org, drill, locale)
        if drill.status != "planned":
            return Outcome(False, i18n.t(locale, "drills.cancel_not_open", name=name,
                                         status=i18n.tp(locale, f"drills.status_{drill.status}")))
        told = list(drill.notices or [])
        drill.status = "cancelled"
        drill.version += 1
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor=user_id, action="drill_cancelled", subject_type=SUBJECT, subject_id=drill.id, note=reason,
            before={"drill": drill.id, "status": "planned"}, after={"drill": drill.id, "status": "cancelled"}))
        if told:
            notices.post(ctx, s, drill, notices.CANCELLED, now)
    ctx.wake()
    return Outcome(True, i18n.t(locale, "drills.cancelled", number=str(drill_id), name=name,
                                when=fmt_time(drill.planned_at, org.tz), late=bool(told)))
