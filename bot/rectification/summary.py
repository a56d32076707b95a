"""Open and overdue rectification items where people look (#21, §4.3.2): the daily digest's line and list, and the
Home tab of whoever must act now (owner, approver, verifier), each with the step it is at and its due moment.

An item is overdue when its current clock has run out: the work's deadline (`in_progress`), or the plan's or the
approval's (rect_plan / rect_approve, bot/rectification/deadlines.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot import i18n
from bot.hazards.kinds import RECT_PHASES
from bot.hazards.present import mentions
from bot.i18n import Mrkdwn, fmt_time
from bot.rectification.deadlines import phase_due
from bot.rectification.states import holders
from storage.models import RectItem, Report

SCAN = 500  # open items looked through (a department has tens; the oldest first)
LINES = 10  # lines of a list (Slack's 3,000-character section)


def step_due(s, item: RectItem) -> dt.datetime | None:
    """When the step the item is at is due: the work's deadline, or the plan's or the approval's."""
    if item.state == "in_progress":
        return item.due_at
    purpose = next((p for p, state in RECT_PHASES.items() if state == item.state), None)
    return phase_due(s, item.report_id, purpose) if purpose else None


def open_items(ctx, s, now: dt.datetime, team: str | None = None) -> list[dict]:
    """Every open item (oldest first): its hazard's number, state, due moment, overdue or not, who holds it."""
    q = (select(RectItem, Report.number, Report.reporter_id).join(Report, Report.id == RectItem.report_id)
         .where(RectItem.state != "closed").order_by(RectItem.created_at, RectItem.id).limit(SCAN))
    if team is not None:
        q = q.where(RectItem.team == team)
    out = []
    for item, number, reporter in s.execute(q).all():
        due = step_due(s, item)
        out.append(dict(number=number, state=item.state, due=due, overdue=due is not None and due <= now,
                        holders=holders(ctx, item, reporter)))
    return out


def line(ctx, locale: str, row: dict, with_holders: bool) -> Mrkdwn:
    return i18n.t(locale, "rectification.list_line", number=row["number"], overdue=row["overdue"],
                  state=i18n.tp(locale, f"rectification.state_{row['state']}"),
                  due=fmt_time(row["due"], ctx.org.tz) if row["due"] else "—",
                  holders=mentions(row["holders"]) if with_holders and row["holders"] else "")


def home_lines(ctx, s, user_id: str, locale: str, now: dt.datetime) -> Mrkdwn | None:
    """The items `user_id` must act on now, overdue first."""
    mine = [r for r in open_items(ctx, s, now) if user_id in r["holders"]]
    mine.sort(key=lambda r: (not r["overdue"], r["due"] or now + dt.timedelta(days=3650)))
    return Mrkdwn("\n".join(line(ctx, locale, r, False) for r in mine[:LINES])) if mine else None


def digest_lines(ctx, s, locale: str, now: dt.datetime, team: str | None = None) -> Mrkdwn | None:
    """The digest's rectification part: how many open and overdue, and the overdue ones with who holds them."""
    rows = open_items(ctx, s, now, team)
    if not rows:
        return None
    late = [r for r in rows if r["overdue"]]
    out = [i18n.t(locale, "rectification.digest_counts", open=len(rows), overdue=len(late))]
    out += [line(ctx, locale, r, True) for r in late[:LINES]]
    if len(late) > LINES:
        out.append(i18n.t(locale, "digest.more", n=len(late) - LINES))
    return Mrkdwn("\n".join(out))
