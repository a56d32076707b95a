"""Incidents' part of the Home tab (#21, #18): the open incidents I reported or hold, apart from hazards, in their
own words."""

from __future__ import annotations

from sqlalchemy import false, select, true

from bot import i18n
from bot.hazards.home import line
from bot.home import LINES as LIMIT
from bot.home import section
from bot.i18n import Mrkdwn
from storage.models import Report, report_is_open
from storage.queries import overdue_first

ORDER = 15  # after my reports, before my checks


def home_parts(ctx, s, user_id: str, locale: str) -> list[tuple[int, list[dict]]]:
    sees_all = ctx.directory.sees_everything(user_id)
    teams = [t.name for t in ctx.org.teams if user_id in t.supervisors]
    held = true() if sees_all else Report.team.in_(teams) if teams else false()
    incidents = overdue_first(s, select(Report).where(report_is_open(), Report.kind == "incident",
                                                      Report.group_id.is_(None), (Report.reporter_id == user_id) | held),
                              LIMIT)
    if not incidents:
        return []
    return [(ORDER, section(locale, "*" + i18n.tp(locale, "home.incidents") + "*",
                            Mrkdwn("\n".join(line(ctx, locale, r) for r in incidents))))]
