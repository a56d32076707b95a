"""Figures a check comes with (#21, §4.1.1 部门每月回顾过去一年的服务记录): the monthly risk review is issued with the
past twelve months' hazards by category and by level, posted in the check's thread to each owner as it is issued
(policy `checks.every.<k>.attach: hazards_past_year`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot import i18n
from bot.checks.messages import message_key, ordering_key
from bot.hazards.kinds import kind
from bot.outbox import ROUTINE, enqueue
from bot.prefs import locales_of
from storage.models import CheckTask, Report


def year_before(org, at: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """[the same local day a year earlier, `at`) in UTC (29 February: the 28th)."""
    local = at.astimezone(org.tz)
    try:
        start = local.replace(year=local.year - 1, hour=0, minute=0, second=0, microsecond=0)
    except ValueError:
        start = local.replace(year=local.year - 1, day=28, hour=0, minute=0, second=0, microsecond=0)
    return start.astimezone(dt.timezone.utc), at


def hazards_past_year(ctx, s, at: dt.datetime, locale: str) -> i18n.Mrkdwn:
    org = ctx.org
    since, until = year_before(org, at)
    hz = kind(org, "hazard")
    where = (Report.kind == "hazard", Report.reported_at >= since, Report.reported_at < until)
    by_cat = s.execute(select(Report.category, func.count()).where(*where).group_by(Report.category)).all()
    by_lvl = s.execute(select(Report.level, func.count()).where(*where).group_by(Report.level)).all()
    sep = i18n.tp(locale, "checks.figures.sep")
    cats = sep.join(i18n.tp(locale, "checks.figures.part", name=hz.category_name(c, locale), n=n)
                    for c, n in sorted(by_cat, key=lambda x: (-x[1], x[0])))
    lvls = sep.join(i18n.tp(locale, "checks.figures.part", name=hz.level_name(lv, locale), n=n) for lv, n in sorted(by_lvl))
    return i18n.t(locale, "checks.figures.hazards_past_year", start=since.astimezone(org.tz).date().isoformat(),
                  end=(until.astimezone(org.tz) - dt.timedelta(seconds=1)).date().isoformat(),
                  n=sum(n for _, n in by_cat), categories=cats or "—", levels=lvls or "—")


def attach(ctx, s, task: CheckTask, what: str, at: dt.datetime, now: dt.datetime) -> None:
    """Post the figures `what` under the task's message to each owner, in the caller's transaction."""
    langs = locales_of(s, ctx.org, task.owners)
    for owner in task.owners:
        text = hazards_past_year(ctx, s, at, langs[owner])
        enqueue(s, now, "chat.postMessage", {"channel": owner, "text": str(text)}, ordering_key=ordering_key(task.id),
                target_key=message_key(task.id, owner), dedupe_key=f"{task.key}:{what}:{owner}"[:128], priority=ROUTINE)
