"""Every indicator of §6.2.1 for one month, computed in one place (#22): the monthly report, its export and its charts
read this and nothing else. Each figure is one SQL aggregate over an index (no loop over rows in Python), so a month
over a long history costs a handful of index range scans (docs/BENCHMARKS.md).

Definitions (numerator, denominator, which records count) are in docs/INDICATORS.md; the month is the organisation's
local calendar month [1st 00:00, next 1st 00:00). A figure whose input is not in Slack (calls handled, complaints,
training participation) is `missing` until the safety officer gives it (bot/indicators/figures.py), never 0; a figure
with nothing to count (no drill evaluated, a team with no shifts) is `none`, also never 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, or_, select

from bot.indicators import figures as given
from storage.models import AuditEvent, CheckTask, Drill, RectItem, Report

# key -> (unit, which way is good): "min" minutes, "%" a share, "n" a count, "per10k" per 10,000 calls handled.
SPEC = {
    "training_participation": ("%", "higher"),
    "rectification_rate": ("%", "higher"),
    "drill_pass_rate": ("%", "higher"),
    "pre_shift_completion": ("%", "higher"),
    "scheduled_check_completion": ("%", "higher"),
    "major_accidents": ("n", "lower"),
    "safety_complaint_share": ("%", "lower"),
    "level1_response_minutes": ("min", "lower"),
    "conflict_rate": ("per10k", "lower"),
    "emergency_on_site_minutes": ("min", "lower"),
    "overdue_rectification": ("n", "lower"),
    "supervisors_flagged": ("n", "lower"),
    "hazards_reported": ("n", None),
}
ORDER = tuple(SPEC)
SCHEDULED_KINDS = ("check", "patrol", "end_of_day")  # the policy's recurring checks, the patrol, the end-of-day check
CONFLICT_CATEGORIES = ("customer_threat", "customer_out_of_control")  # §3.2.3 冲突事件


@dataclass
class Figure:
    key: str
    value: float | None
    state: str = "ok"  # ok | missing (an input not given yet) | none (nothing to count this month)
    num: float | None = None
    den: float | None = None
    target: float | None = None

    @property
    def unit(self) -> str:
        return SPEC[self.key][0]

    def met(self) -> bool | None:
        """True/False against the target; None when there is no value or no target."""
        better = SPEC[self.key][1]
        if self.value is None or self.target is None or better is None:
            return None
        return self.value >= self.target if better == "higher" else self.value <= self.target


@dataclass
class Month:
    month: str  # 2026-11
    start: dt.datetime  # UTC bounds of the local month
    end: dt.datetime
    figures: dict[str, Figure] = field(default_factory=dict)
    by_level: dict[int, dict] = field(default_factory=dict)  # level -> {n, ack_n, ack_min, res_n, res_min}
    by_category: dict[tuple[str, int], int] = field(default_factory=dict)  # (category, level) -> hazards
    teams: dict[str, dict] = field(default_factory=dict)  # team -> {pre_shift: (num, den) | None, overdue, flagged}
    weekly: list[tuple[dt.date, int, int]] = field(default_factory=list)  # (week's Monday, opened, closed)
    ack_minutes: list[tuple[str, float]] = field(default_factory=list)  # level-1 reports: (number, minutes)


def month_bounds(org, month: str) -> tuple[dt.datetime, dt.datetime]:
    y, m = (int(x) for x in month.split("-"))
    first = dt.datetime(y, m, 1, tzinfo=org.tz)
    nxt = dt.datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=org.tz)
    return first.astimezone(dt.timezone.utc), nxt.astimezone(dt.timezone.utc)


def previous_month(month: str) -> str:
    y, m = (int(x) for x in month.split("-"))
    return f"{y - (m == 1)}-{(m - 2) % 12 + 1:02d}"


def minutes(s, a, b):
    """SQL: minutes from `a` to `b` (both timestamps), on either engine."""
    if s.get_bind().dialect.name == "sqlite":
        return (func.julianday(b) - func.julianday(a)) * 1440.0
    return func.extract("epoch", b - a) / 60.0


def _pct(num, den) -> tuple[float | None, str]:
    return (round(100.0 * num / den, 1), "ok") if den else (None, "none")


def compute(ctx, s, month: str) -> Month:
    org = ctx.org
    start, end = month_bounds(org, month)
    out = Month(month, start, end)
    targets = org.policy.indicators.targets
    first_day = start.astimezone(org.tz).date()
    last_day = (end.astimezone(org.tz) - dt.timedelta(days=1)).date()

    def put(key, value, state="ok", num=None, den=None):
        out.figures[key] = Figure(key, value, state, num, den, targets.get(key))

    in_month = and_(Report.reported_at >= start, Report.reported_at < end)
    # -- rectification: items whose (current) deadline falls in the month, closed by it
    on_time = and_(RectItem.closed_at.is_not(None), RectItem.closed_at <= RectItem.due_at)
    den, num = s.execute(select(func.count(), func.coalesce(func.sum(case((on_time, 1), else_=0)), 0)).where(
        RectItem.due_at >= start, RectItem.due_at < end)).one()
    put("rectification_rate", *_pct(num, den), num=num, den=den)
    # -- drills held (planned) in the month and evaluated: passed at the policy's score
    den, num = s.execute(select(func.count(), func.coalesce(func.sum(case((Drill.passed.is_(True), 1), else_=0)), 0))
                         .where(Drill.status == "evaluated", Drill.planned_at >= start, Drill.planned_at < end)).one()
    put("drill_pass_rate", *_pct(num, den), num=num, den=den)
    # -- checks of the month's local days: done (OK or a problem found) by the due time
    done = and_(CheckTask.status != "pending", CheckTask.done_at <= CheckTask.due_at)
    rows = s.execute(select(CheckTask.kind, CheckTask.team, func.count(), func.sum(case((done, 1), else_=0)))
                     .where(CheckTask.day >= first_day, CheckTask.day <= last_day,
                            CheckTask.kind.in_(("pre_shift",) + SCHEDULED_KINDS))
                     .group_by(CheckTask.kind, CheckTask.team)).all()
    pre = [0, 0]
    sched = [0, 0]
    for team in org.teams:
        out.teams[team.name] = {"pre_shift": None, "overdue": 0, "flagged": 0, "shifts": bool(team.shifts)}
    for kind, team, n, k in rows:
        acc = pre if kind == "pre_shift" else sched
        acc[0], acc[1] = acc[0] + int(k or 0), acc[1] + n
        if kind == "pre_shift" and team in out.teams:
            was = out.teams[team]["pre_shift"] or (0, 0)
            out.teams[team]["pre_shift"] = (was[0] + int(k or 0), was[1] + n)
    put("pre_shift_completion", *_pct(pre[0], pre[1]), num=pre[0], den=pre[1])
    put("scheduled_check_completion", *_pct(sched[0], sched[1]), num=sched[0], den=sched[1])
    # -- outcomes: incidents of the month
    major, conflicts, on_site_n, on_site_min = s.execute(select(
        func.coalesce(func.sum(case((Report.level == 1, 1), else_=0)), 0),
        func.coalesce(func.sum(case((Report.category.in_(CONFLICT_CATEGORIES), 1), else_=0)), 0),
        func.count(Report.on_site_at), func.avg(minutes(s, Report.reported_at, Report.on_site_at)))
        .where(Report.kind == "incident", in_month, Report.group_id.is_(None))).one()
    put("major_accidents", int(major), num=int(major))
    put("emergency_on_site_minutes", *((round(on_site_min, 1), "ok") if on_site_n else (None, "none")),
        num=on_site_n)
    # -- time to acknowledge / resolve, by level (hazards and incidents, each group counted once: its lead)
    ack = minutes(s, Report.reported_at, Report.acknowledged_at)
    res = minutes(s, Report.reported_at, Report.resolved_at)
    for level, n, ack_n, ack_avg, res_n, res_avg in s.execute(
            select(Report.level, func.count(), func.count(Report.acknowledged_at), func.avg(ack),
                   func.count(Report.resolved_at), func.avg(res))
            .where(in_month, Report.group_id.is_(None)).group_by(Report.level)).all():
        out.by_level[level] = {"n": n, "ack_n": ack_n, "ack_min": None if ack_avg is None else round(ack_avg, 1),
                               "res_n": res_n, "res_min": None if res_avg is None else round(res_avg, 1)}
    l1 = out.by_level.get(1)
    if l1 and l1["ack_n"]:
        put("level1_response_minutes", l1["ack_min"], num=l1["ack_n"], den=l1["n"])
    else:
        put("level1_response_minutes", None, "none")
    out.ack_minutes = [(number, round(m, 1)) for number, m in s.execute(
        select(Report.number, ack).where(in_month, Report.level == 1, Report.group_id.is_(None),
                                         Report.acknowledged_at.is_not(None)).order_by(Report.reported_at)).all()]
    # -- hazards by category and level
    total = 0
    for category, level, n in s.execute(select(Report.category, Report.level, func.count())
                                        .where(Report.kind == "hazard", in_month, Report.group_id.is_(None))
                                        .group_by(Report.category, Report.level)).all():
        out.by_category[(category, level)] = n
        total += n
    put("hazards_reported", total, num=total)
    # -- rectification items overdue at the month's end, per team; supervisors flagged in the month, per team
    overdue_total = 0
    for team, n in s.execute(select(RectItem.team, func.count()).where(
            RectItem.due_at < end, RectItem.created_at < end,
            or_(RectItem.closed_at.is_(None), RectItem.closed_at >= end)).group_by(RectItem.team)).all():
        overdue_total += n
        out.teams.setdefault(team or "—", {"pre_shift": None, "overdue": 0, "flagged": 0, "shifts": False})["overdue"] = n
    put("overdue_rectification", overdue_total, num=overdue_total)
    flagged_total = 0
    for team, n in s.execute(select(RectItem.team, func.count(func.distinct(AuditEvent.id)))
                             .join(RectItem, RectItem.report_id == AuditEvent.subject_id)
                             .where(AuditEvent.subject_type == "report", AuditEvent.action == "rect_supervisor_flagged",
                                    AuditEvent.at >= start, AuditEvent.at < end).group_by(RectItem.team)).all():
        flagged_total += n
        out.teams.setdefault(team or "—", {"pre_shift": None, "overdue": 0, "flagged": 0, "shifts": False})["flagged"] = n
    put("supervisors_flagged", flagged_total, num=flagged_total)
    # -- hazards opened and closed per week (weeks starting on Monday, local), for the chart
    _weekly(ctx, s, out)
    # -- figures given by the safety officer (not in Slack)
    vals = given.values(s, month)
    calls, complaints, safety = vals.get("calls_handled"), vals.get("complaints_received"), vals.get("safety_complaints")
    trained, staff = vals.get("training_attended"), vals.get("training_expected")
    if trained is None or not staff:
        put("training_participation", None, "missing")
    else:
        put("training_participation", round(100.0 * trained / staff, 1), num=trained, den=staff)
    if complaints is None or safety is None:
        put("safety_complaint_share", None, "missing")
    else:
        put("safety_complaint_share", *_pct(safety, complaints), num=safety, den=complaints)
    if not calls:
        put("conflict_rate", None, "missing", num=int(conflicts))
    else:
        put("conflict_rate", round(10000.0 * int(conflicts) / calls, 2), num=int(conflicts), den=calls)
    return out


def _weekly(ctx, s, out: Month) -> None:
    """Opened and closed hazards per local week of the month: one grouped count per local day (two aggregates),
    folded into weeks here (at most 31 rows)."""
    tz = ctx.org.tz
    opened: dict[dt.date, int] = {}
    closed: dict[dt.date, int] = {}
    for col, acc in ((Report.reported_at, opened), (Report.resolved_at, closed)):
        # Group by the hour in UTC (an index-friendly truncation on both engines) and fold hours into local days.
        hour = func.strftime("%Y-%m-%d %H", col) if s.get_bind().dialect.name == "sqlite" else \
            func.to_char(func.timezone("UTC", col), "YYYY-MM-DD HH24")
        for h, n in s.execute(select(hour, func.count()).where(
                Report.kind == "hazard", Report.group_id.is_(None), col >= out.start, col < out.end)
                .group_by(hour)).all():
            at = dt.datetime.strptime(h, "%Y-%m-%d %H").replace(tzinfo=dt.timezone.utc).astimezone(tz).date()
            monday = at - dt.timedelta(days=at.weekday())
            acc[monday] = acc.get(monday, 0) + n
    weeks = sorted(set(opened) | set(closed) | {
        (out.start.astimezone(tz).date() + dt.timedelta(days=d)) - dt.timedelta(
            days=(out.start.astimezone(tz).date() + dt.timedelta(days=d)).weekday())
        for d in range(0, (out.end - out.start).days, 7)})
    out.weekly = [(w, opened.get(w, 0), closed.get(w, 0)) for w in weeks]
