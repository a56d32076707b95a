"""What incidents plug into the core (#18; bot/registry.py): the monthly case summary (§5.2.3). An incident's
timers are a report's (bot/hazards/escalation.py fires them); its corrective actions' carry-over rows (migration
0015) are its own, and it follows the rectification items they became (#21, bot/incidents/actions.py)."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

from bot import ids
from bot.incidents import actions, cases
from bot.incidents.digest import digest_part
from bot.incidents.home import home_parts
from bot.registry import JobArea, Kind, TimerHandler


def _cases_triggers(org) -> dict:
    monthly = org.policy.incident.monthly_cases
    h, m = (int(x) for x in monthly.time.split(":"))
    return {"incident_cases": CronTrigger(day=monthly.day, hour=h, minute=m, timezone=org.tz)}


INCIDENTS = Kind(
    name="incidents",
    timers=(TimerHandler(actions.SUBJECT, actions.load, actions.carry_over, purposes=(actions.CARRY_OVER,)),),
    jobs=(JobArea("incident_cases", _cases_triggers,
                  lambda org, job: org.policy.incident.monthly_cases.catch_up.timedelta,
                  lambda ctx, s, job, at: cases.monthly_payloads(ctx, at, s), exact=True),),
    home=home_parts,
    digest=digest_part,
    commands=(ids.INCIDENT_COMMAND, ids.PLAN_COMMAND),
    extra={"rect_item_changed": actions.item_changed},
)
