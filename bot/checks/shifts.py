"""The shift and daily checklists (#10, §2.2, §3.1.1): issued on a schedule, and who has not done them.

Jobs (bot/jobs.py AREAS, through bot/checks/jobs.py), each a cron trigger in the organisation's zone, claimed
in `job_run` so that a restart or a second process never runs one twice:

- `checks:shift:<kind>:issue:<tag>` for the shift checklists (`pre_shift`, `briefing`), one per team and shift
  (`tag`: a short hash of the team and shift names, stable across restarts), at the shift's start − `before`:
  the pre-shift self-check, one task per member of the shift (Team.shift_members); the briefing confirmation,
  one task per team and shift held by the team's supervisors. Due at the shift's start.
- `checks:shift:<kind>:issue` for the daily checklists (`end_of_day`, `patrol`) at `at`: one task per team
  when the owners are the team's (`on_duty`, `team_supervisors`), else one for the department (owners by
  role). Due at `at` + `missing_after`.
- `…:missing…` at the shift's start (or `at`) + `missing_after`: one message to each of the people of
  the checklist's `missing_to` (policy) naming exactly those whose task is still pending (one audit row `check_missing` with the list).
  When nobody is missing, nothing is sent: the daily digest carries the completion rate.

Every task's key holds the kind, the tag, the shift's local start date (or the day) and the person: issuing
again (a second process, a made-up run) writes nothing. Times are wall-clock times in the organisation's
zone: a trigger fires at 07:45 local before and after a daylight-saving change; the day a shift belongs to is
its local start date, so a shift starting at 00:00 is issued at 23:45 the day before for the next day, and a
`working_days` shift gets nothing when that start date is a day off (org.workdays: public holidays, swapped
working weekends).

Made up at start (bot/jobs.py `catch_up`, its latest missed run only): a shift checklist while the shift
still runs (its window reaches the shift's end: a self-check after the shift is noise); a shift's missing
list likewise; a daily checklist until it is due; a daily missing list until the end of that day. A missing
list counts only tasks issued before its moment: a task made up late has had no time yet.

Shift checklists get no reminder/overdue ladder (bot/checks/deadlines.py): the missing list to the
supervisor is their escalation, and a ladder per agent per shift would bury the supervisor.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from bot import i18n, registry
from bot.checks import tasks
from bot.i18n import mention
from bot.outbox import ROUTINE, enqueue
from bot.policy_checks import hhmm_minutes
from bot.prefs import locales_of
from storage.db import buffer_insert
from storage.models import AuditEvent, CheckTask

PREFIX = "checks:shift"
SHIFT_KINDS = ("pre_shift", "briefing")  # tied to each shift (`before` its start)
DAILY_KINDS = ("end_of_day", "patrol")  # once a day (`at`)
PHASES = ("issue", "missing")
# Who is told whom a checklist is missing from is each checklist's `missing_to` (policy); with nobody in that
# role, the safety officer, then the head.
TEAM_OWNERS = ("on_duty", "team_supervisors")  # daily owners that make one task per team
DAY = 24 * 3600
MIN_WINDOW = dt.timedelta(minutes=1)  # a made-up run's window is never shorter than the scheduler's own tick


@dataclass(frozen=True)
class Job:
    kind: str
    phase: str
    team: str | None = None
    shift: str | None = None


def tag(team: str, shift: str) -> str:
    """A short, stable name of a team's shift (job names ≤ 64 characters; keys ≤ 128 with the person)."""
    return hashlib.sha256(f"{team}\x1f{shift}".encode()).hexdigest()[:10]


def jobs(org) -> dict[str, Job]:
    """Every job of this part, issuing before missing (catch-up runs them in this order)."""
    out: dict[str, Job] = {}
    for kind in SHIFT_KINDS:
        for team in org.teams:
            for shift in team.shifts:
                for phase in PHASES:
                    out[f"{PREFIX}:{kind}:{phase}:{tag(team.name, shift.name)}"] = Job(kind, phase, team.name,
                                                                                         shift.name)
    for kind in DAILY_KINDS:
        for phase in PHASES:
            out[f"{PREFIX}:{kind}:{phase}"] = Job(kind, phase)
    return out


