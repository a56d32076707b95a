"""Incidents (事件 / 事故, §3.2.2, §5.1.2, §5.2): report, page, On site, Change level.

An incident is a report of kind "incident" (same table, same card machinery, same ladders as rows);
what differs lives here: it is never grouped, the policy proposes its level from its kind, a level of
`page_levels` pages at once (DM to every person the level and the kind name, @mention in the safety
and leadership channels, URGENT in the outbox), and its card has On site and Change level.
Each state change is one transaction: record, audit entry, outbox rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot import i18n
from bot.hazards import escalation, notices
from bot.hazards.create import Created
from bot.hazards.create import _rate_limited as rate_limited
from bot.hazards.kinds import REPORT, Kind, kind
from bot.hazards.lookups import find_report
from bot.hazards.present import level_name, mentions
from bot.hazards.transitions import Outcome, lock_report, refuse
from bot.i18n import Mrkdwn, fmt_time, mention
from bot.incidents import bursts as incident_bursts
from bot.incidents.facts import paged_people, partners  # noqa: F401 - the use cases' name for it
from bot.incidents.followups import start_follow_ups, start_partner_clock
from bot.masking import mask
from bot.outbox import URGENT
from bot.prefs import locales_of, user_locale
from bot.text import clean_text, slack_id
from storage.db import buffer_insert, next_sequence, session_scope
from storage.models import AuditEvent, Report
from storage.queries import report_by_source_key

KIND = "incident"
LINK_MAX = 500  # a Slack permalink is far shorter; anything longer is not one
TEXT_IN_PAGE = 500  # how much of the description a page repeats (the card shows it all)


@dataclass
class IncidentInput:
    category: str  # the kind of incident (a key of the policy's incident.categories)
    level: int
    description: str
    location: str
    affected: str
    actions_taken: str
    source_link: str = ""


def proposed_level(k: Kind, category: str) -> int | None:
    cat = k.section.categories.get(category)
    return cat.level if cat is not None else None


def validate_incident(k: Kind, locale: str, values: dict, source_link: object = "") -> tuple[IncidentInput | None,
                                                                                              dict[str, str]]:
    """Check a submitted incident form. No level chosen: the level the policy proposes for the kind."""
    pol = k.section
    errors: dict[str, str] = {}
    category = values.get("category")
    if not isinstance(category, str) or category not in pol.categories:
        errors["category"] = i18n.tp(locale, "incident.errors.kind_invalid")
        category = None
    level = None
    raw_level = values.get("level")
    if raw_level in (None, ""):
        level = proposed_level(k, category) if category else None
    else:
        try:
            level = int(str(raw_level))
        except (TypeError, ValueError):
            level = None
        if level not in pol.levels:
            errors["level"] = i18n.tp(locale, "errors.level_invalid")
    description = clean_text(values.get("description"))
    if not description:
        errors["description"] = i18n.tp(locale, "incident.errors.description_empty")
    limits = {"description": pol.description_max, "location": pol.location_max, "affected": pol.affected_max,
              "actions": pol.suggestion_max}
    texts = {"description": description}
    for block in ("location", "affected", "actions"):
        texts[block] = clean_text(values.get(block))
    for block, limit in limits.items():
        if len(texts[block]) > limit and block not in errors:
            errors[block] = i18n.tp(locale, "errors.too_long", max=limit)
    link = str(source_link or "")
    if errors or level is None:
        return None, errors
    return IncidentInput(category=category, level=level, description=description, location=texts["location"],
                         affected=texts["affected"], actions_taken=texts["actions"],
                         source_link=link if link.startswith("https://") and len(link) <= LINK_MAX else ""), {}


def create_incident(ctx, *, source_key: str, reporter_id: str, data: IncidentInput,
                    origin_channel: str | None = None) -> Created:
    """Store a new incident, post its card, page or notify. The same `source_key` twice gives the first back."""
    org = ctx.org
    origin_channel = slack_id(origin_channel, "CGD")  # from the form's private_metadata: only what it says
    k = kind(org, KIND)
    now = ctx.clock.now()
    team = ctx.directory.team_of(reporter_id)
    level = k.level(data.level)
    year = org.local(now).year
    try:
        with session_scope(ctx.engine) as s:
            existing = report_by_source_key(s, source_key)
            if existing is not None:
                return Created(existing, False, paged_people(ctx, existing))
            refused = rate_limited(ctx, s, k, data.level, reporter_id, now, None)
            if refused:  # nothing stored; the form says why
                return Created(None, False, [], refused=refused)
            lead = incident_bursts.lead_of(ctx, s, reporter_id, data.level, now)
            seq = next_sequence(s, k.numbering.prefix, year)
            report = Report(
                kind=KIND, number=k.number(year, seq), year=year, seq=seq, source_key=source_key,
                category=data.category, level=data.level, location=data.location, description=data.description,
                suggestion="", photos=[], reporter_id=reporter_id, reporter_known=ctx.directory.is_known(reporter_id),
                team=team.name if team else None, origin_channel=origin_channel, status="open", reported_at=now,
                respond_due_at=level.respond_within.add_to(now, org.tz, org.workdays),
                resolve_due_at=level.resolve_within.add_to(now, org.tz, org.workdays),
                affected=data.affected, actions_taken=data.actions_taken, source_link=data.source_link,
            )
            if lead is not None:  # the same person's burst: it follows their first, nobody is paged again
                report.group_id, report.status = lead.id, lead.status
                report.acknowledged_at, report.acknowledged_by = lead.acknowledged_at, lead.acknowledged_by
            s.add(report)
            s.flush()
            people = paged_people(ctx, report)
            if lead is None:
                start_partner_clock(ctx, s, report, now)  # security on site within 10 min (§2.3.2), before the page
            if lead is not None:
                buffer_insert(s, AuditEvent.__table__, dict(
                    at=now, actor=reporter_id, action="reported", subject_type=REPORT, subject_id=report.id, before=None, note="",
                    after={"status": report.status, "level": data.level, "category": data.category,
                           "grouped_with": lead.number}))
                incident_bursts.joined_messages(ctx, s, report, lead, now)
            else:
                buffer_insert(s, AuditEvent.__table__, dict(
                    at=now, actor=reporter_id, action="reported", subject_type=REPORT, subject_id=report.id, before=None, note="",
                    after={"status": "open", "level": data.level, "category": data.category, "paged": people}))
                notices.post_card(ctx, s, report, now)
                _page_or_notify(ctx, s, report, people, now, raised_from=None)
                _receipt(ctx, s, report, people, now)
                escalation.start_ladder(ctx, s, report, "acknowledge", now)
                start_follow_ups(ctx, s, report, now)  # special report, investigation: as the level calls for
    except IntegrityError:  # the same submission raced itself: the other request stored it
        with session_scope(ctx.engine) as s:
            existing = s.execute(select(Report).where(Report.source_key == source_key)).scalar_one()
            return Created(existing, False, paged_people(ctx, existing))
    ctx.wake()
    return Created(report, True, people)


def is_paged(ctx, report: Report) -> bool:
    return report.level in kind(ctx.org, KIND).section.page_levels


def _page_or_notify(ctx, s, report: Report, people: list[str], now: dt.datetime, raised_from: int | None) -> None:
    """A paging level: DM everyone, @mention them in the page channels (the card already does in the safety
    channel when it is new), all URGENT. Another level: the level's `notify` people and channels are told."""
    org = ctx.org
    k = kind(org, KIND)
    others = [u for u in people if u != report.reporter_id]
    langs = locales_of(s, org, others)
    paged = is_paged(ctx, report)
    partner = set(partners(ctx, report))
    for user in others:
        # The page asks to respond now only those who may (permissions: `paged`); the others are told, the kind's
        # partner departments at every level (#21, §2.3.2), asked to be on site by a moment when the kind says so.
        asked = paged and ctx.directory.allowed(user, "acknowledge", report.team, report)
        key = "incident.page.dm" if asked else "incident.page.partner" if user in partner else "incident.page.notice"
        notices.direct(ctx, s, report, now, user, _words(ctx, report, langs[user], key, raised_from),
                       priority=URGENT if paged or user in partner else None)
    if not paged:
        level = k.level(report.level)
        for channel in ctx.directory.resolve_channels(list(level.notify), report.team):
            if channel != org.channels.safety:
                notices.direct(ctx, s, report, now, channel, _words(ctx, report, org.locale, key, raised_from))
        return
    # Each paged person is mentioned once, at the start, a space before the words (not a sentence of its own:
    # Chinese joins sentences with no gap, which glued the last mention to the emoji).
    text = Mrkdwn(f"{mentions(people)} {_words(ctx, report, org.locale, 'incident.page.channel', raised_from)}")
    for channel in ctx.directory.resolve_channels(list(k.section.page_channels), report.team):
        if channel == org.channels.safety:
            if raised_from is not None:  # a new card mentions them itself; an edited one notifies nobody
                notices.thread_line(ctx, s, report, now, text, priority=URGENT)
            continue
        notices.direct(ctx, s, report, now, channel, text, priority=URGENT)


