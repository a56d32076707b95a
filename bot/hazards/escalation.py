"""A report's deadlines and escalation ladders, as rows (ARCHITECTURE.md principle 2).

Each open report has `timer` rows on its subject ("report", id): step -1 is the deadline itself (the card turns
OVERDUE), steps 0..n are the policy's rungs (`after` counts from the deadline). The core's Sweeper
(bot/sweeper.py) claims due rows and calls `fire` here in its transaction (the registry names this module for the
report's purposes), so a restart, a crash or a second process never loses or doubles a notice.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging

from sqlalchemy import func, select, update

from bot import i18n
from bot.hazards import notices
from bot.hazards.kinds import (
    PURPOSES,
    RECTIFICATION,
    REPORT,
    deadline,
    kind_of_report,
    still_relevant,
    what_key,
)
from bot.hazards.present import level_name, mentions
from bot.i18n import channel_link, fmt_minutes, fmt_time
from bot.masking import mask
from bot.outbox import URGENT
from bot.prefs import locales_of
from bot.shaped import shaped
from bot.working_hours import next_working_moment
from storage.db import buffer_insert
from storage.models import AuditEvent, Report, Timer

log = logging.getLogger("safeshift.escalation")

ICONS = {-1: ":alarm_clock:", 0: ":bell:", 1: ":warning:"}
LOCATION_IN_NOTICE = 200


def start_ladder(ctx, s, report: Report, purpose: str, now: dt.datetime) -> None:
    """Write the timers guarding `purpose` (acknowledge | resolve) of `report` (Core inserts, one statement)."""
    org = ctx.org
    k = kind_of_report(org, report)
    level = k.level(report.level)
    due_at = deadline(report, purpose)
    cycle = 1
    if report.version > 1 or purpose != "acknowledge":  # a brand-new report has no timers: skip the query
        cycle = (s.execute(select(func.max(Timer.cycle)).where(Timer.subject_type == REPORT, Timer.subject_id == report.id,
                                                               Timer.purpose == purpose)).scalar() or 0) + 1
    row = dict(subject_type=REPORT, subject_id=report.id, purpose=purpose, cycle=cycle, status="pending", fired_at=None, late=False)
    buffer_insert(s, Timer.__table__, dict(row, step=-1, due_at=due_at, fire_at=due_at))
    for step, rung in enumerate(k.ladder(purpose)):
        due = due_at + rung.after.timedelta
        fire = due if level.ignore_working_hours else next_working_moment(org, due, report.team)
        buffer_insert(s, Timer.__table__, dict(row, step=step, due_at=due, fire_at=fire))


def stop_ladder(s, report_id: int, purpose: str | None, now: dt.datetime) -> int:
    """Cancel the pending timers of `purpose` (or all of the report's own: a rectification item's deadline runs
    on after its hazard is resolved, and is stopped by name). Returns how many were cancelled."""
    stmt = update(Timer).where(Timer.subject_type == REPORT, Timer.subject_id == report_id, Timer.status == "pending")
    if purpose:
        stmt = stmt.where(Timer.purpose == purpose)
    else:
        stmt = stmt.where(Timer.purpose.not_in(RECTIFICATION))
    return s.execute(stmt.values(status="cancelled", fired_at=now)).rowcount or 0


@functools.lru_cache(maxsize=256)
def _fixed_words(locale: str, purpose: str, safety_channel: str) -> tuple[str, str]:
    """What is late and the link to the safety channel: the same for every rung of one purpose and language, so
    rendered once (10,000 rungs due at once rendered them 10,000 times)."""
    return (i18n.tp(locale, what_key(purpose)),
            i18n.t(locale, "escalation.link", channel=channel_link(safety_channel)))


@functools.lru_cache(maxsize=1024)
def _place(location: str | None) -> str:
    """Where, as a notice says it: masked (a phone number typed into the place) and cut to its length. The same few
    hundred places recur across reports: each is masked once, not once per rung."""
    return mask(location)[:LOCATION_IN_NOTICE] or "—"


_BATCH = "safeshift_escalation_batch"  # session.info: (transaction, what every rung of it shares)


def _shared(s) -> dict:
    """What the rungs fired in one transaction share (the Sweeper fires a batch of them in one): kinds, formatted
    moments and level names, each worked out once (issue 26: 10,000 rungs due at once)."""
    transaction = s.get_transaction()
    held = s.info.get(_BATCH)
    if held is None or held[0] is not transaction:
        held = s.info[_BATCH] = (transaction, {})
    return held[1]


def _once(shared: dict, key, make):
    value = shared.get(key, _MISSING)
    if value is _MISSING:
        value = shared[key] = make()
    return value


_MISSING = object()


def fire(ctx, s, report: Report | None, timer: Timer, now: dt.datetime) -> bool | None:
    """Act on a due timer of `report` (its deadline or a rung of its ladder). False: it no longer matters
    (answered, grouped, or a rung the policy no longer has; the Sweeper cancels it)."""
    if report is None:
        return False
    org = ctx.org
    shared = _shared(s)
    k = _once(shared, ("kind", id(org), report.kind), lambda: kind_of_report(org, report))
    if not still_relevant(report, timer.purpose) or timer.step >= len(k.ladder(timer.purpose)):
        return False
    if timer.step == -1 and timer.purpose not in PURPOSES:  # a follow-up's deadline: its ladder tells people
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor="system", action="overdue", subject_type=REPORT, subject_id=report.id, before=None, note="",
            after={"purpose": timer.purpose, "due": timer.due_at.isoformat(), "late": timer.late}))
        return
    if timer.step == -1:
        report.overdue = True
        report.version += 1
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor="system", action="overdue", subject_type=REPORT, subject_id=report.id, before=None, note="",
            after={"purpose": timer.purpose, "due": timer.due_at.isoformat(), "late": timer.late}))
        notices.update_card(ctx, s, report, now)
        return
    rung = k.ladder(timer.purpose)[timer.step]
    people = ctx.directory.resolve_people(list(rung.notify), report.team, report.reporter_id,
                                          responders=ctx.directory.responder_targets(report.kind, report.level,
                                                                                     report.category))
    if "responders" in rung.notify and not people:
        people = ctx.directory.responders_for(report.level, report.team, report.reporter_id, report.kind,
                                              report.category)
    channels = ctx.directory.resolve_channels(list(rung.notify), report.team)
    due_at = deadline(report, timer.purpose)
    icon = ICONS.get(min(timer.step, 1), ":warning:")
    common = dict(number=report.number, due=_once(shared, ("due", due_at), lambda: fmt_time(due_at, org.tz)),
                  late=timer.late, icon=i18n.Mrkdwn(icon),
                  location=_place(report.location))

    built: dict[str, dict] = {}

    def words(locale: str) -> dict:  # built once per language of this rung, not once per person told
        if locale not in built:
            what, link = _fixed_words(locale, timer.purpose, org.channels.safety)
            late_by = (now - due_at).total_seconds()
            built[locale] = dict(common, what=what, link=link,
                                 level=_once(shared, ("level", report.kind, report.level, locale),
                                             lambda: level_name(org, report, locale)),
                                 late_by=_once(shared, ("late_by", locale, late_by),
                                               lambda: i18n.fmt_late(locale, late_by)))
        return built[locale]

    # Escalations are urgent whatever the level: someone is already late. Each text is rendered by its catalog
    # entry's `Shaped` renderer (bot/shaped.py): the same words as `i18n.t`, without a Jinja render per rung.
    if "thread" in rung.via:
        notices.thread_line(ctx, s, report, now, shaped(org.locale, k.words("escalation.thread"))(
            mentions=mentions(people), **words(org.locale)), priority=URGENT)
    if "dm" in rung.via:
        langs = locales_of(s, org, people)  # only the people told, not the whole table
        for user in people:
            notices.direct(ctx, s, report, now, user, shaped(langs[user], k.words("escalation.dm"))(
                **words(langs[user])), priority=URGENT)
    if "channel" in rung.via:
        holders = mentions(holders_of(ctx, k, report, timer.purpose))
        for channel in channels:
            notices.direct(ctx, s, report, now, channel, shaped(org.locale, k.words("escalation.channel"))(
                holders=holders, **words(org.locale)), priority=URGENT)
    buffer_insert(s, AuditEvent.__table__, dict(
        at=now, actor="system", action="escalated", subject_type=REPORT, subject_id=report.id, note="", before=None,
        after={"purpose": timer.purpose, "step": timer.step, "people": people, "channels": channels,
               "late": timer.late, "due": timer.due_at.isoformat()}))


def start_answer_clock(ctx, s, report: Report, now: dt.datetime) -> None:
    """#21 §3.1.3: a category with `answer_within` (equipment: IT within 4 h) starts its responders' clock; the first
    of them to acknowledge, resolve or reply in the card's thread stops it (`answered`), else `answer` climbs."""
    cat = kind_of_report(ctx.org, report).section.categories.get(report.category)
    within = getattr(cat, "answer_within", None)
    if within is None or report.partner_due_at is not None:
        return
    report.partner_due_at = within.add_to(now, ctx.org.tz, ctx.org.workdays)
    s.flush()
    start_ladder(ctx, s, report, "answer", now)


