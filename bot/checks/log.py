"""The check log (#21, §2.2.1 安全检查日志, §4.2.2, §6.1.1): who did which check when, and how it went — on time,
late, with a problem, not done — read in Slack (`/safeshift checks [team] [month]`, only to the asker, scoped like
`/safeshift schedule`: my own checks; my teams' for a supervisor; everyone's for the leadership group) and exported
for audits (`safeshift export checks`, the same sheets as `safeshift export`).

Read-only. A check's outcome: `on_time` (done or recorded by its due time), `late` (done after it), `problem`
(a problem found or recorded; late or not, the column says when), `not_done` (still open past its due time),
`open` (still open, not yet due).
"""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from bot import i18n
from bot.checks.messages import items_of, occasion, title
from bot.i18n import Mrkdwn, fmt_time, mention
from bot.masking import mask
from bot.render import text_blocks
from storage.db import read_scope
from storage.models import CheckFinding, CheckTask, Report

WORDS = ("checks", "log", "检查记录", "记录")
MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")
CHUNK = 500  # task ids per query of their findings (SQLite's bound parameters)
LINES_MAX = 40  # one ephemeral answer (Slack's 50 blocks, a readable length): the rest is counted
OUTCOMES = ("on_time", "late", "problem", "not_done", "open")
COLUMNS = ("day", "check", "team", "shift", "owners", "due_at", "outcome", "done_by", "done_at", "late",
           "problems", "content", "hazards")


def outcome(task: CheckTask, now: dt.datetime) -> str:
    if task.status == "problem":
        return "problem"
    if task.status == "done":
        return "on_time" if task.done_at <= task.due_at else "late"
    return "not_done" if now > task.due_at else "open"


def month_span(org, year: int, month: int) -> tuple[dt.date, dt.date]:
    first = dt.date(year, month, 1)
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def visible(ctx, user_id: str, task: CheckTask) -> bool:
    """Mine (an owner or the one who did it), my team's (its supervisor), or everyone's (the leadership group)."""
    if user_id in (task.owners or []) or user_id == task.done_by or ctx.directory.sees_everything(user_id):
        return True
    team = ctx.directory.team(task.team)
    return team is not None and user_id in team.supervisors


def parse(ctx, words: list[str], now: dt.datetime) -> tuple[str | None, tuple[int, int], str | None]:
    """(team or None, (year, month), a problem to tell) from `[team] [month]`, the team's name as in the file."""
    local = now.astimezone(ctx.org.tz)
    month = (local.year, local.month)
    if words and MONTH_RE.match(words[-1]):
        y, m = (int(x) for x in MONTH_RE.match(words[-1]).groups())
        if not 1 <= m <= 12 or not 2000 <= y <= 2999:
            return None, month, "month"
        month, words = (y, m), words[:-1]
    name = " ".join(words).strip()
    if not name:
        return None, month, None
    team = next((t.name for t in ctx.org.teams if t.name.casefold() == name.casefold()), None)
    return team, month, None if team else "team"


def tasks_in(s, first: dt.date, last: dt.date, team: str | None = None) -> list[CheckTask]:
    q = select(CheckTask).where(CheckTask.day >= first, CheckTask.day <= last)
    if team is not None:
        q = q.where(CheckTask.team == team)
    return s.execute(q.order_by(CheckTask.day, CheckTask.due_at, CheckTask.id)).scalars().all()