def _words(ctx, report: Report, locale: str, key: str, raised_from: int | None) -> Mrkdwn:
    org = ctx.org
    return i18n.t(locale, key, number=report.number, level=level_name(org, report, locale),
                  kind=kind(org, KIND).category_name(report.category, locale),
                  location=mask(report.location)[:200] or "—", description=mask(report.description)[:TEXT_IN_PAGE],
                  reporter=mention(report.reporter_id), due=fmt_time(report.respond_due_at, org.tz),
                  raised=(level_name(org, raised_from, locale, KIND) if raised_from is not None else ""),
                  on_site_by=(fmt_time(report.partner_due_at, org.tz)
                              if report.partner_due_at is not None and report.partner_at is None else ""),
                  link=notices.link(locale, ctx))


def _receipt(ctx, s, report: Report, people: list[str], now: dt.datetime) -> None:
    loc = user_locale(ctx, report.reporter_id, s)
    notices.direct(ctx, s, report, now, report.reporter_id, i18n.t(
        loc, "incident.confirm.dm", number=report.number, level=level_name(ctx.org, report, loc),
        people=mentions(people), due=fmt_time(report.respond_due_at, ctx.org.tz)))


# --------------------------------------------------------------------------- On site, Change level
def _incident(s, number: str) -> Report | None:
    report = find_report(s, number)
    return report if report is not None and report.kind == KIND else None


