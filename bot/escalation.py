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
from bot.outbox import enqueue
from bot.present import card_payload, level_name, mentions
from bot.worker import Worker
from bot.working_hours import next_working_moment
from storage.db import buffer_insert, buffer_mark, buffer_rollback, session_scope
from storage.models import AuditEvent, Report, Timer, UserPref
from storage.queries import group_members

log = logging.getLogger("safeshift.escalation")

LATE_AFTER = dt.timedelta(seconds=5)  # on time means within 5 s of the moment; later notices say they are late
ICONS = {-1: ":alarm_clock:", 0: ":bell:", 1: ":warning:"}


def _deadline(report: Report, purpose: str) -> dt.datetime:
    return report.respond_due_at if purpose == "acknowledge" else report.resolve_due_at


def start_ladder(ctx, s, report: Report, purpose: str, now: dt.datetime) -> None:
    """Write the timers guarding `purpose` (acknowledge | resolve) of `report`."""
    org = ctx.org
    level = org.policy.level(report.level)
    rungs = getattr(org.policy.escalation, purpose)
    deadline = _deadline(report, purpose)
    cycle = (s.execute(select(func.max(Timer.cycle)).where(Timer.report_id == report.id, Timer.purpose == purpose))
             .scalar() or 0) + 1
    s.add(Timer(report_id=report.id, purpose=purpose, step=-1, cycle=cycle, due_at=deadline, fire_at=deadline))
    for step, rung in enumerate(rungs):
        due = deadline + rung.after.timedelta
        fire = due if level.ignore_working_hours else next_working_moment(org, due)
        s.add(Timer(report_id=report.id, purpose=purpose, step=step, cycle=cycle, due_at=due, fire_at=fire))


def stop_ladder(s, report_id: int, purpose: str | None, now: dt.datetime) -> int:
    """Cancel the pending timers of `purpose` (or all). Returns how many were cancelled."""
    stmt = update(Timer).where(Timer.report_id == report_id, Timer.status == "pending")
    if purpose:
        stmt = stmt.where(Timer.purpose == purpose)
    return s.execute(stmt.values(status="cancelled", fired_at=now)).rowcount or 0


def _still_relevant(report: Report, purpose: str) -> bool:
    if report.status == "resolved":
        return False
    return report.status == "open" if purpose == "acknowledge" else True


class Sweeper(Worker):
    """Fires due timers. `run_once()` is the whole engine; the thread only calls it on time."""

    name = "sweeper"

    def __init__(self, ctx, batch: int = 200):
        super().__init__(ctx.clock)
        self.ctx = ctx
        self.batch = batch
        self._locales: dict[str, str] = {}

    def run_once(self) -> int:
        ctx = self.ctx
        now = ctx.clock.now()
        fired = 0
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
                select(Report).where(Report.id.in_({t.report_id for t in timers}))).scalars()}
            self._locales = dict(s.execute(select(UserPref.user_id, UserPref.locale)).all())
            rungs = {p: len(getattr(ctx.org.policy.escalation, p)) for p in ("acknowledge", "resolve")}
            with s.no_autoflush:
                for timer in timers:
                    report = reports.get(timer.report_id)
                    if (report is None or not _still_relevant(report, timer.purpose)
                            or timer.step >= rungs.get(timer.purpose, 0)):  # the policy lost that rung
                        timer.status, timer.fired_at = "cancelled", now
                        continue
                    timer.late = (now - timer.fire_at) > LATE_AFTER
                    mark = buffer_mark(s)
                    try:
                        self._fire(s, report, timer, now)
                    except Exception:  # noqa: BLE001 - one bad row must not stop every other notice
                        buffer_rollback(s, mark)
                        log.exception("timer %s of report %s could not fire; set aside", timer.id, report.id)
                        timer.status, timer.fired_at = "error", now
                        continue
                    timer.status, timer.fired_at = "fired", ctx.clock.now()
                    fired += 1
        if fired:
            ctx.wake()
        return fired

    def _fire(self, s, report: Report, timer: Timer, now: dt.datetime) -> None:
        ctx = self.ctx
        org = ctx.org
        key = f"report:{report.id}"
        card = f"report:{report.id}:card"
        if timer.step == -1:
            report.overdue = True
            report.version += 1
            s.add(AuditEvent(at=now, actor="system", action="overdue", report_id=report.id,
                             after={"purpose": timer.purpose, "due": timer.due_at.isoformat(), "late": timer.late}))
            enqueue(s, now, "chat.update", card_payload(org, report, org.channels.safety, now,
                                                        grouped=group_members(s, report.id)),
                    ordering_key=key, target_key=card, report_id=report.id)
            return
        rung = getattr(org.policy.escalation, timer.purpose)[timer.step]
        level = org.policy.level(report.level)
        people = ctx.directory.resolve_people(list(rung.notify), report.team, report.reporter_id,
                                              responders=list(level.responders))
        if "responders" in rung.notify and not people:
            people = ctx.directory.responders_for(report.level, report.team, report.reporter_id)
        channels = ctx.directory.resolve_channels(list(rung.notify), report.team)
        deadline = _deadline(report, timer.purpose)
        icon = ICONS.get(min(timer.step, 1), ":warning:")
        common = dict(number=report.number, due=fmt_time(deadline, org.tz), late=timer.late, icon=i18n.Mrkdwn(icon),
                      location=mask(report.location)[:200] or "—")

        def words(locale: str) -> dict:
            return dict(common, level=level_name(org, report.level, locale),
                        what=i18n.tp(locale, f"escalation.what_{timer.purpose}"),
                        late_by=fmt_minutes(locale, (now - deadline).total_seconds()),
                        link=i18n.t(locale, "escalation.link", channel=channel_link(org.channels.safety)))

        if "thread" in rung.via:
            enqueue(s, now, "chat.postMessage",
                    {"channel": org.channels.safety,
                     "text": i18n.t(org.locale, "escalation.thread", mentions=mentions(people), **words(org.locale))},
                    ordering_key=key, target_key=card, report_id=report.id)
        if "dm" in rung.via:
            for user in people:
                loc = self._locales.get(user) or org.user_locales.get(user) or org.locale
                enqueue(s, now, "chat.postMessage",
                        {"channel": user, "text": i18n.t(loc, "escalation.dm", **words(loc))},
                        ordering_key=key, report_id=report.id)
        if "channel" in rung.via:
            holders = mentions(ctx.directory.responders_for(report.level, report.team, report.reporter_id))
            for channel in channels:
                enqueue(s, now, "chat.postMessage",
                        {"channel": channel,
                         "text": i18n.t(org.locale, "escalation.channel", holders=holders, **words(org.locale))},
                        ordering_key=key, report_id=report.id)
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor="system", action="escalated", report_id=report.id, note="", before=None,
            after={"purpose": timer.purpose, "step": timer.step, "people": people, "channels": channels,
                   "late": timer.late, "due": timer.due_at.isoformat()}))

    # -- the thread (bot.worker.Worker) ----------------------------------------------------
    def busy(self, done: int) -> bool:
        return done >= self.batch

    def next_due(self):
        with session_scope(self.ctx.engine) as s:
            return s.execute(select(func.min(Timer.fire_at)).where(Timer.status == "pending")).scalar()
