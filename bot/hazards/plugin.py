"""What hazards plug into the core (#18; bot/registry.py): a report's timers (an incident's too: incidents are
reports of the same engine), the daily digest and the weekly summary."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

from bot import ids
from bot.hazards import digest, escalation
from bot.hazards.home import home_parts
from bot.hazards.kinds import REPORT
from bot.registry import JobArea, Kind, TimerHandler


def _hm(text: str) -> tuple[int, int]:
    h, m = (int(x) for x in text.split(":"))
    return h, m


def _digest_triggers(org) -> dict:
    h, m = _hm(org.policy.schedule.daily_digest)
    return {"daily_digest": CronTrigger(hour=h, minute=m, timezone=org.tz)}


def _weekly_triggers(org) -> dict:
    weekly = org.policy.schedule.weekly_summary
    h, m = _hm(weekly.time)
    return {"weekly_summary": CronTrigger(day_of_week=weekly.weekday, hour=h, minute=m, timezone=org.tz)}


def _schedule_catch_up(org, job: str):
    return getattr(org.policy.schedule.catch_up, job).timedelta


def _daily(ctx, s, job, scheduled_for) -> list[dict]:
    since = digest.last_digest_time(ctx, scheduled_for, s)
    return digest.daily_payloads(ctx, scheduled_for, since=since, session=s)


def _weekly(ctx, s, job, scheduled_for) -> list[dict]:
    return digest.weekly_payloads(ctx, scheduled_for, session=s)


HAZARDS = Kind(
    name="hazards",
    # every purpose of a report that no other kind claims: acknowledge, resolve, the follow-ups' deadlines
    timers=(TimerHandler(REPORT, escalation.load, escalation.fire),),
    jobs=(JobArea("daily_digest", _digest_triggers, _schedule_catch_up, _daily, exact=True),
          JobArea("weekly_summary", _weekly_triggers, _schedule_catch_up, _weekly, exact=True)),
    home=home_parts,
    commands=(ids.COMMAND,),
)
