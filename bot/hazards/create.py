"""Reporting: validate the form, number the report, group a burst, queue the first messages.

One transaction writes the report, its audit entry, its timers and its outbox rows.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass, field

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from bot import i18n
from bot.hazards import escalation, notices
from bot.hazards.forms import confirmation_text
from bot.hazards.kinds import REPORT, Kind, kind
from bot.hazards.present import group_message, level_name
from bot.i18n import fmt_minutes, mention
from bot.limits import PLACE_IN_NOTICE, WORDS_IN_NOTICE
from bot.masking import mask
from bot.prefs import locales_of, user_locale
from bot.text import clean_text, slack_id
from storage.db import buffer_insert, next_sequence, session_scope
from storage.models import AuditEvent, Report, report_is_open
from storage.queries import group_members, report_by_source_key, reports_since

PHOTO_FIELD_MAX = 500  # a file id, name or permalink longer than this is not Slack's


@dataclass
class ReportInput:
    category: str
    level: int
    location: str
    description: str
    suggestion: str
    photos: list[dict] = field(default_factory=list)


def validate_report(k: Kind, locale: str, values: dict) -> tuple[ReportInput | None, dict[str, str]]:
    """Check a submitted form. Returns (input, {}) or (None, {block_id: message})."""
    pol = k.section
    errors: dict[str, str] = {}
    level = None
    try:
        level = int(str(values.get("level")))
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
            photos.append({key: str(f.get(key))[:PHOTO_FIELD_MAX] for key in ("id", "name", "filetype", "permalink")
                           if f.get(key)})
    if errors:
        return None, errors
    return ReportInput(category=category, level=level, location=location, description=description,
                       suggestion=suggestion, photos=photos), {}


@dataclass
class Created:
    report: Report | None
    created: bool
    responders: list[str]
    lead_number: str | None = None  # the report it joined, if any
    refused: str | None = None  # why nothing was stored (plain text for the form), if so


def create_report(ctx, kind_name: str, *, source_key: str, reporter_id: str, data: ReportInput,
                  origin_channel: str | None = None, locale: str | None = None, also=None) -> Created:
    """Store a new report and queue its messages. The same `source_key` twice gives the first report back.

    `also(s, report, now)`: another kind's step that belongs to the same change (a check's link to the hazard its
    problem became), run in this transaction after the report is stored: both are written, or neither."""
    org = ctx.org
    origin_channel = slack_id(origin_channel, "CGD")  # from the form's private_metadata: only what it says
    k = kind(org, kind_name)
    now = ctx.clock.now()
    team = ctx.directory.team_of(reporter_id)
    team_name = team.name if team else None
    level = k.level(data.level)
    known = ctx.directory.is_known(reporter_id)
    responders = ctx.directory.responders_for(data.level, team_name, reporter_id, k.name, data.category)
    year = org.local(now).year
    try:
        with session_scope(ctx.engine) as s:
            existing = report_by_source_key(s, source_key)
            if existing is not None:
                return Created(existing, False, responders, _lead_number(s, existing))
            refused = _rate_limited(ctx, s, k, data.level, reporter_id, now, locale)
            if refused:
                return Created(None, False, responders, refused=refused)
            seq = next_sequence(s, k.numbering.prefix, year)
            lead = _group_lead(s, k, data, now, known)
            report = Report(
                kind=k.name, number=k.number(year, seq), year=year, seq=seq, source_key=source_key,
                category=data.category, level=data.level, location=data.location, description=data.description,
                suggestion=data.suggestion, photos=data.photos, reporter_id=reporter_id, reporter_known=known,
                team=team_name, origin_channel=origin_channel, status="open", reported_at=now,
                respond_due_at=level.respond_within.add_to(now, org.tz, org.workdays),
                resolve_due_at=level.resolve_within.add_to(now, org.tz, org.workdays),
            )
            if lead is not None:  # it follows its lead: same state, no card, no ladder of its own
                report.group_id = lead.id
                report.status = lead.status
                report.acknowledged_at, report.acknowledged_by = lead.acknowledged_at, lead.acknowledged_by
            s.add(report)
            s.flush()
            buffer_insert(s, AuditEvent.__table__, dict(
                at=now, actor=reporter_id, action="reported", subject_type=REPORT, subject_id=report.id, before=None, note="",
                after={"status": report.status, "level": data.level, "category": data.category,
                       "grouped_with": lead.number if lead else None, "known": known}))
            if lead is None:
                _first_messages(ctx, s, report, responders, now, locale)
                escalation.start_ladder(ctx, s, report, "acknowledge", now)
                escalation.start_answer_clock(ctx, s, report, now)  # #21 §3.1.3 IT answers an equipment hazard
            else:
                _joined_messages(ctx, s, report, lead, responders, now, locale)
            if also is not None:
                also(s, report, now)
    except IntegrityError:
        # The same submission raced itself: the other request stored it.
        with session_scope(ctx.engine) as s:
            existing = s.execute(select(Report).where(Report.source_key == source_key)).scalar_one()
            return Created(existing, False, responders, _lead_number(s, existing))
    ctx.wake()
    return Created(report, True, responders, lead.number if lead else None)


def _lead_number(s, report: Report) -> str | None:
    if report.group_id is None:
        return None
    return s.execute(select(Report.number).where(Report.id == report.group_id)).scalar_one_or_none()


def _rate_limited(ctx, s, k: Kind, level: int, reporter_id: str, now: dt.datetime, locale: str | None) -> str | None:
    """The refusal, if `reporter_id` has filed the policy's maximum within its window (never for exempt levels)."""
    limit = k.section.rate_limit
    if limit is None or level in limit.exempt_levels:
        return None
    if reports_since(s, reporter_id, now - limit.window.timedelta) < limit.max:
        return None
    loc = locale or user_locale(ctx, reporter_id, s)
    s.add(AuditEvent(at=now, actor=reporter_id, action="refused_report", note="rate limit"))
    return i18n.tp(loc, "errors.rate_limited", n=limit.max, window=fmt_minutes(loc, limit.window.seconds))