def _checklist(org, kind: str):
    return getattr(org.policy.checklists, kind)


def _shift(org, job: Job):
    team = next(t for t in org.teams if t.name == job.team)
    return team, team.shift(job.shift)


def _anchor_seconds(org, job: Job) -> int:
    """The local time of day (seconds) the job counts from: the shift's start, or the daily checklist's `at`."""
    if job.shift is not None:
        return hhmm_minutes(_shift(org, job)[1].start) * 60
    return hhmm_minutes(_checklist(org, job.kind).at) * 60


def _offset(org, job: Job) -> int:
    """Seconds from the anchor to the job's moment: − `before` to issue, + `missing_after` for the list."""
    cl = _checklist(org, job.kind)
    if job.phase == "missing":
        return int(cl.missing_after.seconds)
    return -int(cl.before.seconds) if cl.before is not None else 0


def _cron(org, seconds_of_day: int) -> CronTrigger:
    s = seconds_of_day % DAY
    return CronTrigger(hour=s // 3600, minute=s // 60 % 60, second=s % 60, timezone=org.tz)


def triggers(org) -> dict[str, CronTrigger]:
    return {name: _cron(org, _anchor_seconds(org, job) + _offset(org, job)) for name, job in jobs(org).items()}


def catch_up(org, job_name: str) -> dt.timedelta:
    """How late a missed run is still worth making up (see the module's notes)."""
    job = jobs(org)[job_name]
    cl = _checklist(org, job.kind)
    if job.shift is not None:
        length = _shift(org, job)[1].length()
        window = length - cl.missing_after.timedelta if job.phase == "missing" else cl.before.timedelta + length
    elif job.phase == "issue":
        window = cl.missing_after.timedelta
    else:  # until the end of the day the checklist belongs to
        window = dt.timedelta(seconds=DAY - (_anchor_seconds(org, job) + _offset(org, job)) % DAY)
    return max(window, MIN_WINDOW)


def occasion(org, job: Job, scheduled_for: dt.datetime) -> tuple[dt.date, dt.datetime]:
    """(the local day the run belongs to, the anchor moment: the shift's start or the daily `at`), by wall
    clock in the organisation's zone (so 23:45 before a shift starting at 00:00 belongs to the next day)."""
    tz = org.tz
    wall = scheduled_for.astimezone(tz).replace(tzinfo=None) - dt.timedelta(seconds=_offset(org, job))
    anchor = dt.datetime.combine(wall.date(), dt.time(_anchor_seconds(org, job) // 3600,
                                                     _anchor_seconds(org, job) // 60 % 60), tzinfo=tz)
    return wall.date(), anchor.astimezone(dt.timezone.utc)


def runs_on(org, job: Job, day: dt.date) -> bool:
    days = _shift(org, job)[1].days if job.shift is not None else _checklist(org, job.kind).days
    return days == "every_day" or org.workdays.is_working_day(day)


def run(ctx, s, job_name: str, scheduled_for: dt.datetime) -> list[dict]:
    """Issue the checklist, or tell who has not done it. Messages are queued here (each with its own key:
    one person may hold several teams), so nothing is returned to the job runner."""
    org = ctx.org
    job = jobs(org)[job_name]
    day, anchor = occasion(org, job, scheduled_for)
    if not runs_on(org, job, day):
        return []
    now = ctx.clock.now()
    if job.phase == "issue":
        _issue(ctx, s, job, day, anchor, now)
    else:
        _missing(ctx, s, job_name, job, day, scheduled_for, now)
    return []


def _team_owners(ctx, team, owner: list[str]) -> list[str]:
    people = list(team.on_duty) if "on_duty" in owner else []
    return people + ctx.directory.resolve_people([o for o in owner if o != "on_duty"], team.name, None)


def _issue(ctx, s, job: Job, day: dt.date, anchor: dt.datetime, now: dt.datetime) -> None:
    org = ctx.org
    cl = _checklist(org, job.kind)
    common = dict(kind=job.kind, name=job.kind, day=day, now=now)
    if job.shift is not None:
        team, shift = _shift(org, job)
        where = dict(team=team.name, shift=shift.name, starts_at=anchor, due_at=anchor)
        base = f"{job.kind}:{tag(team.name, shift.name)}:{day.isoformat()}"
        if job.kind == "pre_shift":  # one task per member: issued in batches (a shift may have a thousand people)
            keyed = [(f"{base}:{user}", user) for user in team.shift_members(shift)]
            for user, _task in tasks.issue_many(ctx, s, keyed=keyed, **where, **common):
                _tell_kinds(ctx, s, team, user, day, now)
        else:
            tasks.issue(ctx, s, key=base, owners=list(team.supervisors), **where, **common)
        return
    due = anchor + cl.missing_after.timedelta
    if set(cl.owner) & set(TEAM_OWNERS):
        for team in org.teams:
            tasks.issue(ctx, s, key=f"{job.kind}:{tag(team.name, '')}:{day.isoformat()}",
                        owners=_team_owners(ctx, team, list(cl.owner)), team=team.name, due_at=due, **common)
    else:
        tasks.issue(ctx, s, key=f"{job.kind}:{day.isoformat()}",
                    owners=ctx.directory.resolve_people(list(cl.owner), None, None), due_at=due, **common)


def _tell_kinds(ctx, s, team, user: str, day: dt.date, now: dt.datetime) -> None:
    """A pre-shift self-check was just issued to `user`: the kinds that care (`Kind.extra["pre_shift_issued"]`, e.g.
    training: a person still in induction is not cleared to work) act in this transaction."""
    for kind in registry.current().kinds:
        hook = kind.extra.get("pre_shift_issued")
        if hook is not None:
            hook(ctx, s, team, user, day, now)


def pending(s, job: Job, day: dt.date, before: dt.datetime) -> dict[str | None, list[str]]:
    """{team: the owners of its tasks still pending} of this job's checklist and day, issued before `before`."""
    q = select(CheckTask).where(CheckTask.kind == job.kind, CheckTask.day == day, CheckTask.status == "pending",
                                CheckTask.issued_at <= before)
    if job.shift is not None:
        q = q.where(CheckTask.team == job.team, CheckTask.shift == job.shift)
    out: dict[str | None, list[str]] = {}
    for task in s.execute(q.order_by(CheckTask.id)).scalars():
        names = out.setdefault(task.team, [])
        names.extend(u for u in task.owners or [] if u not in names)
    return out


def _missing(ctx, s, job_name: str, job: Job, day: dt.date, scheduled_for: dt.datetime, now: dt.datetime) -> None:
    org = ctx.org
    for team_name, names in pending(s, job, day, scheduled_for).items():
        to = ctx.directory.resolve_people(list(getattr(org.policy.checklists, job.kind).missing_to), team_name, None) \
            or ctx.directory.people("safety_officer") or ctx.directory.people("department_head")
        langs = locales_of(s, org, to)
        for user in to:
            enqueue(s, now, "chat.postMessage", {"channel": user, "text": missing_text(ctx, job, team_name, day,
                                                                                         names, langs[user])},
                    ordering_key=f"missing:{job_name}", priority=ROUTINE,
                    dedupe_key=f"missing:{job_name}:{tag(team_name or '', '')}:{day.isoformat()}:{user}"[:128])
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor="system", action="check_missing", subject_type=None, subject_id=None, before=None,
            note=f"{job.kind}:{team_name or ''}:{job.shift or ''}:{day.isoformat()}"[:200],
            after={"kind": job.kind, "team": team_name, "shift": job.shift, "day": day.isoformat(),
                   "missing": names, "told": to, "late": (now - scheduled_for).total_seconds() > 5}))


def missing_text(ctx, job: Job, team: str | None, day: dt.date, names: list[str], locale: str) -> str:
    org = ctx.org
    where = [team] if team else []
    if job.shift is not None:
        shift = _shift(org, job)[1]
        where.append(i18n.tp(locale, "shifts.shift_name", shift=shift.name, start=shift.start, end=shift.end))
    return i18n.t(locale, f"shifts.missing.{job.kind}", title=i18n.tp(locale, f"checks.title.{job.kind}"),
                  where=" · ".join(where + [day.isoformat()]), n=len(names),
                  mentions=i18n.join_list(locale, [mention(u) for u in names], "and"))
