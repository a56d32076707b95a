"""The App Home tab: report in one click, my open reports, and what I hold."""

from __future__ import annotations

from sqlalchemy import false as sa_false
from sqlalchemy import func, select
from sqlalchemy import true as sa_true

from bot import i18n
from bot.checks.tasks import occasion, title
from bot.hazards.present import level_name, status_label
from bot.i18n import Mrkdwn, fmt_time
from bot.masking import mask
from bot.rectification import summary as rect_summary
from bot.render import render
from storage.db import read_scope
from storage.models import CheckTask, Report, report_is_open

# Lines per list on the Home tab: ten lines of a report fit Slack's 3,000-character section.
LIMIT = 10
WHAT_IN_LINE = 80  # characters of a description in one line
PLACE_IN_LINE = 60
PENDING_SCAN = 500  # open check tasks looked through for mine (a day's checks of a large department)


def _line(ctx, locale, r: Report) -> Mrkdwn:
    return i18n.t(locale, "home.line", number=r.number, level=level_name(ctx.org, r.level, locale, r.kind or "hazard"),
                  status=status_label(r, locale), when=fmt_time(r.reported_at, ctx.org.tz),
                  what=mask(r.description)[:WHAT_IN_LINE], location=mask(r.location)[:PLACE_IN_LINE] or "—")


def home_view(ctx, user_id: str, locale: str) -> dict:
    directory = ctx.directory
    sees_all = directory.sees_everything(user_id)
    teams = [t.name for t in ctx.org.teams if user_id in t.supervisors]
    hazard, incident = (Report.kind == "hazard") | Report.kind.is_(None), Report.kind == "incident"
    with read_scope(ctx.engine) as s:
        mine = s.execute(select(Report).where(Report.reporter_id == user_id, report_is_open(), hazard)
                         .order_by(Report.reported_at.desc()).limit(LIMIT)).scalars().all()
        # #21: incidents apart from hazards, in their own words (mine; and those I hold, as for hazards)
        incidents = s.execute(select(Report).where(report_is_open(), incident, Report.group_id.is_(None), (
            Report.reporter_id == user_id) | (sa_true() if sees_all else Report.team.in_(teams) if teams else sa_false()))
            .order_by(Report.overdue.desc(), Report.level, Report.reported_at).limit(LIMIT)).scalars().all()
        held, held_total, overdue_total = [], 0, 0
        if sees_all or teams:
            q = select(Report).where(report_is_open(), Report.group_id.is_(None), hazard)
            if not sees_all:
                q = q.where(Report.team.in_(teams))
            held_total = s.execute(select(func.count()).select_from(q.subquery())).scalar_one()
            overdue_total = s.execute(select(func.count()).select_from(
                q.where(Report.overdue.is_(True)).subquery())).scalar_one()
            held = s.execute(q.order_by(Report.overdue.desc(), Report.level, Report.reported_at)
                             .limit(LIMIT)).scalars().all()
        rect = rect_summary.home_lines(ctx, s, user_id, locale, ctx.clock.now())  # #21: the items I must act on
        # my open checks (#10): owners are a JSON list, so the few pending rows are filtered here
        checks = [t for t in s.execute(select(CheckTask).where(CheckTask.status == "pending")
                                       .order_by(CheckTask.due_at).limit(PENDING_SCAN)).scalars()
                  if user_id in (t.owners or [])][:LIMIT]
    check_lines = [i18n.t(locale, "checks.schedule.open_overdue" if t.overdue else "checks.schedule.open",
                          title=title(ctx.org, t, locale), occasion=occasion(ctx.org, t, locale),
                          due=fmt_time(t.due_at, ctx.org.tz)) for t in checks]
    return render(
        "home", locale,
        checks=Mrkdwn("\n".join("• " + line for line in check_lines)) if check_lines else None, rect=rect,
        incidents=Mrkdwn("\n".join(_line(ctx, locale, r) for r in incidents)) if incidents else None,
        mine=Mrkdwn("\n".join(_line(ctx, locale, r) for r in mine)) if mine else None,
        held=Mrkdwn("\n".join(_line(ctx, locale, r) for r in held)) if held else None,
        show_held=bool(sees_all or teams),
        held_title=i18n.t(locale, "home.held_all" if sees_all else "home.held_team", n=held_total,
                          overdue=overdue_total, teams=i18n.join_list(locale, teams, "and")),
    )
