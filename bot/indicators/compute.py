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

from sqlalchemy import and_, case, func, literal, or_, select

from bot.indicators import figures as given
from bot.training import participation
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
CONFLICT_CATEGORIES = ("customer_threat", "customer_verbal_threat", "customer_out_of_control")  # §3.2.3 冲突事件


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
    ack_weekly: list[tuple[dt.date, float | None, float | None]] = field(default_factory=list)  # level 1: avg, max
    conflicts: int = 0


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


def compute(ctx, s, month: str, light: bool = False) -> Month:
    """The month's indicators; `light`: without the weekly hazards closed (a chart's only: the month before)."""
    org = ctx.org
    start, end = month_bounds(org, month)
    out = Month(month, start, end)
    targets = org.policy.indicators.targets
    first_day = start.astimezone(org.tz).date()
    last_day = (end.astimezone(org.tz) - dt.timedelta(days=1)).date()

    def put(key, value, state="ok", num=None, den=None):
        out.figures[key] = Figure(key, value, state, num, den, targets.get(key))

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
    _reports(ctx, s, out, put, light)
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
    # -- figures given by the safety officer (not in Slack)
    vals = given.values(s, month)
    calls, complaints, safety = vals.get("calls_handled"), vals.get("complaints_received"), vals.get("safety_complaints")
    trained, staff = vals.get("training_attended"), vals.get("training_expected")
    taken = participation.for_month(ctx, s, month)  # the training kind's saved rosters (#23); else the figures given
    if taken.expected:
        trained, staff = taken.attended, taken.expected
    if trained is None or not staff:
        put("training_participation", None, "missing")
    else:
        put("training_participation", round(100.0 * trained / staff, 1), num=trained, den=staff)
    if complaints is None or safety is None:
        put("safety_complaint_share", None, "missing")
    else:
        put("safety_complaint_share", *_pct(safety, complaints), num=safety, den=complaints)
    if not calls:
        put("conflict_rate", None, "missing", num=out.conflicts)
    else:
        put("conflict_rate", round(10000.0 * out.conflicts / calls, 2), num=out.conflicts, den=calls)
    return out


def weeks(org, start: dt.datetime, end: dt.datetime) -> list[tuple[dt.date, dt.datetime]]:
    """The month cut at local Mondays: [(that week's Monday, the UTC moment the cut starts)], in order."""
    tz = org.tz
    first = start.astimezone(tz).date()
    out = [(first - dt.timedelta(days=first.weekday()), start)]
    day = first + dt.timedelta(days=7 - first.weekday())
    while True:
        at = dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.timezone.utc)
        if at >= end:
            return out
        out.append((day, at))
        day += dt.timedelta(days=7)


def _bucket(col, cuts):
    """SQL: the index of the week `col` falls in (cuts after the first)."""
    return case(*[(col < at, i) for i, (_, at) in enumerate(cuts[1:])], else_=len(cuts) - 1) if len(cuts) > 1 \
        else literal(0)


def _reports(ctx, s, out: Month, put, light: bool) -> None:
    """Everything read from the month's reports, in ONE grouped pass over `ix_report_team_reported`'s time range
    (kind, level, category, week → counts and sums of minutes), folded here (a few hundred rows at most); and one
    count of the hazards resolved per week (the chart's), over `resolved_at`'s index."""
    cuts = weeks(ctx.org, out.start, out.end)
    week = _bucket(Report.reported_at, cuts)
    ack = minutes(s, Report.reported_at, Report.acknowledged_at)
    res = minutes(s, Report.reported_at, Report.resolved_at)
    site = minutes(s, Report.reported_at, Report.on_site_at)
    rows = s.execute(select(
        Report.kind, Report.level, Report.category, week, func.count(), func.count(Report.acknowledged_at),
        func.sum(ack), func.max(ack), func.count(Report.resolved_at), func.sum(res), func.count(Report.on_site_at),
        func.sum(site)).where(Report.reported_at >= out.start, Report.reported_at < out.end, Report.group_id.is_(None))
        .group_by(Report.kind, Report.level, Report.category, week)).all()
    levels: dict[int, list] = {}
    opened = [0] * len(cuts)
    ack_week = [[0, 0.0, None] for _ in cuts]
    major = on_site_n = 0
    on_site_sum = 0.0
    for kind, level, category, w, n, ack_n, ack_sum, ack_max, res_n, res_sum, site_n, site_sum in rows:
        acc = levels.setdefault(level, [0, 0, 0.0, 0, 0.0])
        acc[0] += n
        acc[1] += ack_n
        acc[2] += ack_sum or 0.0
        acc[3] += res_n
        acc[4] += res_sum or 0.0
        if level == 1 and ack_n:
            aw = ack_week[w]
            aw[0] += ack_n
            aw[1] += ack_sum or 0.0
            aw[2] = ack_max if aw[2] is None else max(aw[2], ack_max)
        if kind == "hazard":
            out.by_category[(category, level)] = out.by_category.get((category, level), 0) + n
            opened[w] += n
        elif kind == "incident":
            major += n if level == 1 else 0
            out.conflicts += n if category in CONFLICT_CATEGORIES else 0
            on_site_n += site_n
            on_site_sum += site_sum or 0.0
    for level in sorted(levels):
        n, ack_n, ack_sum, res_n, res_sum = levels[level]
        out.by_level[level] = {"n": n, "ack_n": ack_n, "ack_min": round(ack_sum / ack_n, 1) if ack_n else None,
                               "res_n": res_n, "res_min": round(res_sum / res_n, 1) if res_n else None}
    put("major_accidents", major, num=major)
    put("emergency_on_site_minutes", *((round(on_site_sum / on_site_n, 1), "ok") if on_site_n else (None, "none")),
        num=on_site_n)
    l1 = out.by_level.get(1)
    if l1 and l1["ack_n"]:
        put("level1_response_minutes", l1["ack_min"], num=l1["ack_n"], den=l1["n"])
    else:
        put("level1_response_minutes", None, "none")
    put("hazards_reported", sum(out.by_category.values()), num=sum(out.by_category.values()))
    out.ack_weekly = [(monday, round(a[1] / a[0], 1) if a[0] else None, None if a[2] is None else round(a[2], 1))
                      for (monday, _), a in zip(cuts, ack_week)]
    closed = [0] * len(cuts)
    if not light:
        rweek = _bucket(Report.resolved_at, cuts)
        for w, n in s.execute(select(rweek, func.count()).where(
                Report.resolved_at >= out.start, Report.resolved_at < out.end, Report.kind == "hazard",
                Report.group_id.is_(None)).group_by(rweek)).all():
            closed[w] += n
    out.weekly = [(monday, opened[i], closed[i]) for i, (monday, _) in enumerate(cuts)]
