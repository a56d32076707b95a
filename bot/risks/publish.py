"""The risk register published to everyone (#21, §4.1 风险清单全员公示).

A job runs each day at `risks.publish.time`: when the register changed since its last run (a risk added, or
reviewed — so each quarter's review reaches everyone too), it is posted to every team's channel (`risks.publish.to`):
its risks by level, highest first, their controls and owner, when last reviewed. The run is claimed (bot/jobs.py):
two replicas post it once; each post has its dedupe key.
"""

from __future__ import annotations

import datetime as dt

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, or_, select

from bot import i18n
from bot.i18n import Mrkdwn, fmt_time, mention
from bot.masking import mask
from bot.render import text_blocks
from storage.models import JobRun, Risk

JOB = "risks:publish"
CATCH_UP = dt.timedelta(hours=12)
TEXT_IN_POST = 120  # how much of a risk's description and controls the post repeats


def triggers(org) -> dict:
    h, m = (int(x) for x in org.policy.risks.publish.time.split(":"))
    return {JOB: CronTrigger(hour=h, minute=m, timezone=org.tz)}


def changed_since(s, since: dt.datetime | None) -> bool:
    q = select(func.count()).select_from(Risk).where(Risk.kind == "risk")
    if since is not None:
        q = q.where(or_(Risk.created_at > since, Risk.reviewed_at > since))
    return bool(s.execute(q).scalar())


def post_text(ctx, s, locale: str) -> Mrkdwn:
    org, pol = ctx.org, ctx.org.policy.rectification
    risks = s.execute(select(Risk).where(Risk.kind == "risk").order_by(Risk.id)).scalars().all()
    order = {level: n for n, level in enumerate(pol.levels)}
    risks.sort(key=lambda r: (order.get(r.level, len(order)), r.id))
    n_max = org.policy.risks.publish.lines_max
    lines = [i18n.t(locale, "risks.publish.title", n=len(risks))]
    for r in risks[:n_max]:
        lines.append("• " + i18n.t(locale, "risks.publish.line", n=r.id, level=pol.levels[r.level].get(locale)
                                   if r.level in pol.levels else "—", text=mask(r.description)[:TEXT_IN_POST],
                                   controls=mask(r.controls)[:TEXT_IN_POST] or "—", who=mention(r.owner),
                                   when=fmt_time(r.reviewed_at, org.tz) if r.reviewed_at else
                                   i18n.tp(locale, "risks.publish.never")))
    if len(risks) > n_max:
        lines.append(i18n.t(locale, "risks.publish.more", n=len(risks) - n_max))
    lines.append(i18n.t(locale, "risks.publish.footer"))
    return Mrkdwn("\n".join(lines))


def run(ctx, s, job: str, scheduled_for: dt.datetime) -> list[dict]:
    org = ctx.org
    last = s.execute(select(func.max(JobRun.scheduled_for)).where(
        JobRun.job == JOB, JobRun.scheduled_for < scheduled_for)).scalar()
    if not changed_since(s, last):
        return []
    channels = list(dict.fromkeys(c for team in org.teams
                                  for c in ctx.directory.resolve_channels(list(org.policy.risks.publish.to), team.name)))
    if not channels:
        return []
    text = post_text(ctx, s, org.locale)
    return [{"channel": c, "text": i18n.tp(org.locale, "risks.publish.fallback"), "blocks": text_blocks(text)}
            for c in channels]
