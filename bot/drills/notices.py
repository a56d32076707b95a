"""Notices before a drill (§3.4.2: 7 days and 1 day, naming the plan exercised) and on its day (attendance
and evaluation buttons), each exactly once.

What was sent is the drill's `notices` list ("7d", "1d", "day"), written in the transaction that queues the
messages, under the drill's row lock: a restart, a catch-up run or a second process sends nothing twice.
A notice goes out at `notice_time` local on the day `d` before the drill (the day notice: on the drill's day).
Every notice whose moment has come and that was not sent yet goes out while the drill is still ahead (the day
notice: until the end of the drill's day, since it takes the attendance), never one for a drill already past.
When several are due at once (the bot was down), one message goes: the one nearest the drill, and all of
them are recorded as sent (a "7 days before" notice a day before the drill would only mislead).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot import i18n
from bot.drills import SUBJECT
from bot.drills.layout import OPEN, kind_name, local_moment, plan_name
from bot.hazards.present import roles_text
from bot.i18n import fmt_time
from bot.outbox import ROUTINE, enqueue
from bot.prefs import locales_of
from bot.render import render
from storage.db import buffer_insert
from storage.models import AuditEvent, Drill

DAY = "day"  # the notice on the drill's day, with the attendance and evaluation buttons
MOVED = "moved"  # a drill moved after people were told its old date (not recorded: the new date's notices follow)
CANCELLED = "cancelled"  # a drill cancelled after people were told of it (#21)
NOTICE_AHEAD_SLACK = dt.timedelta(days=2)  # the daily run reads drills this much beyond the longest notice


def ordering_key(drill_id: int) -> str:
    return f"drill:{drill_id}"


def moments(org, drill: Drill) -> list[tuple[str, dt.datetime]]:
    """(label, moment) of every notice of `drill`, earliest first; the day notice last."""
    pol = org.policy.drills
    local = org.local(drill.planned_at)
    out = [(d.text, local_moment(org, (local - d.timedelta).date(), pol.notice_time))
           for d in sorted(pol.notices, key=lambda d: -d.seconds)]
    out.append((DAY, local_moment(org, local.date(), pol.notice_time)))
    return out


def end_of_day(org, drill: Drill) -> dt.datetime:
    day = org.local(drill.planned_at).date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(0, 0), tzinfo=org.tz).astimezone(dt.timezone.utc)


def due(org, drill: Drill, now: dt.datetime) -> list[str]:
    """Labels of the notices of `drill` whose moment has come, not sent yet, and still worth sending."""
    if drill.status not in OPEN:
        return []
    sent = set(drill.notices or [])
    out = []
    for label, moment in moments(org, drill):
        if label in sent or moment > now:
            continue
        if now < (end_of_day(org, drill) if label == DAY else drill.planned_at):
            out.append(label)
    return out


def send_due(ctx, s, drill: Drill, now: dt.datetime, moved_from: dt.datetime | None = None,
             told_before: bool = False) -> str | None:
    """Queue the due notice of `drill` (locked by the caller) and record what it covers. `moved_from`: the drill
    was just moved from that moment; `told_before`: people had been told the old date (then they hear of the
    move even when no notice of the new date is due yet). Returns the label sent, if any."""
    labels = due(ctx.org, drill, now)
    if not labels:
        if moved_from is not None and told_before and drill.status in OPEN:
            post(ctx, s, drill, MOVED, now, moved_from)
            return MOVED
        return None
    label = DAY if DAY in labels else labels[-1]
    post(ctx, s, drill, label, now, moved_from)
    drill.notices = list(drill.notices or []) + labels  # a new list: the JSON column sees the change
    drill.version += 1
    buffer_insert(s, AuditEvent.__table__, dict(
        at=now, actor="system", action="drill_notice", subject_type=SUBJECT, subject_id=drill.id, before=None, note="",
        after={"drill": drill.id, "sent": label, "covers": labels, "planned_at": drill.planned_at.isoformat()}))
    return label


def send_all_due(ctx, s, now: dt.datetime) -> int:
    """The daily run: every drill near enough for a notice, each locked while its notices are decided."""
    longest = max(d.timedelta for d in ctx.org.policy.drills.notices)
    ids_ = s.execute(select(Drill.id).where(
        Drill.status.in_(OPEN), Drill.planned_at >= now - NOTICE_AHEAD_SLACK,
        Drill.planned_at <= now + longest + NOTICE_AHEAD_SLACK).order_by(Drill.planned_at, Drill.id)).scalars().all()
    sent = 0
    for drill_id in ids_:
        drill = s.execute(select(Drill).where(Drill.id == drill_id).with_for_update()
                          .execution_options(populate_existing=True)).scalar_one()
        sent += send_due(ctx, s, drill, now) is not None
    return sent


# --------------------------------------------------------------------------- where and what
def targets(ctx, names: list[str]) -> tuple[list[str], list[str]]:
    """(channels, people) of policy targets for a department-wide matter: a team target means every team's;
    `owner` means the people who run drills (policy `drills.owner`)."""
    org, directory = ctx.org, ctx.directory
    channels = directory.resolve_channels([n for n in names if n != "team_channel"], None)
    people = directory.resolve_people([n for n in names if n not in ("owner", "team_supervisors", "on_duty")],
                                      None, None)
    if "owner" in names:
        inner, more = targets(ctx, [n for n in org.policy.drills.owner if n != "owner"])
        channels += [c for c in inner if c not in channels]
        people += [u for u in more if u not in people]
    for team in org.teams:
        found = []
        if "team_channel" in names and team.channel:
            channels += [team.channel] if team.channel not in channels else []
        if "team_supervisors" in names:
            found += team.supervisors
        if "on_duty" in names:
            found += team.on_duty
        people += [u for u in found if u not in people]
    return channels, people


def notice_message(ctx, drill: Drill, label: str, locale: str, moved_from: dt.datetime | None = None,
                   attended: int = 0) -> dict:
    org = ctx.org
    name = kind_name(org, drill, locale)
    when = fmt_time(drill.planned_at, org.tz)
    plan = plan_name(org, drill, locale)
    if label == MOVED:
        body = i18n.t(locale, "drills.notice_moved_only", name=name, when=when, start=fmt_time(moved_from, org.tz))
    elif label == CANCELLED:
        body = i18n.t(locale, "drills.notice_cancelled", name=name, when=when)
    elif label == DAY:
        body = i18n.t(locale, "drills.notice_day", name=name, when=when,
                      roles=roles_text(locale, ctx.directory.permitted_roles("run_drill")))
    else:  # how far ahead, in days of the organisation's calendar: "in 7 days", "tomorrow"
        days = (org.local(drill.planned_at).date() - org.local(ctx.clock.now()).date()).days
        body = i18n.t(locale, "drills.notice_before", name=name, when=when, days=days)
    moved = (i18n.t(locale, "drills.notice_moved", start=fmt_time(moved_from, org.tz))
             if moved_from is not None and label != MOVED else None)
    plan_line = (i18n.t(locale, "drills.plan_line", plan=plan, code=drill.plan) if plan
                 else i18n.t(locale, "drills.no_plan"))
    blocks = render("drill_notice", locale, title=i18n.tp(locale, "drills.notice_title", name=name), body=body,
                    moved=moved, plan_line=plan_line, buttons=label == DAY, value=str(drill.id), zone=org.timezone,
                    count=(i18n.t(locale, "drills.notice_count", n=attended) if label == DAY and attended else None))
    return {"text": i18n.tp(locale, "drills.notice_fallback", name=name, when=when,
                            days=(org.local(drill.planned_at).date() - org.local(ctx.clock.now()).date()).days),
            "blocks": blocks,
            "unfurl_links": False, "unfurl_media": False}


def post(ctx, s, drill: Drill, label: str, now: dt.datetime, moved_from: dt.datetime | None = None) -> None:
    """The notice to the policy's `announce` targets: channels in the organisation's language, people by DM
    in their own."""
    channels, people = targets(ctx, list(ctx.org.policy.drills.announce))
    for channel in channels:
        _enqueue(s, now, drill, dict(notice_message(ctx, drill, label, ctx.org.locale, moved_from), channel=channel),
                 label)
    langs = locales_of(s, ctx.org, people)
    for user in people:
        _enqueue(s, now, drill, dict(notice_message(ctx, drill, label, langs[user], moved_from), channel=user), label)


def day_key(drill_id: int, where: str) -> str:
    return f"drill:{drill_id}:day:{where}"


def _enqueue(s, now: dt.datetime, drill: Drill, payload: dict, label: str) -> None:
    enqueue(s, now, "chat.postMessage", payload, ordering_key=ordering_key(drill.id), priority=ROUTINE,
            message_key=day_key(drill.id, payload["channel"]) if label == DAY else None)


def update_day(ctx, s, drill: Drill, now: dt.datetime, attended: int) -> None:
    """#21: the day's notice, where it went, edited to show how many took part so far."""
    if DAY not in (drill.notices or []):
        return
    channels, people = targets(ctx, list(ctx.org.policy.drills.announce))
    langs = locales_of(s, ctx.org, people)
    for where, locale in [(c, ctx.org.locale) for c in channels] + [(u, langs[u]) for u in people]:
        payload = dict(notice_message(ctx, drill, DAY, locale, attended=attended), channel=where)
        enqueue(s, now, "chat.update", payload, ordering_key=ordering_key(drill.id), priority=ROUTINE,
                target_key=day_key(drill.id, where))