def _group_lead(s, k: Kind, data: ReportInput, now: dt.datetime, known: bool) -> Report | None:
    """The open report of the same place, level and category from the grouping window, if any (row locked).

    Same level: a level-1 report must never inherit a level-3 lead's slower deadlines. A report by
    someone the organisation file does not know never leads a group that its people join.
    """
    window = k.section.group_window
    place = data.location.strip().lower()
    if window is None or not place:
        return None
    return s.execute(_lead_query(known), {"kind": k.name, "level": data.level, "category": data.category,
                                          "place": place, "since": now - window.timedelta}).scalar_one_or_none()


@functools.lru_cache(maxsize=2)
def _lead_query(known: bool):
    """`_group_lead`'s statement, built once (building it was most of its time; issue 26)."""
    q = select(Report).where(Report.group_id.is_(None), report_is_open(), Report.kind == bindparam("kind"),
                             Report.level == bindparam("level"), Report.category == bindparam("category"),
                             func.lower(func.trim(Report.location)) == bindparam("place"),
                             Report.reported_at >= bindparam("since"))
    if known:
        q = q.where(Report.reporter_known.is_(True))
    return q.order_by(Report.reported_at).limit(1).with_for_update()


def _languages(s, org, people: list[str], reporter_id: str, reporter_locale: str | None) -> dict[str, str]:
    """{person: language} for the people told and the reporter; the reporter's is known when the request read it."""
    if reporter_locale is None:
        return locales_of(s, org, people + [reporter_id])
    return {**locales_of(s, org, [u for u in people if u != reporter_id]), reporter_id: reporter_locale}


def _first_messages(ctx, s, report: Report, responders: list[str], now: dt.datetime, locale: str | None) -> None:
    """The card (mentioning its responders), the level's notices, and the reporter's receipt."""
    org = ctx.org
    notices.post_card(ctx, s, report, now, new=True)
    level = kind(org, report.kind).level(report.level)
    notify_people = [u for u in ctx.directory.resolve_people(list(level.notify), report.team, report.reporter_id)
                     if u != report.reporter_id]
    langs = _languages(s, org, notify_people, report.reporter_id, locale)
    for user in notify_people:
        notices.direct(ctx, s, report, now, user, _new_major(ctx, report, langs[user]))
    for channel in ctx.directory.resolve_channels(list(level.notify), report.team):
        if channel != org.channels.safety:
            notices.direct(ctx, s, report, now, channel, _new_major(ctx, report, org.locale))
    rloc = langs[report.reporter_id]
    notices.direct(ctx, s, report, now, report.reporter_id,
                   confirmation_text(ctx, report, responders, rloc, "confirm.dm"))