def answer(ctx, user_id: str, rest: str, locale: str) -> tuple[Mrkdwn, list]:
    """`/safeshift checks [team] [month]`: the month's check log that `user_id` may see."""
    org = ctx.org
    now = ctx.clock.now()
    team, (year, month), problem = parse(ctx, rest.split(), now)
    if problem:
        msg = i18n.t(locale, f"checks.log.bad_{problem}", text=rest[:40],
                     teams=i18n.join_list(locale, [t.name for t in org.teams], "or"))
        return msg, text_blocks(msg)
    first, last = month_span(org, year, month)
    with read_scope(ctx.engine) as s:
        mine = [t for t in tasks_in(s, first, last, team) if visible(ctx, user_id, t)]
    counts = {k: 0 for k in OUTCOMES}
    for t in mine:
        counts[outcome(t, now)] += 1
    head = i18n.t(locale, "checks.log.title", month=f"{year}-{month:02d}", team=team or i18n.tp(locale, "checks.log.all"),
                  n=len(mine), **counts)
    lines = [line(ctx, t, now, locale) for t in mine[:LINES_MAX]]
    if len(mine) > LINES_MAX:
        lines.append(i18n.t(locale, "checks.schedule.more", n=len(mine) - LINES_MAX))
    if not mine:
        lines.append(i18n.t(locale, "checks.log.none"))
    msg = Mrkdwn("\n".join([head] + ["• " + x for x in lines[:LINES_MAX]] + lines[LINES_MAX:]))
    return msg, text_blocks(msg)


def line(ctx, task: CheckTask, now: dt.datetime, locale: str) -> Mrkdwn:
    org = ctx.org
    how = outcome(task, now)
    return i18n.t(locale, f"checks.log.{how}", title=title(org, task, locale), occasion=occasion(org, task, locale),
                  who=mention(task.done_by) if task.done_by else "", at=fmt_time(task.done_at, org.tz) if task.done_at
                  else "", due=fmt_time(task.due_at, org.tz), owners=i18n.join_list(
                      locale, [mention(u) for u in task.owners or []], "or"))


def export_rows(ctx, start: dt.date | None, end: dt.date | None) -> tuple[str, list[str], list[list]]:
    """(sheet name, headers, rows) of `safeshift export checks`: every check of the days [start, end]."""
    org, locale = ctx.org, ctx.org.locale
    now = ctx.clock.now()
    out = []
    with read_scope(ctx.engine) as s:
        q = select(CheckTask)
        if start is not None:
            q = q.where(CheckTask.day >= start)
        if end is not None:
            q = q.where(CheckTask.day <= end)
        tasks = s.execute(q.order_by(CheckTask.day, CheckTask.due_at, CheckTask.id)).scalars().all()
        found: dict[int, list[tuple[str, str | None]]] = {}
        ids = [t.id for t in tasks]
        for at in range(0, len(ids), CHUNK):
            for task_id, text, number in s.execute(
                    select(CheckFinding.task_id, CheckFinding.text, Report.number)
                    .outerjoin(Report, Report.id == CheckFinding.report_id)
                    .where(CheckFinding.task_id.in_(ids[at:at + CHUNK])).order_by(CheckFinding.task_id, CheckFinding.n)):
                found.setdefault(task_id, []).append((text, number))
        linked = [t.report_id for t in tasks if t.report_id]
        numbers = dict(s.execute(select(Report.id, Report.number).where(Report.id.in_(linked))).all()) if linked else {}
        for t in tasks:
            problems = [text for text, _ in found.get(t.id, [])] or _points(ctx, t, locale)
            hazards = [n for _, n in found.get(t.id, []) if n] + ([numbers[t.report_id]] if t.report_id in numbers else [])
            late = bool(t.done_at and t.done_at > t.due_at)
            out.append([t.day.isoformat(), title(org, t, locale), t.team or "", t.shift or "",
                        " ".join(t.owners or []), t.due_at, i18n.tp(locale, f"checks.log.outcome_{outcome(t, now)}"),
                        t.done_by or "", t.done_at, i18n.tp(locale, "export.yes" if late else "export.no"),
                        mask(i18n.tp(locale, "checks.points_sep").join(problems)), mask(t.note or ""), " ".join(hazards)])
    headers = [i18n.tp(locale, f"checks.log.col_{c}") for c in COLUMNS]
    return i18n.tp(locale, "checks.log.sheet"), headers, out


def _points(ctx, task: CheckTask, locale: str) -> list[str]:
    known = items_of(ctx.org, task)
    return [known[k].get(locale) for k in task.problems or [] if k in known]
