"""Use cases of the hazard flow. Each state change is one transaction that writes the
record, its audit event and the Slack messages (outbox rows) that report it.

Handlers call these and only these; nothing here knows about HTTP or Bolt.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from bot import escalation, i18n
from bot.context import Context
from bot.i18n import Mrkdwn, fmt_minutes, fmt_time, mention
from bot.masking import mask
from bot.outbox import enqueue
from bot.present import card_payload, category_name, level_name, mentions, roles_text, status_label
from bot.render import render
from storage.db import buffer_insert, next_sequence, session_scope
from storage.models import AuditEvent, ProcessedEvent, Report, SlackMessage, UserPref, report_is_open
from storage.queries import group_members

EPHEMERAL_TTL = dt.timedelta(minutes=2)
_NUMBER_RE = re.compile(r"^([A-Z]{1,6})-(\d{4})-(\d{3,10})$")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)


def card_key(report_id: int) -> str:
    return f"report:{report_id}:card"


def ordering_key(report_id: int) -> str:
    return f"report:{report_id}"


# --------------------------------------------------------------------------- locale
def user_locale(ctx: Context, user_id: str | None, session=None) -> str:
    """The user's chosen language, else the organisation file's, else the organisation's.

    Pass `session` when already inside a transaction (a second one would wait on SQLite's lock).
    """
    if user_id:
        if session is not None:
            pref = session.get(UserPref, user_id)
        else:
            with session_scope(ctx.engine) as s:
                pref = s.get(UserPref, user_id)
        if pref:
            return pref.locale
        if user_id in ctx.org.user_locales:
            return ctx.org.user_locales[user_id]
    return ctx.org.locale


def set_user_locale(ctx: Context, user_id: str, locale: str) -> None:
    with session_scope(ctx.engine) as s:
        pref = s.get(UserPref, user_id)
        before = pref.locale if pref else None
        if pref is None:
            s.add(UserPref(user_id=user_id, locale=locale))
        else:
            pref.locale = locale
        s.add(AuditEvent(at=ctx.clock.now(), actor=user_id, action="set_locale", before={"locale": before},
                         after={"locale": locale}))


# --------------------------------------------------------------------------- the form
def report_form(ctx: Context, locale: str, description: str = "", private_metadata: dict | None = None) -> dict:
    pol = ctx.org.policy.hazard
    levels = [{"value": str(n), "name": lv.name.get(locale), "hint": lv.hint.get(locale)}
              for n, lv in sorted(pol.levels.items())]
    categories = [{"value": k, "label": v.get(locale)} for k, v in pol.categories.items()]
    return render(
        "hazard_modal", locale, levels=levels, categories=categories, initial_category=None,
        description=clean_text(description)[: pol.description_max], description_max=pol.description_max,
        location_max=pol.location_max, suggestion_max=pol.suggestion_max, max_photos=pol.max_photos,
        private_metadata=json.dumps(private_metadata or {}, ensure_ascii=False)[:3000],
    )


def clean_text(value: object) -> str:
    """Trim, drop zero-width characters and control characters other than newlines and tabs."""
    if value is None:
        return ""
    s = str(value).translate(_ZERO_WIDTH)
    s = "".join(ch for ch in s if ch in "\n\t" or ord(ch) >= 32)
    return s.strip()


@dataclass
class ReportInput:
    category: str
    level: int
    location: str
    description: str
    suggestion: str
    photos: list[dict] = field(default_factory=list)


def validate_report(ctx: Context, locale: str, values: dict) -> tuple[ReportInput | None, dict[str, str]]:
    """Check a submitted form. Returns (input, {}) or (None, {block_id: message})."""
    pol = ctx.org.policy.hazard
    errors: dict[str, str] = {}
    raw_level = values.get("level")
    level = None
    try:
        level = int(str(raw_level))
    except (TypeError, ValueError):
        pass
    if level not in pol.levels:
        errors["level"] = i18n.tp(locale, "errors.level_invalid")
    category = values.get("category")
    if not isinstance(category, str) or category not in pol.categories:
        errors["category"] = i18n.tp(locale, "errors.category_invalid")
    description = clean_text(values.get("description"))
    if not description:
        errors["description"] = i18n.tp(locale, "errors.description_empty")
    elif len(description) > pol.description_max:
        errors["description"] = i18n.tp(locale, "errors.too_long", max=pol.description_max)
    location = clean_text(values.get("location"))
    if len(location) > pol.location_max:
        errors["location"] = i18n.tp(locale, "errors.too_long", max=pol.location_max)
    suggestion = clean_text(values.get("suggestion"))
    if len(suggestion) > pol.suggestion_max:
        errors["suggestion"] = i18n.tp(locale, "errors.too_long", max=pol.suggestion_max)
    photos_in = values.get("photos") or []
    if not isinstance(photos_in, list):
        photos_in = []
    if len(photos_in) > pol.max_photos:
        errors["photos"] = i18n.tp(locale, "errors.too_many_photos", max=pol.max_photos)
    photos = []
    for f in photos_in[: pol.max_photos]:
        if isinstance(f, dict) and isinstance(f.get("id"), str):
            photos.append({k: str(f.get(k))[:500] for k in ("id", "name", "filetype", "permalink") if f.get(k)})
    if errors:
        return None, errors
    return ReportInput(category=category, level=level, location=location, description=description,
                       suggestion=suggestion, photos=photos), {}


# --------------------------------------------------------------------------- reporting
@dataclass
class Created:
    report: Report
    created: bool
    responders: list[str]


def create_hazard(ctx: Context, *, source_key: str, reporter_id: str, data: ReportInput,
                  origin_channel: str | None = None) -> Created:
    """Store a new hazard and queue its card. The same `source_key` twice gives the first report back."""
    org = ctx.org
    now = ctx.clock.now()
    team = ctx.directory.team_of(reporter_id)
    team_name = team.name if team else None
    level = org.policy.level(data.level)
    responders = ctx.directory.responders_for(data.level, team_name, reporter_id)
    numbering = org.policy.numbering["hazard"]
    year = org.local(now).year
    try:
        with session_scope(ctx.engine) as s:
            existing = s.execute(select(Report).where(Report.source_key == source_key)).scalar_one_or_none()
            if existing is not None:
                return Created(existing, False, responders)
            seq = next_sequence(s, numbering.prefix, year)
            lead = _group_lead(ctx, s, data, now)
            report = Report(
                kind="hazard", number=f"{numbering.prefix}-{year}-{seq:0{numbering.digits}d}", year=year, seq=seq,
                source_key=source_key, category=data.category, level=data.level, location=data.location,
                description=data.description, suggestion=data.suggestion, photos=data.photos,
                reporter_id=reporter_id, team=team_name, origin_channel=origin_channel, status="open",
                reported_at=now, respond_due_at=level.respond_within.add_to(now, org.tz),
                resolve_due_at=level.resolve_within.add_to(now, org.tz),
            )
            if lead is not None:  # it follows its lead: same state, no card, no ladder of its own
                report.group_id = lead.id
                report.status = lead.status
                report.acknowledged_at, report.acknowledged_by = lead.acknowledged_at, lead.acknowledged_by
            s.add(report)
            s.flush()
            s.add(AuditEvent(at=now, actor=reporter_id, action="reported", report_id=report.id,
                             after={"status": report.status, "level": data.level, "category": data.category,
                                    "grouped_with": lead.number if lead else None}))
            if lead is None:
                _queue_new_report_messages(ctx, s, report, responders, now)
                escalation.start_ladder(ctx, s, report, "acknowledge", now)
            else:
                _queue_grouped_messages(ctx, s, report, lead, now)
    except IntegrityError:
        # The same submission raced itself: the other request stored it.
        with session_scope(ctx.engine) as s:
            existing = s.execute(select(Report).where(Report.source_key == source_key)).scalar_one()
        return Created(existing, False, responders)
    ctx.wake()
    return Created(report, True, responders)


def _queue_new_report_messages(ctx: Context, s, report: Report, responders: list[str], now: dt.datetime) -> None:
    org = ctx.org
    locale = org.locale
    key = ordering_key(report.id)
    safety = org.channels.safety
    enqueue(s, now, "chat.postMessage", card_payload(org, report, safety, now), ordering_key=key,
            message_key=card_key(report.id), report_id=report.id)
    level = org.policy.level(report.level)
    notify_people = ctx.directory.resolve_people(list(level.notify), report.team, report.reporter_id)
    in_thread = [u for u in responders + notify_people if u != report.reporter_id]
    lvl_name = level_name(org, report.level, locale)
    if in_thread:
        enqueue(s, now, "chat.postMessage",
                {"channel": safety, "text": i18n.t(locale, "thread.notify", mentions=mentions(in_thread),
                                                   number=report.number, level=lvl_name)},
                ordering_key=key, target_key=card_key(report.id), report_id=report.id)
    for user in notify_people:
        loc = user_locale(ctx, user, s)
        enqueue(s, now, "chat.postMessage",
                {"channel": user, "text": i18n.t(loc, "escalation.new_major", level=level_name(org, report.level, loc),
                                                 number=report.number, location=mask(report.location) or "—",
                                                 description=mask(report.description)[:500])},
                ordering_key=key, report_id=report.id)
    for channel in ctx.directory.resolve_channels(list(level.notify), report.team):
        if channel == safety:
            continue
        enqueue(s, now, "chat.postMessage",
                {"channel": channel, "text": i18n.t(locale, "escalation.new_major", level=lvl_name,
                                                    number=report.number, location=mask(report.location) or "—",
                                                    description=mask(report.description)[:500])},
                ordering_key=key, report_id=report.id)
    rloc = user_locale(ctx, report.reporter_id, s)
    enqueue(s, now, "chat.postMessage",
            {"channel": report.reporter_id, "text": confirmation_text(ctx, report, responders, rloc, "confirm.dm")},
            ordering_key=key, report_id=report.id)


def _group_lead(ctx: Context, s, data: ReportInput, now: dt.datetime) -> Report | None:
    """The open report of the same place, level and category from the grouping window, if any (row locked).

    Same level matters: a level-1 report must never inherit a level-3 lead's slower deadlines.
    """
    window = ctx.org.policy.hazard.group_window
    place = data.location.strip().lower()
    if window is None or not place:
        return None
    return s.execute(
        select(Report).where(Report.group_id.is_(None), report_is_open(),
                             Report.level == data.level, Report.category == data.category,
                             func.lower(func.trim(Report.location)) == place,
                             Report.reported_at >= now - window.timedelta)
        .order_by(Report.reported_at).limit(1).with_for_update()
    ).scalar_one_or_none()


def _group_key(lead_id: int) -> str:
    return f"report:{lead_id}:group"


def _queue_grouped_messages(ctx: Context, s, report: Report, lead: Report, now: dt.datetime) -> None:
    """A grouped report: the lead's card and one rolling thread message change in place (no new posts)."""
    locale = ctx.org.locale
    members = group_members(s, lead.id)
    lines = [i18n.t(locale, "thread.grouped_line", number=n, who=mention(u), when=fmt_time(w, ctx.org.tz))
             for n, u, w in members[-40:]]
    text = i18n.t(locale, "thread.grouped", n=len(members), lead=lead.number) + "\n" + "\n".join(lines)
    payload = {"channel": ctx.org.channels.safety, "text": text[:3900]}
    key = ordering_key(lead.id)
    if len(members) == 1:
        enqueue(s, now, "chat.postMessage", payload, ordering_key=key, target_key=card_key(lead.id),
                message_key=_group_key(lead.id), report_id=lead.id)
    else:
        enqueue(s, now, "chat.update", payload, ordering_key=key, target_key=_group_key(lead.id), report_id=lead.id)
    _queue_card_update(ctx, s, lead, now)
    rloc = user_locale(ctx, report.reporter_id, s)
    responders = ctx.directory.responders_for(lead.level, lead.team, lead.reporter_id)
    text = confirmation_text(ctx, report, responders, rloc, "confirm.dm") + " " + \
        i18n.t(rloc, "confirm.grouped", lead=lead.number)
    enqueue(s, now, "chat.postMessage", {"channel": report.reporter_id, "text": text}, ordering_key=key,
            report_id=report.id)


def confirmation_text(ctx: Context, report: Report, responders: list[str], locale: str, key: str = "confirm.body") -> Mrkdwn:
    return i18n.t(locale, key, number=report.number, level=level_name(ctx.org, report.level, locale),
                  responders=mentions(responders), due=fmt_time(report.respond_due_at, ctx.org.tz))


def confirmation_view(ctx: Context, report: Report, responders: list[str], locale: str) -> dict:
    body = confirmation_text(ctx, report, responders, locale)
    if report.group_id:
        with session_scope(ctx.engine) as s:
            lead = s.get(Report, report.group_id)
        body = Mrkdwn(body + "\n" + i18n.t(locale, "confirm.grouped", lead=lead.number))
    return render("confirm_view", locale, number=report.number, body=body)


# --------------------------------------------------------------------------- working it
@dataclass
class Outcome:
    ok: bool
    message: Mrkdwn | None = None  # what to tell the person who acted (ephemeral), if anything
    report: Report | None = None


def find_report(s, number_or_id: str | int) -> Report | None:
    if isinstance(number_or_id, int):
        return s.get(Report, number_or_id)
    return s.execute(select(Report).where(Report.number == str(number_or_id).strip().upper())).scalar_one_or_none()


def acknowledge(ctx: Context, number: str, user_id: str) -> Outcome:
    locale = user_locale(ctx, user_id)
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        report = find_report(s, number)
        if report is None:
            return Outcome(False, i18n.t(locale, "errors.not_found_number", number=number))
        if not ctx.directory.allowed(user_id, "acknowledge", report.team):
            s.add(AuditEvent(at=now, actor=user_id, action="refused_acknowledge", note=report.number))
            return Outcome(False, i18n.t(locale, "ack.refused", number=report.number,
                                         roles=roles_text(locale, ctx.directory.permitted_roles("acknowledge"))), report)
        # Lock the row so two clicks at once cannot both acknowledge, and read it afresh under the lock
        # (populate_existing: the identity map would hand back the copy loaded above). A grouped
        # report answers through its lead.
        report = s.execute(select(Report).where(Report.id == (report.group_id or report.id))
                           .with_for_update().execution_options(populate_existing=True)).scalar_one()
        if report.status == "resolved":
            return Outcome(False, i18n.t(locale, "ack.resolved_already", number=report.number), report)
        if report.status != "open":
            return Outcome(False, i18n.t(locale, "ack.already", number=report.number, who=mention(report.acknowledged_by),
                                         when=fmt_time(report.acknowledged_at, ctx.org.tz)), report)
        before = {"status": report.status}
        report.status = "acknowledged"
        report.acknowledged_at = now
        report.acknowledged_by = user_id
        report.overdue = False
        report.version += 1
        took = (now - report.reported_at).total_seconds()
        s.add(AuditEvent(at=now, actor=user_id, action="acknowledged", report_id=report.id, before=before,
                         after={"status": "acknowledged", "seconds": int(took)}))
        _carry_group(s, report, now, user_id, "acknowledged", status="acknowledged", acknowledged_at=now,
                     acknowledged_by=user_id)
        escalation.stop_ladder(s, report.id, "acknowledge", now)
        escalation.start_ladder(ctx, s, report, "resolve", now)
        _queue_card_update(ctx, s, report, now)
        _queue_thread_line(ctx, s, report, now, i18n.t(ctx.org.locale, "thread.acknowledged", who=mention(user_id),
                                                       number=report.number, took=fmt_minutes(ctx.org.locale, took)))
    ctx.wake()
    return Outcome(True, None, report)


def can_resolve(ctx: Context, number: str, user_id: str) -> Outcome:
    locale = user_locale(ctx, user_id)
    with session_scope(ctx.engine) as s:
        report = find_report(s, number)
        if report is not None and report.group_id:
            report = s.get(Report, report.group_id)
    if report is None:
        return Outcome(False, i18n.t(locale, "errors.not_found_number", number=number))
    if not ctx.directory.allowed(user_id, "resolve", report.team):
        with session_scope(ctx.engine) as s:
            s.add(AuditEvent(at=ctx.clock.now(), actor=user_id, action="refused_resolve", note=report.number))
        return Outcome(False, i18n.t(locale, "resolve.refused", number=report.number,
                                     roles=roles_text(locale, ctx.directory.permitted_roles("resolve"))), report)
    if report.status == "resolved":
        return Outcome(False, i18n.t(locale, "resolve.already", number=report.number, who=mention(report.resolved_by),
                                     when=fmt_time(report.resolved_at, ctx.org.tz)), report)
    return Outcome(True, None, report)


def resolve_form(ctx: Context, report: Report, locale: str) -> dict:
    summary = i18n.t(locale, "commands.status_title", number=report.number,
                     level=level_name(ctx.org, report.level, locale),
                     category=category_name(ctx.org, report.category, locale), status=status_label(report, locale))
    return render("resolve_modal", locale, summary=summary, note_max=ctx.org.policy.hazard.suggestion_max,
                  private_metadata=json.dumps({"number": report.number}))


def resolve(ctx: Context, number: str, user_id: str, note: str) -> Outcome:
    locale = user_locale(ctx, user_id)
    note = clean_text(note)
    if not note:
        return Outcome(False, i18n.t(locale, "resolve.note_empty"))
    if len(note) > ctx.org.policy.hazard.suggestion_max:
        return Outcome(False, i18n.t(locale, "errors.too_long", max=ctx.org.policy.hazard.suggestion_max))
    check = can_resolve(ctx, number, user_id)
    if not check.ok:
        return check
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        report = s.execute(select(Report).where(Report.id == check.report.id).with_for_update()
                           .execution_options(populate_existing=True)).scalar_one()
        if report.status == "resolved":
            return Outcome(False, i18n.t(locale, "resolve.already", number=report.number,
                                         who=mention(report.resolved_by),
                                         when=fmt_time(report.resolved_at, ctx.org.tz)), report)
        before = {"status": report.status}
        if report.status == "open":  # resolving answers the report too
            report.acknowledged_at = now
            report.acknowledged_by = user_id
        report.status = "resolved"
        report.resolved_at = now
        report.resolved_by = user_id
        report.resolution_note = note
        report.overdue = False
        report.version += 1
        s.add(AuditEvent(at=now, actor=user_id, action="resolved", report_id=report.id, before=before,
                         after={"status": "resolved"}, note=note))
        _carry_group(s, report, now, user_id, "resolved", status="resolved", resolved_at=now, resolved_by=user_id,
                     resolution_note=note)
        escalation.stop_ladder(s, report.id, None, now)
        _queue_card_update(ctx, s, report, now)
        _queue_thread_line(ctx, s, report, now, i18n.t(ctx.org.locale, "thread.resolved", who=mention(user_id),
                                                       number=report.number, note=mask(note)[:1000]))
    ctx.wake()
    return Outcome(True, None, report)


def _carry_group(s, lead: Report, now: dt.datetime, user_id: str, action: str, **values) -> None:
    """Reports grouped under `lead` follow it (one audit entry each)."""
    open_members = [i for (i,) in s.execute(select(Report.id).where(Report.group_id == lead.id,
                                                                      Report.status != "resolved")).all()]
    if not open_members:
        return
    s.execute(update(Report).where(Report.id.in_(open_members)).values(**values))
    for member in open_members:
        buffer_insert(s, AuditEvent.__table__, dict(at=now, actor=user_id, action=action, report_id=member,
                                                    before=None, after={"via_group": lead.number}, note=""))


def _queue_card_update(ctx: Context, s, report: Report, now: dt.datetime) -> None:
    payload = card_payload(ctx.org, report, ctx.org.channels.safety, now, grouped=group_members(s, report.id))
    enqueue(s, now, "chat.update", payload, ordering_key=ordering_key(report.id), target_key=card_key(report.id),
            report_id=report.id)


def _queue_thread_line(ctx: Context, s, report: Report, now: dt.datetime, text: str) -> None:
    enqueue(s, now, "chat.postMessage", {"channel": ctx.org.channels.safety, "text": text},
            ordering_key=ordering_key(report.id), target_key=card_key(report.id), report_id=report.id)


def ephemeral(ctx: Context, channel: str | None, user_id: str, text: str) -> None:
    """An answer only `user_id` sees; dropped if Slack cannot take it within a couple of minutes."""
    if not channel:
        return
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        enqueue(s, now, "chat.postEphemeral", {"channel": channel, "user": user_id, "text": text},
                ordering_key=f"ephemeral:{user_id}", expires_in=EPHEMERAL_TTL)
    ctx.wake()


def publish_home(ctx: Context, user_id: str, view: dict) -> None:
    """The Home tab goes through the outbox like everything else; a stale one is not worth sending."""
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        enqueue(s, now, "views.publish", {"user_id": user_id, "view": view}, ordering_key=f"home:{user_id}",
                expires_in=EPHEMERAL_TTL)
    ctx.wake()


# --------------------------------------------------------------------------- thread replies
def record_thread_reply(ctx: Context, *, event_id: str | None, channel: str, thread_ts: str, ts: str,
                        user_id: str, text: str) -> bool:
    """A person's reply in a card's thread joins the report's timeline. False: not ours, or seen already."""
    now = ctx.clock.now()
    try:
        with session_scope(ctx.engine) as s:
            card = s.execute(select(SlackMessage).where(SlackMessage.channel == channel,
                                                        SlackMessage.ts == thread_ts)).scalar_one_or_none()
            if card is None or card.report_id is None or not card.key.endswith(":card"):
                return False
            s.add(ProcessedEvent(event_id=event_id or f"{channel}:{ts}", received_at=now))
            s.flush()
            s.add(AuditEvent(at=now, actor=user_id, action="comment", report_id=card.report_id,
                             note=clean_text(text)[:4000], after={"ts": ts}))
    except IntegrityError:
        return False
    return True


# --------------------------------------------------------------------------- looking things up
def parse_number(ctx: Context, text: str) -> str | None:
    candidate = clean_text(text).upper()
    m = _NUMBER_RE.match(candidate)
    return candidate if m else None


def example_number(ctx: Context) -> str:
    n = ctx.org.policy.numbering["hazard"]
    return f"{n.prefix}-{ctx.org.local(ctx.clock.now()).year}-{42:0{n.digits}d}"


def status_message(ctx: Context, text: str, asker: str) -> tuple[str, list[dict] | None]:
    """(text, blocks) for `/hazard status NUMBER`."""
    locale = user_locale(ctx, asker)
    number = parse_number(ctx, text)
    if not clean_text(text):
        return i18n.t(locale, "commands.status_usage"), None
    if number is None:
        return i18n.t(locale, "errors.bad_number", text=clean_text(text)[:60], example=example_number(ctx)), None
    with session_scope(ctx.engine) as s:
        report = find_report(s, number)
        if report is None:
            return i18n.t(locale, "errors.not_found_number", number=number), None
        if report.reporter_id != asker and not ctx.directory.is_known(asker):
            return i18n.t(locale, "commands.status_forbidden"), None
        total = s.execute(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.report_id == report.id)).scalar_one()
        events = s.execute(select(AuditEvent).where(AuditEvent.report_id == report.id)
                           .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(25)).scalars().all()
    lines = [timeline_line(ctx, locale, report, e) for e in reversed(events)]
    if total > len(events):
        lines.insert(0, i18n.t(locale, "timeline.more", n=total - len(events)))
    title = i18n.t(locale, "commands.status_title", number=report.number,
                   level=level_name(ctx.org, report.level, locale),
                   category=category_name(ctx.org, report.category, locale), status=status_label(report, locale))
    due = i18n.t(locale, "commands.status_due", respond=fmt_time(report.respond_due_at, ctx.org.tz),
                 resolve=fmt_time(report.resolve_due_at, ctx.org.tz))
    blocks = render("status", locale, title=title, due=due, description=mask(report.description),
                    timeline=Mrkdwn("\n".join(lines)))
    return title, blocks