def _new_major(ctx, report: Report, locale: str):
    return i18n.t(locale, "escalation.new_major", level=level_name(ctx.org, report, locale), number=report.number,
                  location=mask(report.location) or "—", description=mask(report.description)[:WORDS_IN_NOTICE])


def _joined_messages(ctx, s, report: Report, lead: Report, responders: list[str], now: dt.datetime,
                     locale: str | None) -> None:
    """A joined report keeps its voice: its own line in the group's thread message, the lead's card
    updated, its reporter answered, and its own responders told when they are not the lead's."""
    org = ctx.org
    first = len(group_members(s, lead.id, limit=2)) == 1
    notices.group_thread(ctx, s, lead, now, group_message(ctx, s, lead), first)
    notices.update_card(ctx, s, lead, now)
    lead_responders = ctx.directory.responders_for(lead.level, lead.team, lead.reporter_id, lead.kind, lead.category)
    extra = [u for u in responders if u not in lead_responders and u != report.reporter_id]
    langs = _languages(s, org, extra, report.reporter_id, locale)
    for user in extra:
        loc = langs[user]
        notices.direct(ctx, s, report, now, user, i18n.t(
            loc, "dm.joined_responders", number=report.number, level=level_name(org, report, loc), lead=lead.number,
            who=mention(report.reporter_id), location=mask(report.location)[:PLACE_IN_NOTICE] or "—",
            description=mask(report.description)[:WORDS_IN_NOTICE], link=notices.link(loc, ctx)))
    rloc = langs[report.reporter_id]
    text = i18n.join_sentences(rloc, confirmation_text(ctx, report, lead_responders, rloc, "confirm.dm"),
                               i18n.t(rloc, "confirm.grouped", lead=lead.number))
    notices.direct(ctx, s, report, now, report.reporter_id, text)


def file_answered(ctx, s, *, source_key: str, reporter_id: str, category: str, level: int, description: str,
                  location: str, note: str, now: dt.datetime, via: str, context: dict | None = None) -> Report:
    """A hazard its reporter answers in the same breath (a drill's problem, handed straight to rectification, #10):
    numbered like every hazard, acknowledged and resolved with `note` at once, so its own deadlines and ladders
    never start; its card posted. Written in the caller's transaction (the caller's change and this are one)."""
    org = ctx.org
    k = kind(org, "hazard")
    lvl = k.level(level)
    year = org.local(now).year
    seq = next_sequence(s, k.numbering.prefix, year)
    team = ctx.directory.team_of(reporter_id)
    report = Report(
        kind=k.name, number=k.number(year, seq), year=year, seq=seq, source_key=source_key, category=category,
        level=level, description=description, suggestion="", location=location, photos=[], reporter_id=reporter_id,
        reporter_known=ctx.directory.is_known(reporter_id), team=team.name if team else None, status="resolved",
        reported_at=now, respond_due_at=lvl.respond_within.add_to(now, org.tz, org.workdays),
        resolve_due_at=lvl.resolve_within.add_to(now, org.tz, org.workdays),
        acknowledged_at=now, acknowledged_by=reporter_id, resolved_at=now, resolved_by=reporter_id,
        resolution_note=note)
    s.add(report)
    s.flush()
    for action, before, after, text_ in (
            ("reported", None, {"status": "open", "level": level, "category": category, "grouped_with": None,
                                "known": report.reporter_known, **(context or {})}, ""),
            ("acknowledged", {"status": "open"}, {"status": "acknowledged", "seconds": 0, "via": via}, ""),
            ("resolved", {"status": "acknowledged"}, {"status": "resolved", "via": via}, note)):
        buffer_insert(s, AuditEvent.__table__, dict(at=now, actor=reporter_id, action=action, subject_type=REPORT,
                                                    subject_id=report.id, before=before, after=after, note=text_))
    notices.post_card(ctx, s, report, now, new=True)
    return report
