"""Incidents' part of the daily digest (#21, #18): new since the last digest, open now, and the open ones (overdue
first), in the incidents' own words, apart from the hazards' counts."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from bot import i18n
from bot.hazards.digest import DETAILS
from bot.hazards.present import category_name, level_name, status_label
from bot.i18n import Mrkdwn
from bot.registry import DigestPart
from storage.models import Report, report_is_open
from storage.queries import open_counts, overdue_first, per_transaction

ORDER = 10  # the first section under the overdue reports


def digest_part(ctx, s, now: dt.datetime, team: str | None, since: dt.datetime | None = None) -> DigestPart:
    since = since or now - dt.timedelta(days=1)
    q = select(Report).where(Report.kind == "incident", Report.group_id.is_(None))
    q = q.where(Report.team == team) if team else q
    new_by_team = per_transaction(s, ("incidents_new", since, now), lambda: dict(s.execute(  # every channel's, once
        select(Report.team, func.count()).where(Report.kind == "incident", Report.group_id.is_(None),
                                                Report.reported_at >= since, Report.reported_at < now)
        .group_by(Report.team)).all()))
    new = new_by_team.get(team, 0) if team else sum(new_by_team.values())
    open_q = q.where(report_is_open())
    counts = open_counts(s, kinds=("incident",), teams=None if team is None else (team,), leads_only=True)
    n_open, n_overdue = counts["open"], counts["overdue"]  # the grouped read the hazards' part made (one per run)
    items = overdue_first(s, open_q, DETAILS, n_overdue) if n_open else []
    org = ctx.org

    def sections(locale: str) -> list:
        if not (new or n_open):
            return []
        lines = [i18n.t(locale, "digest.incidents", new=new, open=n_open, overdue=n_overdue)]
        lines += [i18n.t(locale, "digest.incident_line", number=r.number,
                         level=level_name(org, r.level, locale, "incident"),
                         kind=category_name(org, r.category, locale, "incident"), status=status_label(r, locale))
                  for r in items]
        if n_open > len(items):
            lines.append(i18n.t(locale, "digest.more", n=n_open - len(items)))
        return [(ORDER, Mrkdwn("\n".join(lines)))]

    return DigestPart({"incidents": {"new": new, "open": n_open, "overdue": n_overdue, "items": items}},
                      lambda locale: [], sections)