def timeline_line(ctx: Context, locale: str, report: Report, e: AuditEvent) -> Mrkdwn:
    when = fmt_time(e.at, ctx.org.tz)
    who = mention(e.actor) if e.actor != "system" else "SafeShift"
    if e.action == "reported":
        return i18n.t(locale, "timeline.reported", when=when, who=who)
    if e.action == "acknowledged":
        return i18n.t(locale, "timeline.acknowledged", when=when, who=who,
                      took=fmt_minutes(locale, (e.after or {}).get("seconds", 0)))
    if e.action == "comment":
        return i18n.t(locale, "timeline.comment", when=when, who=who, text=mask(e.note)[:300])
    if e.action == "resolved":
        return i18n.t(locale, "timeline.resolved", when=when, who=who, text=mask(e.note)[:300])
    if e.action == "escalated":
        after = e.after or {}
        return i18n.t(locale, "timeline.escalated", when=when, step=after.get("step", 0) + 1,
                      who=mentions(after.get("people", [])) if after.get("people") else
                      Mrkdwn(" ".join(f"<#{c}>" for c in after.get("channels", [])) or "—"))
    if e.action == "overdue":
        return i18n.t(locale, "timeline.overdue", when=when,
                      what=i18n.tp(locale, f"escalation.what_{(e.after or {}).get('purpose', 'acknowledge')}"))
    return i18n.t(locale, "timeline.other", when=when, who=who, text=e.action)


def mine_message(ctx: Context, asker: str, limit: int = 20) -> tuple[str, list[dict]]:
    locale = user_locale(ctx, asker)
    with session_scope(ctx.engine) as s:
        q = select(Report).where(Report.reporter_id == asker, Report.status != "resolved")
        total = s.execute(select(func.count()).select_from(q.subquery())).scalar_one()
        reports = s.execute(q.order_by(Report.reported_at.desc()).limit(limit)).scalars().all()
    if not reports:
        text = i18n.t(locale, "commands.mine_empty")
        return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    title = i18n.t(locale, "commands.mine_title", n=total)
    lines = [i18n.t(locale, "commands.mine_line", number=r.number, level=level_name(ctx.org, r.level, locale),
                    status=status_label(r, locale), when=fmt_time(r.reported_at, ctx.org.tz),
                    what=mask(r.description)[:80]) for r in reports]
    if total > len(reports):
        lines.append(i18n.t(locale, "commands.mine_more", n=total - len(reports)))
    body = "\n".join(lines)
    return title, [{"type": "section", "text": {"type": "mrkdwn", "text": title}},
                   {"type": "section", "text": {"type": "mrkdwn", "text": body[:3000]}}]
