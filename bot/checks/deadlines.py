"""A check task's deadline as timer rows (the deadline engine of bot/hazards/escalation.py; ARCHITECTURE.md principle 2).

Purposes: `check_remind` steps 0..n are the reminders before the due time (policy `checks.reminders`);
`check` step -1 is the due time itself (the task turns overdue, its messages say so), steps 0..n the policy's
ladder (`checks.escalation`, `after` counted from the due time). Completing the task cancels them. The Sweeper
claims due rows and calls `fire` in its transaction: a restart or a second process never loses or doubles one.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update

from bot import i18n
from bot.checks import SUBJECT
from bot.checks.messages import occasion, ordering_key, title, update_messages
from bot.hazards.present import mentions
from bot.i18n import fmt_time
from bot.outbox import URGENT, enqueue
from bot.prefs import locales_of
from storage.db import buffer_insert
from storage.models import AuditEvent, CheckTask, Timer

PURPOSES = ("check", "check_remind")
ICONS = {-1: ":alarm_clock:", 0: ":bell:", 1: ":warning:"}


def stop(s, task_id: int, now: dt.datetime) -> int:
    return s.execute(update(Timer).where(Timer.subject_type == SUBJECT, Timer.subject_id == task_id,
                                         Timer.status == "pending")
                     .values(status="cancelled", fired_at=now)).rowcount or 0


def start(ctx, s, task: CheckTask, now: dt.datetime) -> None:
    """The timers guarding a newly issued task (ORM rows: a handful per task, beside the buffered report timers)."""
    pol = ctx.org.policy.checks
    due = task.due_at
    reminders = sorted({due - r.timedelta for r in pol.reminders if now < due - r.timedelta < due})
    rows = [("check_remind", step, m) for step, m in enumerate(reminders)]
    rows += [("check", -1, due)] + [("check", step, due + r.after.timedelta) for step, r in enumerate(pol.escalation)]
    for purpose, step, moment in rows:
        s.add(Timer(subject_type=SUBJECT, subject_id=task.id, purpose=purpose, step=step, cycle=1, due_at=moment,
                    fire_at=moment, status="pending"))


def fire(ctx, s, task: CheckTask | None, timer: Timer, now: dt.datetime) -> bool:
    """Act on a due timer of `task`. False: it no longer matters (done, gone, or a rung the policy dropped)."""
    if task is None or task.status != "pending":
        return False
    org = ctx.org
    if timer.purpose == "check" and timer.step == -1:
        task.overdue = True
        task.version += 1
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor="system", action="check_overdue", subject_type=SUBJECT, subject_id=task.id, before=None, note=task.key[:200],
            after={"task": task.id, "due": task.due_at.isoformat(), "late": timer.late}))
        update_messages(ctx, s, task, now)
        return True
    if timer.purpose == "check_remind":
        _tell(ctx, s, task, now, list(task.owners), [], "checks.remind", timer, ":hourglass_flowing_sand:")
        return True
    ladder = org.policy.checks.escalation
    if timer.step >= len(ladder):
        return False
    rung = ladder[timer.step]
    targets = [t for t in rung.notify if t != "owner"]
    people = (list(task.owners) if "owner" in rung.notify else []) + \
        ctx.directory.resolve_people(targets, task.team, None)
    people = [u for u in dict.fromkeys(people) if u] if "dm" in rung.via else []
    channels = ctx.directory.resolve_channels(targets, task.team) if "channel" in rung.via else []
    _tell(ctx, s, task, now, people, channels, "checks.overdue", timer, ICONS.get(min(timer.step, 1), ":warning:"))
    buffer_insert(s, AuditEvent.__table__, dict(
        at=now, actor="system", action="check_escalated", subject_type=SUBJECT, subject_id=task.id, before=None, note=task.key[:200],
        after={"task": task.id, "step": timer.step, "people": people, "channels": channels, "late": timer.late}))
    return True


def _tell(ctx, s, task: CheckTask, now: dt.datetime, people: list[str], channels: list[str], key: str,
          timer: Timer, icon: str) -> None:
    org = ctx.org

    def text(locale: str) -> str:
        return i18n.t(locale, key, icon=i18n.Mrkdwn(icon), title=title(org, task, locale),
                      occasion=occasion(org, task, locale), due=fmt_time(task.due_at, org.tz),
                      owners=mentions(list(task.owners)), late=timer.late,
                      late_by=i18n.fmt_late(locale, max(0.0, (now - task.due_at).total_seconds())))

    langs = locales_of(s, org, people)
    for user in people:
        enqueue(s, now, "chat.postMessage", {"channel": user, "text": text(langs[user])},
                ordering_key=ordering_key(task.id), priority=URGENT)
    for channel in channels:
        enqueue(s, now, "chat.postMessage", {"channel": channel, "text": text(org.locale)},
                ordering_key=ordering_key(task.id), priority=URGENT)