def _acted_on(ctx, s, locale: str, number: str, user_id: str, action: str,
              now: dt.datetime) -> tuple[Report | None, Outcome | None]:
    """(the incident `number`, or None with the answer why not: no such incident, or refused)."""
    target = _incident(s, number)
    if target is None:
        return None, Outcome(False, i18n.t(locale, "incident.errors.not_found", number=number))
    if not ctx.directory.allowed(user_id, action, target.team, target):
        return None, refuse(ctx, s, locale, action, target, user_id, now, key=f"incident.{action}.refused")
    return target, None


def on_site(ctx, number: str, user_id: str, locale: str | None = None) -> Outcome:
    """`user_id` is on site (§5.1.2): recorded once; an open incident counts as acknowledged by it."""
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        locale = locale or user_locale(ctx, user_id, s)
        target, refused = _acted_on(ctx, s, locale, number, user_id, "on_site", now)
        if refused:
            return refused
        report = lock_report(s, target.id)
        if report.status == "resolved":
            return Outcome(False, i18n.t(locale, "ack.resolved_already", number=report.number), report)
        if _partner_arrives(ctx, s, report, user_id, now):
            return Outcome(True, None, report)
        if report.on_site_at is not None:
            return Outcome(False, i18n.t(locale, "incident.on_site.already", number=report.number,
                                         who=mention(report.on_site_by), when=fmt_time(report.on_site_at, ctx.org.tz)),
                           report)
        before = {"status": report.status}
        report.on_site_at, report.on_site_by = now, user_id
        if report.status == "open":  # being there answers the page
            report.status, report.acknowledged_at, report.acknowledged_by = "acknowledged", now, user_id
            report.overdue = False
            escalation.stop_ladder(s, report.id, "acknowledge", now)
            escalation.start_ladder(ctx, s, report, "resolve", now)
        report.version += 1
        buffer_insert(s, AuditEvent.__table__, dict(at=now, actor=user_id, action="on_site", subject_type=REPORT, subject_id=report.id,
                                                    before=before, after={"status": report.status}, note=""))
        notices.update_card(ctx, s, report, now)
        notices.thread_line(ctx, s, report, now, i18n.t(ctx.org.locale, "incident.thread.on_site",
                                                         who=mention(user_id), number=report.number))
    ctx.wake()
    return Outcome(True, None, report)


