"""Deadlines and escalation ladders, as rows (ARCHITECTURE.md principle 2).

Each open report has `timer` rows: step -1 is the deadline itself (the card turns
OVERDUE), steps 0..n are the policy's rungs (`after` counts from the deadline).
The sweeper claims due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL) and, in the
same transaction, marks them fired and queues the notices in the outbox, so a
restart, a crash or a second process never loses or doubles a notice. Rows missed
while the bot was down fire once at start, in order, marked late.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import func, select, update

from bot import i18n
from bot.i18n import channel_link, fmt_minutes, fmt_time
from bot.masking import mask
from bot.outbox import URGENT
from bot.prefs import locales_of
from bot.reports.kinds import (
    PURPOSES,
    RECTIFICATION,
    deadline,
    kind_of_report,
    still_relevant,
    what_key,
)
from bot.worker import Worker
from bot.working_hours import next_working_moment
from storage.db import (
    buffer_insert,
    buffer_mark,
    buffer_rollback,
    read_scope,
    session_scope,
)
from storage.models import AuditEvent, CheckTask, Report, Timer

log = logging.getLogger("safeshift.escalation")

# On time means within 5 s of the moment (the sweeper wakes at least every second); a later notice
# says it is late. Not policy: it describes the bot, not the responsibility system.
LATE_AFTER = dt.timedelta(seconds=5)
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
        cycle = (s.execute(select(func.max(Timer.cycle)).where(Timer.report_id == report.id,
                                                               Timer.purpose == purpose)).scalar() or 0) + 1
    row = dict(report_id=report.id, purpose=purpose, cycle=cycle, status="pending", fired_at=None, late=False)
    buffer_insert(s, Timer.__table__, dict(row, step=-1, due_at=due_at, fire_at=due_at))
    for step, rung in enumerate(k.ladder(purpose)):
        due = due_at + rung.after.timedelta
        fire = due if level.ignore_working_hours else next_working_moment(org, due)
        buffer_insert(s, Timer.__table__, dict(row, step=step, due_at=due, fire_at=fire))


def stop_ladder(s, report_id: int, purpose: str | None, now: dt.datetime) -> int:
    """Cancel the pending timers of `purpose` (or all of the report's own: a rectification item's deadline runs
    on after its hazard is resolved, and is stopped by name). Returns how many were cancelled."""
    stmt = update(Timer).where(Timer.report_id == report_id, Timer.status == "pending")
    if purpose:
        stmt = stmt.where(Timer.purpose == purpose)
    else:
        stmt = stmt.where(Timer.purpose.not_in(RECTIFICATION))
    return s.execute(stmt.values(status="cancelled", fired_at=now)).rowcount or 0


class Sweeper(Worker):
    """Fires due timers. `run_once()` is the whole engine; the thread only calls it on time."""

    name = "sweeper"

    def __init__(self, ctx, batch: int = 200):
        super().__init__(ctx.clock, getattr(ctx, "gate", None))
        self.ctx = ctx
        self.batch = batch

    def run_once(self) -> int:
        from bot.checks import deadlines as check_deadlines  # a check task's timers (#10)
        from bot.rectification import (
            deadlines as rect_deadlines,  # it writes timers with this module's rules
        )

        ctx = self.ctx
        now = ctx.clock.now()
        fired = 0
        with read_scope(ctx.engine) as s:  # nothing due (the usual answer): no write transaction at all
            if s.execute(select(Timer.id).where(Timer.status == "pending", Timer.fire_at <= now).limit(1)).first() \
                    is None:
                return 0
        with session_scope(ctx.engine) as s:
            timers = s.execute(
                select(Timer).where(Timer.status == "pending", Timer.fire_at <= now)
                .order_by(Timer.fire_at, Timer.report_id, Timer.step).limit(self.batch)
                .with_for_update(skip_locked=True)
            ).scalars().all()
            if not timers:
                return 0
            # One query for the batch's reports and one for language choices: no per-row round trips.
            reports = {r.id: r for r in s.execute(
                select(Report).where(Report.id.in_({t.report_id for t in timers if t.report_id}))).scalars()}
            task_ids = {t.task_id for t in timers if t.task_id}
            tasks = {t.id: t for t in s.execute(
                select(CheckTask).where(CheckTask.id.in_(task_ids)).with_for_update()).scalars()} if task_ids else {}
            with s.no_autoflush:
                for timer in timers:
                    if timer.task_id is not None:  # a check task's: bot/checks/deadlines.py decides what matters
                        subject, fire = tasks.get(timer.task_id), check_deadlines.fire
                    else:
                        report = reports.get(timer.report_id)
                        rect = timer.purpose in RECTIFICATION  # a rectification item's: bot/rectification/deadlines.py
                        if report is None or (not rect and (not still_relevant(report, timer.purpose) or timer.step
                                              >= len(kind_of_report(ctx.org, report).ladder(timer.purpose)))):
                            # answered, grouped, or a rung the policy no longer has
                            timer.status, timer.fired_at = "cancelled", now
                            continue
                        subject, fire = report, (rect_deadlines.fire if rect else self._fire)
                    timer.late = (now - timer.fire_at) > LATE_AFTER
                    mark = buffer_mark(s)
                    try:
                        if fire(ctx, s, subject, timer, now) is False:
                            timer.status, timer.fired_at = "cancelled", now  # the item or check moved on
                            continue
                    except Exception:  # noqa: BLE001 - one bad row must not stop every other notice
                        buffer_rollback(s, mark)
                        log.exception("timer %s (report %s, check task %s) could not fire; set aside", timer.id,
                                      timer.report_id, timer.task_id)
                        timer.status, timer.fired_at = "error", now
                        continue
                    timer.status, timer.fired_at = "fired", ctx.clock.now()
                    fired += 1
        if fired:
            ctx.wake()
        return fired

    def _fire(self, ctx, s, report: Report, timer: Timer, now: dt.datetime) -> None:
        from bot.present import level_name, mentions
        from bot.reports import notices

        org = ctx.org
        if timer.step == -1 and timer.purpose not in PURPOSES:  # a follow-up's deadline: its ladder tells people
            buffer_insert(s, AuditEvent.__table__, dict(
                at=now, actor="system", action="overdue", report_id=report.id, before=None, note="",
                after={"purpose": timer.purpose, "due": timer.due_at.isoformat(), "late": timer.late}))
            return
        if timer.step == -1:
            report.overdue = True
            report.version += 1
            buffer_insert(s, AuditEvent.__table__, dict(
                at=now, actor="system", action="overdue", report_id=report.id, before=None, note="",
                after={"purpose": timer.purpose, "due": timer.due_at.isoformat(), "late": timer.late}))
            notices.update_card(ctx, s, report, now)
            return
        k = kind_of_report(org, report)
        rung = k.ladder(timer.purpose)[timer.step]
        level = k.level(report.level)
        people = ctx.directory.resolve_people(list(rung.notify), report.team, report.reporter_id,
                                              responders=list(level.responders))
        if "responders" in rung.notify and not people:
            people = ctx.directory.responders_for(report.level, report.team, report.reporter_id, report.kind)
        channels = ctx.directory.resolve_channels(list(rung.notify), report.team)
        due_at = deadline(report, timer.purpose)
        icon = ICONS.get(min(timer.step, 1), ":warning:")
        common = dict(number=report.number, due=fmt_time(due_at, org.tz), late=timer.late, icon=i18n.Mrkdwn(icon),
                      location=mask(report.location)[:LOCATION_IN_NOTICE] or "—")

        def words(locale: str) -> dict:
            return dict(common, level=level_name(org, report, locale),
                        what=i18n.tp(locale, what_key(timer.purpose)),
                        late_by=fmt_minutes(locale, (now - due_at).total_seconds()),
                        link=i18n.t(locale, "escalation.link", channel=channel_link(org.channels.safety)))

        # Escalations are urgent whatever the level: someone is already late.
        if "thread" in rung.via:
            notices.thread_line(ctx, s, report, now, i18n.t(org.locale, k.words("escalation.thread"), mentions=mentions(people),
                                                            **words(org.locale)), priority=URGENT)
        if "dm" in rung.via:
            langs = locales_of(s, org, people)  # only the people told, not the whole table
            for user in people:
                notices.direct(ctx, s, report, now, user, i18n.t(langs[user], k.words("escalation.dm"), **words(langs[user])),
                               priority=URGENT)
        if "channel" in rung.via:
            holders = mentions(ctx.directory.responders_for(report.level, report.team, report.reporter_id, report.kind))
            for channel in channels:
                notices.direct(ctx, s, report, now, channel, i18n.t(org.locale, k.words("escalation.channel"), holders=holders,
                                                                    **words(org.locale)), priority=URGENT)
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor="system", action="escalated", report_id=report.id, note="", before=None,
            after={"purpose": timer.purpose, "step": timer.step, "people": people, "channels": channels,
                   "late": timer.late, "due": timer.due_at.isoformat()}))

    # -- the thread (bot.worker.Worker) ----------------------------------------------------
    def busy(self, done: int) -> bool:
        return done >= self.batch

    def next_due(self):
        with read_scope(self.ctx.engine) as s:
            return s.execute(select(func.min(Timer.fire_at)).where(Timer.status == "pending")).scalar()
