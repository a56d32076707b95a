"""What is due this week (`/safeshift schedule`): for me, and for my team.

Read-only: the checks already issued and not done (mine: I am an owner; my team's: the team's tasks, for
its supervisors, or everyone's for the leadership group), the recurring checks still to be issued this week
with their issue day and time, the shift checklists of my shifts, and the drills of the week. The week is
Monday to Sunday in the organisation's zone.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot import i18n
from bot.checks import recurring
from bot.checks.tasks import occasion, title
from bot.i18n import Mrkdwn, fmt_minutes, fmt_time
from bot.render import text_blocks
from storage.db import read_scope
from storage.models import CheckTask, Drill
from storage.queries import per_transaction

SUBCOMMANDS = {"schedule": "schedule", "日程": "schedule", "本周": "schedule", "": "schedule",
               "help": "help", "帮助": "help", "?": "help"}
LINES_MAX = 40  # one ephemeral answer: the rest is counted, not listed (Slack's 50 blocks, readable length)


def week_of(org, now: dt.datetime) -> tuple[dt.date, dt.date]:
    today = now.astimezone(org.tz).date()
    monday = today - dt.timedelta(days=today.weekday())
    return monday, monday + dt.timedelta(days=6)


def _day(locale: str, day: dt.date) -> str:
    return i18n.tp(locale, "checks.schedule.day", date=day.strftime("%m-%d"), mm=day.month, dd=day.day,
                   weekday=i18n.tp(locale, f"checks.schedule.weekday.{day.weekday()}"))


def _mine(ctx, user_id: str, team_name: str | None, group_owners: list[str], team: str | None) -> str | None:
    """'me', 'team' or None: whose an item of `team` held by `group_owners` is, for `user_id`."""
    if user_id in group_owners:
        return "me"
    t = ctx.directory.team(team_name)
    if ctx.directory.sees_everything(user_id) or (t is not None and user_id in t.supervisors and
                                                  (team is None or team == team_name)):
        return "team"
    return None


def lines(ctx, user_id: str, locale: str) -> dict[str, list[tuple[dt.datetime, str]]]:
    org = ctx.org
    now = ctx.clock.now()
    monday, sunday = week_of(org, now)
    team = ctx.directory.team_of(user_id)
    team_name = team.name if team else None
    out: dict[str, list] = {"me": [], "team": []}
    with read_scope(ctx.engine) as s:
        open_tasks = s.execute(select(CheckTask).where(CheckTask.status == "pending")
                               .order_by(CheckTask.due_at).limit(500)).scalars().all()
        issued = set(s.execute(select(CheckTask.key).where(
            CheckTask.kind == "check", CheckTask.day >= monday - dt.timedelta(days=recurring.LOOKBACK))).scalars())
        drills = s.execute(select(Drill).where(Drill.status == "planned", Drill.planned_at >= now,
                                               Drill.planned_at < _local(org, sunday + dt.timedelta(days=1), "00:00"))
                           .order_by(Drill.planned_at)).scalars().all()
    for task in open_tasks:
        whose = _mine(ctx, user_id, team_name, list(task.owners or []), task.team)
        if whose:
            key = "checks.schedule.open_overdue" if task.overdue else "checks.schedule.open"
            out[whose].append((task.due_at, i18n.t(locale, key, title=title(org, task, locale),
                                                   occasion=occasion(org, task, locale),
                                                   due=fmt_time(task.due_at, org.tz))))
    for key, check in org.policy.checks.every.items():
        for nominal, day in recurring.occurrences(org, check, monday, sunday):
            at = recurring.issue_at(org, check, day)
            for team_of_task, owners in recurring.owner_groups(ctx, check):
                if f"check:{key}:{team_of_task or '-'}:{nominal.isoformat()}" in issued or at < now:
                    continue
                whose = _mine(ctx, user_id, team_name, owners, team_of_task)
                if whose:
                    out[whose].append((at, i18n.t(locale, "checks.schedule.coming", title=check.name.get(locale),
                                                  team=team_of_task or "—", day=_day(locale, day), time=check.time)))
    if team is not None:
        for shift in team.shifts:
            if user_id in team.shift_members(shift) or user_id in team.supervisors:
                whose = "me" if user_id in team.shift_members(shift) else "team"
                out[whose].append((now, i18n.t(locale, "checks.schedule.shift", shift=shift.name, start=shift.start,
                                               end=shift.end, before=fmt_minutes(locale, org.policy.checklists.pre_shift.before.seconds),
                                               cadence=i18n.tp(locale, f"checks.schedule.days.{shift.days}"))))
    for drill in drills:
        kind = org.policy.drills.kinds.get(drill.kind)
        out["me"].append((drill.planned_at, i18n.t(
            locale, "checks.schedule.drill", name=kind.name.get(locale) if kind else drill.kind,
            day=_day(locale, drill.planned_at.astimezone(org.tz).date()),
            time=drill.planned_at.astimezone(org.tz).strftime("%H:%M"))))
    return {k: sorted(v, key=lambda x: x[0]) for k, v in out.items()}


def today(ctx, s, now: dt.datetime, team: str | None, locale: str) -> list[str]:
    """The daily digest's "today" (#10): the recurring checks issued today (the team's own for a team channel),
    the drills of the day, and the checks still open past their due time."""
    org = ctx.org
    day = now.astimezone(org.tz).date()
    out = []
    for key, check in org.policy.checks.every.items():
        if recurring.occurrence_on(org, check, day) is None:
            continue
        groups = [g for g, _ in recurring.owner_groups(ctx, check)]
        if team is not None and team not in groups:  # a team channel: the team's own checks
            continue
        out.append(i18n.t(locale, "checks.today.check", title=check.name.get(locale), time=check.time))
    end = _local(org, day + dt.timedelta(days=1), "00:00")
    drills = per_transaction(s, ("today_drills", day), lambda: s.execute(  # the same for every channel: once a run
        select(Drill).where(Drill.status == "planned", Drill.planned_at >= _local(org, day, "00:00"),
                            Drill.planned_at < end).order_by(Drill.planned_at)).scalars().all())
    for drill in drills:
        kind = org.policy.drills.kinds.get(drill.kind)
        out.append(i18n.t(locale, "checks.today.drill", name=kind.name.get(locale) if kind else drill.kind,
                          time=drill.planned_at.astimezone(org.tz).strftime("%H:%M")))
    q = select(CheckTask).where(CheckTask.status == "pending", CheckTask.overdue.is_(True))
    if team is not None:
        q = q.where(CheckTask.team == team)
    late = s.execute(q.order_by(CheckTask.due_at).limit(LINES_MAX)).scalars().all()
    if late:
        out.append(i18n.t(locale, "checks.today.overdue", n=len(late), items=i18n.join_list(
            locale, [title(org, t, locale) for t in late], "and")))
    return out


def _local(org, day: dt.date, hhmm: str) -> dt.datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(h, m), tzinfo=org.tz).astimezone(dt.timezone.utc)


def answer(ctx, user_id: str, text: str, locale: str) -> tuple[str, list]:
    """`/safeshift [schedule | help]`: the week's list, or how to use it."""
    sub = SUBCOMMANDS.get(text.strip().lower())
    if sub != "schedule":
        msg = i18n.t(locale, "checks.schedule.help")
        return msg, text_blocks(msg)
    monday, sunday = week_of(ctx.org, ctx.clock.now())
    parts = [i18n.t(locale, "checks.schedule.title", start=monday.isoformat(), end=sunday.isoformat())]
    found = lines(ctx, user_id, locale)
    shown = 0
    for whose in ("me", "team"):
        if whose == "team" and not found["team"]:
            continue  # not a supervisor, or nothing for the team: no empty heading
        parts.append(i18n.t(locale, f"checks.schedule.{whose}"))
        if not found[whose]:
            parts.append(i18n.t(locale, "checks.schedule.nothing"))
        room = max(0, LINES_MAX - shown)
        for _, line in found[whose][:room]:
            parts.append(Mrkdwn("• ") + line)
        if len(found[whose]) > room:
            parts.append(i18n.t(locale, "checks.schedule.more", n=len(found[whose]) - room))
        shown += len(found[whose])
    msg = Mrkdwn("\n".join(parts))
    return msg, text_blocks(msg)