def _partner_arrives(ctx, s, report: Report, user_id: str, now: dt.datetime) -> bool:
    """A partner awaited on site (security, §2.3.2) after someone else went: their arrival stops the partner clock.
    True when that was all this press did."""
    first = report.on_site_at is None
    if report.partner_due_at is None or report.partner_at is not None or user_id not in partners(ctx, report):
        return False
    report.partner_at, report.partner_by = now, user_id
    escalation.stop_ladder(s, report.id, "on_site", now)
    if first:
        return False  # the first one on site: on_site goes on as usual (it also answers the page)
    report.version += 1
    buffer_insert(s, AuditEvent.__table__, dict(at=now, actor=user_id, action="on_site", subject_type=REPORT,
                                                subject_id=report.id, before=None, after={"partner": True}, note=""))
    notices.update_card(ctx, s, report, now)
    notices.thread_line(ctx, s, report, now, i18n.t(ctx.org.locale, "incident.thread.on_site", who=mention(user_id),
                                                     number=report.number))
    ctx.wake()
    return True


def can_change_level(ctx, number: str, user_id: str, locale: str | None = None) -> Outcome:
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        locale = locale or user_locale(ctx, user_id, s)
        target, refused = _acted_on(ctx, s, locale, number, user_id, "change_level", now)
        if refused:
            return refused
        if target.status == "resolved":
            return Outcome(False, i18n.t(locale, "ack.resolved_already", number=target.number), target)
        return Outcome(True, None, target)


def change_level(ctx, number: str, user_id: str, new_level: object, reason: object,
                 locale: str | None = None) -> Outcome:
    """A new level: its deadlines and ladder apply from now (a raise never later than the current ones);
    a raise pages (or notifies) the new level's people again."""
    org = ctx.org
    k = kind(org, KIND)
    now = ctx.clock.now()
    reason = clean_text(reason)[: k.section.suggestion_max]
    with session_scope(ctx.engine) as s:
        locale = locale or user_locale(ctx, user_id, s)
        try:
            new = int(str(new_level))
        except (TypeError, ValueError):
            new = None
        if new not in k.section.levels:
            return Outcome(False, i18n.t(locale, "errors.level_invalid"))
        target, refused = _acted_on(ctx, s, locale, number, user_id, "change_level", now)
        if refused:
            return refused
        report = lock_report(s, target.id)
        if report.status == "resolved":
            return Outcome(False, i18n.t(locale, "ack.resolved_already", number=report.number), report)
        old = report.level
        if new == old:
            return Outcome(False, i18n.t(locale, "incident.change_level.same", number=report.number,
                                         level=level_name(org, report, locale)), report)
        raised = new < old  # level 1 is the most serious
        lvl = k.level(new)
        respond, resolve = lvl.respond_within.add_to(now, org.tz, org.workdays), lvl.resolve_within.add_to(now, org.tz, org.workdays)
        if raised:
            respond, resolve = min(respond, report.respond_due_at), min(resolve, report.resolve_due_at)
        report.level, report.respond_due_at, report.resolve_due_at = new, respond, resolve
        report.overdue = False
        report.version += 1
        buffer_insert(s, AuditEvent.__table__, dict(at=now, actor=user_id, action="level_changed",
                                                    subject_type=REPORT, subject_id=report.id, before={"level": old},
                                                    after={"level": new}, note=reason))
        step = "acknowledge" if report.status == "open" else "resolve"
        escalation.stop_ladder(s, report.id, step, now)
        escalation.start_ladder(ctx, s, report, step, now)
        notices.update_card(ctx, s, report, now)
        loc = org.locale
        notices.thread_line(ctx, s, report, now, i18n.t(
            loc, "incident.thread.level_changed", who=mention(user_id), number=report.number, raised=raised,
            old=level_name(org, old, loc, KIND), new=level_name(org, new, loc, KIND), reason=mask(reason)[:500]))
        if raised:
            _page_or_notify(ctx, s, report, paged_people(ctx, report), now, raised_from=old)
            start_follow_ups(ctx, s, report, now)
    ctx.wake()
    return Outcome(True, None, report)
