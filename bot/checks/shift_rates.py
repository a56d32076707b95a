"""Completion rates of the checklists (#10): of the tasks of a day or a month, how many were done on time, done
late, done with a problem found, or not done (still pending). Read by the daily digest (bot/hazards/digest.py, through bot/checks/plugin.py) and the
monthly figures. One SQL aggregate over `ix_check_task_team_day`.

On time: done (All OK) by the task's due time (a shift checklist: the shift's start; a daily one: `at` +
`missing_after`). Problem: the check was done and found something (whenever). Missing: never answered.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from bot import i18n
from bot.checks.tasks import CHECKLISTS
from storage.models import CheckTask


@dataclass
class Rate:
    on_time: int = 0
    late: int = 0
    problem: int = 0
    missing: int = 0

    @property
    def total(self) -> int:
        return self.on_time + self.late + self.problem + self.missing

    @property
    def done(self) -> int:
        return self.on_time + self.late + self.problem

    def percent(self) -> int:
        return round(100 * self.done / self.total) if self.total else 0

    def add(self, status: str, in_time: bool | None, n: int) -> None:
        if status == "pending":
            self.missing += n
        elif status == "problem":
            self.problem += n
        elif in_time:
            self.on_time += n
        else:
            self.late += n


def rates(s, first: dt.date, last: dt.date, team: str | None = None) -> dict[str | None, Rate]:
    """{team (None: the department's own, e.g. the patrol): Rate} of the checklist tasks of the local days
    `first`..`last` (inclusive); one team's only when `team` is given."""
    in_time = CheckTask.done_at <= CheckTask.due_at
    q = (select(CheckTask.team, CheckTask.status, in_time, func.count())
         .where(CheckTask.kind.in_(CHECKLISTS), CheckTask.day >= first, CheckTask.day <= last)
         .group_by(CheckTask.team, CheckTask.status, in_time))
    if team is not None:
        q = q.where(CheckTask.team == team)
    out: dict[str | None, Rate] = {}
    for team_name, status, ok, n in s.execute(q).all():
        out.setdefault(team_name, Rate()).add(status, ok, n)
    return out


def total(by_team: dict) -> Rate:
    out = Rate()
    for r in by_team.values():
        out.on_time, out.late, out.problem, out.missing = (out.on_time + r.on_time, out.late + r.late,
                                                           out.problem + r.problem, out.missing + r.missing)
    return out


def rate_words(locale: str, r: Rate) -> i18n.Mrkdwn:
    """80% done (15 due, 10 on time, 1 late, 1 with a problem found and 3 not done)."""
    parts = [i18n.t(locale, f"shifts.rate_{k}", n=n) for k, n in (
        ("total", r.total), ("on_time", r.on_time), ("late", r.late), ("problem", r.problem), ("missing", r.missing))]
    return i18n.t(locale, "shifts.rate", what=i18n.t(locale, "shifts.rate_percent", n=r.percent()),
                  parts=i18n.Mrkdwn(i18n.join_list(locale, parts, "and")))


def digest_line(locale: str, day: dt.date, r: Rate) -> i18n.Mrkdwn:
    """The daily digest's line: the checklists of `day` (yesterday), of one team or the whole department."""
    if not r.total:
        return i18n.t(locale, "shifts.digest_none", date=day.isoformat())
    return i18n.t(locale, "shifts.digest", date=day.isoformat(), parts=rate_words(locale, r))


def monthly_lines(ctx, s, start: dt.datetime, end: dt.datetime, locale: str) -> list[i18n.Mrkdwn]:
    """The monthly figure per team for the local days in [start, end) (bot/incidents/cases.py `month_bounds`), teams in
    the organisation file's order, then the department's own checklists (the patrol)."""
    tz = ctx.org.tz
    first, last = start.astimezone(tz).date(), (end.astimezone(tz) - dt.timedelta(microseconds=1)).date()
    by_team = rates(s, first, last)
    order = [t.name for t in ctx.org.teams if t.name in by_team] + \
        sorted(t for t in by_team if t is not None and t not in {x.name for x in ctx.org.teams})
    lines = [i18n.t(locale, "shifts.monthly_line", team=name, parts=rate_words(locale, by_team[name]))
             for name in order]
    if None in by_team:
        lines.append(i18n.t(locale, "shifts.monthly_department", parts=rate_words(locale, by_team[None])))
    return lines
