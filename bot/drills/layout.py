"""The drill calendar (§3.4.2): one `drill` row per (kind, period) laid out from the policy's cadence.

Each kind of drill is held in its `months`, on its `day`, at its local `time`; a day off (public holiday,
weekend not swapped to a working day) moves it to the next working day of the organisation's calendar.
Laying out is idempotent: the unique key (kind, period) makes a restart, a second process or a second call
insert nothing twice (INSERT … ON CONFLICT DO NOTHING on both engines). A row once laid out is the
calendar: moving a drill (`/drill move`) changes its row, and laying out again never moves it back.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot.drills import SUBJECT
from storage.db import buffer_insert, dialect_insert
from storage.models import AuditEvent, Drill

OPEN = ("planned", "held")  # a drill not yet evaluated (nor cancelled)
LIST_MAX = 20  # drills one `/drill list` shows (a Slack message holds 50 blocks)
AWAITING_FOR = dt.timedelta(days=31)  # a past drill not yet evaluated stays on the list this long (Slack UX)


def period_of(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def local_moment(org, day: dt.date, hhmm: str) -> dt.datetime:
    """`hhmm` on `day` in the organisation's zone, as UTC (zoneinfo: the right offset on either side of DST)."""
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(h, m), tzinfo=org.tz).astimezone(dt.timezone.utc)


def planned_moment(org, kind, year: int, month: int) -> dt.datetime:
    """When a drill of `kind` in (year, month) is held: its day, moved to the next working day when that is off."""
    day = org.workdays.next_working_day(dt.date(year, month, kind.day))
    return local_moment(org, day, kind.time)


def cadence(org, now: dt.datetime) -> list[dict]:
    """The drills the policy's cadence holds from now to `horizon` ahead (rows to lay out)."""
    pol = org.policy.drills
    end = now + pol.horizon.timedelta
    local, last = org.local(now), org.local(end)
    year, month = local.year, local.month
    out = []
    while (year, month) <= (last.year, last.month):
        for key, kind in pol.kinds.items():
            if month not in kind.months:
                continue
            at = planned_moment(org, kind, year, month)
            if now < at <= end:
                out.append(dict(kind=key, period=period_of(year, month), plan=kind.plan, planned_at=at))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def lay_out(ctx, s, now: dt.datetime) -> int:
    """Insert the drills of the cadence that are not in the calendar yet. Returns how many were new."""
    rows = cadence(ctx.org, now)
    if not rows:
        return 0
    dialect = s.get_bind().dialect.name
    table = Drill.__table__
    ins = dialect_insert(table, dialect)
    values = [dict(r, status="planned", notices=[], problems=[], summary="", created_at=now, version=1,
                   moved_by=None, score=None, passed=None, evaluated_at=None, evaluated_by=None) for r in rows]
    new = s.execute(ins.values(values).on_conflict_do_nothing(index_elements=["kind", "period"])
                    .returning(table.c.id)).all()
    follow_the_policy(s, rows, now)
    return len(new)


def follow_the_policy(s, rows: list[dict], now: dt.datetime) -> int:
    """#21: a kind's day, time or plan changed in the policy moves its drills not yet held (nor moved by hand with
    `/drill move`, which wins): the new moment, its notices due again, an audit row `drill_rescheduled`."""
    want = {(r["kind"], r["period"]): r for r in rows}
    if not want:
        return 0
    moved = 0
    for drill in s.execute(select(Drill).where(Drill.status == "planned", Drill.moved_by.is_(None),
                                               Drill.planned_at > now, Drill.kind.in_({k for k, _ in want}))
                           .with_for_update()).scalars():
        row = want.get((drill.kind, drill.period))
        if row is None or (drill.planned_at, drill.plan) == (row["planned_at"], row["plan"]):
            continue
        before = {"drill": drill.id, "planned_at": drill.planned_at.isoformat(), "plan": drill.plan,
                  "notices": list(drill.notices or [])}
        drill.planned_at, drill.plan, drill.notices = row["planned_at"], row["plan"], []
        drill.version += 1
        buffer_insert(s, AuditEvent.__table__, dict(
            at=now, actor="system", action="drill_rescheduled", subject_type=SUBJECT, subject_id=drill.id, note="",
            before=before, after={"drill": drill.id, "planned_at": drill.planned_at.isoformat(), "plan": drill.plan}))
        moved += 1
    return moved


def coming(s, org, now: dt.datetime) -> list[Drill]:
    """Drills not yet evaluated: those ahead, and those held lately that still wait for their evaluation."""
    since = now - AWAITING_FOR
    return list(s.execute(select(Drill).where(Drill.status.in_(OPEN), Drill.planned_at >= since)
                          .order_by(Drill.planned_at, Drill.id).limit(LIST_MAX)).scalars())


def lock(s, drill_id: int) -> Drill | None:
    """The drill read afresh under its row lock (two clicks or two processes at once cannot both change it)."""
    s.flush()
    return s.execute(select(Drill).where(Drill.id == drill_id).with_for_update()
                     .execution_options(populate_existing=True)).scalar_one_or_none()


def kind_name(org, drill: Drill, locale: str) -> str:
    kind = org.policy.drills.kinds.get(drill.kind)
    return kind.name.get(locale) if kind else drill.kind


def plan_name(org, drill: Drill, locale: str) -> str | None:
    plan = org.plans.get(drill.plan) if drill.plan else None
    return plan.name.get(locale) if plan else None
