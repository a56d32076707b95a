"""The weekly summary's part for the weekly hazard-analysis meeting (§4.2.3, #22): the week's indicators (the
Home tiles' figures over the seven days before the summary, of the team or the department) and the items to
discuss: the open rectification items overdue or due within the coming week (the overdue first), and the reports
still open past their deadline. The weekly summary (bot/hazards/digest.py) takes it through the kind's
`extra["weekly_sections"]` and names no kind."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import case, select

from bot import i18n
from bot.i18n import Mrkdwn
from bot.indicators import tiles
from storage.models import RectItem, Report, report_is_open
from storage.queries import open_figures

ITEMS = 10  # items listed for the meeting (the rest counted)
AHEAD = dt.timedelta(days=7)  # an item due within the coming week is on the agenda


def sections(ctx, s, now: dt.datetime, team: str | None):
    """sections(locale) -> [mrkdwn] of the week before `now`."""
    tz = ctx.org.tz
    start = now - dt.timedelta(days=7)
    figures = tiles.window(ctx, s, "team" if team else "department", [team] if team else [], None, start, now,
                           start.astimezone(tz).date())
    is_open = RectItem.closed_at.is_(None)
    q = select(Report.number, RectItem.state, RectItem.due_at, RectItem.due_at < now).join(
        Report, Report.id == RectItem.report_id).where(is_open, RectItem.due_at.is_not(None),
                                                       RectItem.due_at < now + AHEAD)
    if team:
        q = q.where(RectItem.team == team)
    items = s.execute(q.order_by(case((RectItem.due_at < now, 0), else_=1), RectItem.due_at, RectItem.id)
                      .limit(ITEMS + 1)).all()
    overdue_reports = _overdue_reports(s, team)

    def render(locale: str) -> list:
        lines = [i18n.t(locale, "indicators.meeting_item", number=number,
                        status=i18n.tp(locale, f"rectification.state_{state}"),
                        date=due.astimezone(tz).strftime("%Y-%m-%d"), late=bool(late))
                 for number, state, due, late in items[:ITEMS]]
        if overdue_reports:
            lines.append(i18n.t(locale, "indicators.meeting_reports",
                                numbers=i18n.join_list(locale, overdue_reports[:ITEMS], "and")))
        body = "\n".join("• " + x for x in lines) if lines else i18n.t(locale, "indicators.meeting_none")
        return [Mrkdwn(i18n.t(locale, "indicators.week_title") + "\n" + "\n".join(tiles._lines(locale, figures))),
                Mrkdwn(i18n.t(locale, "indicators.meeting_title") + "\n" + body)]

    return render


def _overdue_reports(s, team: str | None) -> list[str]:
    """The numbers of the first open reports past their deadline (leads and ungrouped), by level, oldest first. The
    open figures (one grouped read the weekly summary makes anyway) say which kinds have any: none, no read; else
    the read names them, so it is an ordered scan of `ix_report_open_figures` (which leads with the kind) instead of
    a visit of every open row (issue 26: 30-50 ms of the weekly summary on SQLite over 1,000,000 reports)."""
    kinds = {kind for kind, t, _, grouped, late, _, _ in open_figures(s) if late and not grouped and (not team or t == team)}
    if not kinds:
        return []
    r = select(Report.number).where(report_is_open(), Report.overdue.is_(True), Report.group_id.is_(None))
    if None not in kinds:  # a report stored before kinds (kind NULL): the read names none
        r = r.where(Report.kind.in_(sorted(kinds)))
    if team:
        r = r.where(Report.team == team)
    return [n for (n,) in s.execute(r.order_by(Report.level, Report.reported_at).limit(ITEMS + 1)).all()]
