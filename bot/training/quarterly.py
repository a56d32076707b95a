"""The quarterly test (#23; §3.5.2 季度测试) and the induction reminders (`induction.remind_all`): a daily job at the policy's `quarterly.time` that, from the first
working day of each quarter, sends the test to every member who has not had this quarter's; and the test's timers
(reminders before the days run out, then the deadline).

Exactly once across replicas and restarts: the run is claimed in `job_run` like every recurring job, and each
person's quarterly test has the unique key `quarterly:<quarter>:<user>:1`, read in the claim's transaction. A member
added to a team during the quarter gets the test on the next daily run.
"""

from __future__ import annotations

import datetime as dt

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from bot.outbox import ROUTINE
from bot.prefs import locales_of
from bot.training import induction, messages, quiz
from bot.training import members as known
from storage.models import TrainingTest

PREFIX = "training:"
DAILY = PREFIX + "quarterly"
CATCH_UP = dt.timedelta(days=1)
PURPOSES = (quiz.REMIND, quiz.DUE)


def triggers(org) -> dict:
    h, m = (int(x) for x in org.policy.training.quarterly.time.split(":"))
    return {DAILY: CronTrigger(hour=h, minute=m, timezone=org.tz)}


def catch_up(org, job: str) -> dt.timedelta:
    if job != DAILY:
        raise KeyError(job)
    return CATCH_UP


def quarter_of(day: dt.date) -> tuple[str, dt.date]:
    """("2027Q1", its first day)."""
    q = (day.month - 1) // 3
    return f"{day.year}Q{q + 1}", dt.date(day.year, 3 * q + 1, 1)


def members(org) -> list[str]:
    """Everyone in a team (members and supervisors), once each, in the file's order."""
    return list(dict.fromkeys(u for t in org.teams for u in list(t.members) + list(t.supervisors)))


def run(ctx, s, job: str, scheduled_for: dt.datetime) -> list[dict]:
    if job != DAILY:
        raise KeyError(job)
    now = ctx.clock.now()
    send_due(ctx, s, now, scheduled_for)
    known.sync(ctx, s, now)  # a person new to a team in the organisation file starts induction (§3.5.1)
    induction.remind_all(ctx, s, now)
    return []


def send_due(ctx, s, now: dt.datetime, scheduled_for: dt.datetime | None = None) -> int:
    """Send this quarter's test to every member who has not had it; the days to complete count from the run's
    scheduled moment (a run made up after a restart gives the same deadline)."""
    org = ctx.org
    today = org.local(now).date()
    period, first = quarter_of(today)
    if today < org.workdays.next_working_day(first):
        return 0
    people = members(org)
    keys = {f"quarterly:{period}:{u}:1": u for u in people}
    had = set(s.execute(select(TrainingTest.key).where(TrainingTest.key.in_(list(keys)))).scalars())
    todo = [u for k, u in keys.items() if k not in had]
    langs = locales_of(s, org, todo)
    for user in todo:
        quiz.create(ctx, s, user, f"quarterly:{period}:{user}:1", "quarterly", now, period=period,
                    locale=langs[user], priority=ROUTINE, due_from=scheduled_for)
    return len(todo)


def load(s, test_ids: set) -> dict:
    return {t.id: t for t in s.execute(select(TrainingTest).where(TrainingTest.id.in_(test_ids))
                                       .with_for_update()).scalars()}


def fire(ctx, s, test: TrainingTest | None, timer, now: dt.datetime) -> bool:
    """A reminder while the test is open; at the deadline, the test expires. False: it no longer matters."""
    if test is None or test.status != quiz.OPEN:
        return False
    if timer.purpose == quiz.DUE:
        quiz.expire(ctx, s, test, now)
        return True
    messages.post_reminder(ctx, s, test, locales_of(s, ctx.org, [test.user_id])[test.user_id], now)
    return True
