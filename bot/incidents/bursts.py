"""One person's burst of incidents (issue 19, floods): the per-person limit, as for hazards (paging levels never
refused), and a person's further paging incidents within `incident.group_window` joining their first one: its
thread gets their own number and words, nobody is paged again, the reporter gets their own number."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot import i18n
from bot.hazards import notices
from bot.hazards.kinds import kind
from bot.hazards.present import level_name
from bot.i18n import mention
from bot.masking import mask
from bot.prefs import user_locale
from storage.models import Report

KIND = "incident"
TEXT_IN_LINE = 500  # how much of the joined report's words its thread line repeats (its own status shows all)


def lead_of(ctx, s, reporter_id: str, level: int, now: dt.datetime) -> Report | None:
    """The same person's first open paging incident from the group window, if any (row locked)."""
    section = kind(ctx.org, KIND).section
    window = section.group_window
    if window is None or level not in section.page_levels:
        return None
    q = select(Report).where(Report.kind == KIND, Report.reporter_id == reporter_id, Report.group_id.is_(None),
                             Report.level.in_(list(section.page_levels)), Report.status != "resolved",
                             Report.reported_at >= now - window.timedelta)
    return s.execute(q.order_by(Report.reported_at, Report.id).limit(1).with_for_update()).scalar_one_or_none()


def joined_messages(ctx, s, report: Report, lead: Report, now: dt.datetime) -> None:
    """A line in the lead's thread with the joined report's own number and words; the reporter's own receipt."""
    org = ctx.org
    k = kind(org, KIND)
    loc = org.locale
    notices.thread_line(ctx, s, lead, now, i18n.t(
        loc, "incident.joined_line", number=report.number, lead=lead.number, who=mention(report.reporter_id),
        kind=k.category_name(report.category, loc), location=mask(report.location)[:200] or "—",
        description=mask(report.description)[:TEXT_IN_LINE]))
    their = user_locale(ctx, report.reporter_id, s)
    notices.direct(ctx, s, lead, now, report.reporter_id, i18n.t(
        their, "incident.joined_dm", number=report.number, lead=lead.number,
        level=level_name(org, report, their)))