def answered(ctx, s, report: Report, user_id: str, now: dt.datetime) -> bool:
    """`user_id` acted on `report`: if they are one of its category's responders and their clock runs, it stops
    (an audit row, a line in the thread). True when it did."""
    if (report.kind or "hazard") != "hazard" or report.partner_due_at is None or report.partner_at is not None:
        return False
    if user_id not in ctx.directory.category_responders(report):
        return False
    report.partner_at, report.partner_by = now, user_id
    took = (now - report.reported_at).total_seconds()
    buffer_insert(s, AuditEvent.__table__, dict(at=now, actor=user_id, action="answered", subject_type=REPORT,
                                                subject_id=report.id, before=None, note="",
                                                after={"seconds": int(took), "due": report.partner_due_at.isoformat()}))
    stop_ladder(s, report.id, "answer", now)
    notices.thread_line(ctx, s, report, now, i18n.t(ctx.org.locale, "escalation.answered_line", who=i18n.mention(user_id),
                                                     number=report.number, took=fmt_minutes(ctx.org.locale, took)))
    return True


def holders_of(ctx, k, report: Report, purpose: str) -> list[str]:
    """Who the leadership channel is told holds the late task: the level's responders for acknowledge / resolve;
    a follow-up's own owners (the department head's special report, the safety officer's investigation, §3.2.2,
    §5.2.2); the kind's partner departments for being on site (§2.3.2)."""
    if purpose not in PURPOSES:
        owner = getattr(getattr(k.section, purpose, None), "owner", None)
        if owner is None:  # on_site: the partners the kind pages
            owner = getattr(k.section.categories.get(report.category), "page", None)
        if owner:
            people = ctx.directory.resolve_people(list(owner), report.team, report.reporter_id)
            if people:
                return people
    return ctx.directory.responders_for(report.level, report.team, report.reporter_id, report.kind,
                                       report.category)


def load(s, ids: set) -> dict:
    return {r.id: r for r in s.execute(select(Report).where(Report.id.in_(ids))).scalars()}
