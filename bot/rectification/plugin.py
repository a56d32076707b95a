"""What rectification plugs into the core (#18; bot/registry.py): an item's deadline timers (on its hazard's report)
and the quarterly risk-register review."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

from bot import ids
from bot.hazards import escalation
from bot.hazards.kinds import RECTIFICATION, REPORT
from bot.rectification import deadlines, parts
from bot.rectification.register import review_payloads
from bot.registry import JobArea, Kind, TimerHandler


def _review_triggers(org) -> dict:
    review = org.policy.rectification.review
    h, m = (int(x) for x in review.time.split(":"))
    return {"risk_review": CronTrigger(month=",".join(str(mo) for mo in sorted(review.months)), day=review.day,
                                       hour=h, minute=m, timezone=org.tz)}


RECTIFICATION_KIND = Kind(
    name="rectification",
    timers=(TimerHandler(REPORT, escalation.load, deadlines.fire, purposes=RECTIFICATION),),
    jobs=(JobArea("risk_review", _review_triggers,
                  lambda org, job: org.policy.rectification.review.catch_up.timedelta,
                  lambda ctx, s, job, at: review_payloads(ctx, at, s), exact=True),),
    home=parts.home_parts,
    digest=parts.digest_part,
    commands=(ids.RISK_COMMAND,),
)
