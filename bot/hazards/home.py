"""Hazards' part of the Home tab (#18; bot/home.py puts the parts together): my open reports, and the reports I
hold (a supervisor: their teams'; leadership: all)."""

from __future__ import annotations

from sqlalchemy import select

from bot import i18n
from bot.hazards.present import level_name, status_label
from bot.home import LINES as LIMIT
from bot.home import section
from bot.i18n import Mrkdwn, fmt_time
from bot.masking import mask
from storage.models import Report, report_is_open
from storage.queries import open_counts, overdue_first

WHAT_IN_LINE = 80  # characters of a description in one line
PLACE_IN_LINE = 60
MINE, HELD = 10, 30  # where the parts go on the Home tab (a check's are between: bot/checks/plugin.py)


def line(ctx, locale, r: Report) -> Mrkdwn:
    return i18n.t(locale, "home.line", number=r.number, level=level_name(ctx.org, r.level, locale, r.kind or "hazard"),
                  status=status_label(r, locale), when=fmt_time(r.reported_at, ctx.org.tz),
                  what=mask(r.description)[:WHAT_IN_LINE], location=mask(r.location)[:PLACE_IN_LINE] or "—")


def home_parts(ctx, s, user_id: str, locale: str) -> list[tuple[int, list[dict]]]:
    directory = ctx.directory
    sees_all = directory.sees_everything(user_id)
    teams = [t.name for t in ctx.org.teams if user_id in t.supervisors]
    hazard = Report.kind == "hazard"  # incidents have their own part (bot/incidents/home.py)
    mine = s.execute(select(Report).where(Report.reporter_id == user_id, report_is_open(), hazard)
                     .order_by(Report.reported_at.desc()).limit(LIMIT)).scalars().all()
    parts = [(MINE, section(locale, "*" + i18n.tp(locale, "home.mine") + "*",
                            Mrkdwn("\n".join(line(ctx, locale, r) for r in mine)) if mine else None))]
    if sees_all or teams:
        q = select(Report).where(report_is_open(), Report.group_id.is_(None), hazard)
        if not sees_all:
            q = q.where(Report.team.in_(teams))
        counts = open_counts(s, teams=None if sees_all else teams, leads_only=True)  # one grouped read
        held_total, overdue_total = counts["open"], counts["overdue"]
        held = overdue_first(s, q, LIMIT, overdue_total)
        title = i18n.t(locale, "home.held_all" if sees_all else "home.held_team", n=held_total,
                       overdue=overdue_total, teams=i18n.join_list(locale, teams, "and"))
        parts.append((HELD, section(locale, title,
                                    Mrkdwn("\n".join(line(ctx, locale, r) for r in held)) if held else None)))
    return parts
