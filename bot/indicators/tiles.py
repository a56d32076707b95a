"""The Home tab's tiles (#22, §6.2.1): the month so far against target, for the person's scope, first on the Home
tab (above what they must do now):

* an agent: their own checks (the check tasks they are an owner of), their rectification items (`assigned`), the
  hazards they reported;
* a supervisor: the teams they supervise (checks, items and hazards of those teams, level-1 time to acknowledge);
* the leadership group: the department.

"So far": from the 1st of the local month to now. The definitions are the monthly report's (docs/INDICATORS.md),
cut at now: a rectification item counts once its deadline has passed (closed by it or not), a check once its due
time has passed. A figure with nothing to count yet says so (never 0%).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import String, and_, case, cast, func, select

from bot import i18n
from bot.home import section
from bot.i18n import Mrkdwn
from bot.indicators import compute as C
from storage.models import CheckTask, RectItem, Report
from storage.queries import per_transaction

ORDER = 2  # first on the Home tab: before the score (5), my reports (10) and my checks (20)
KEYS = ("pre_shift_completion", "scheduled_check_completion", "rectification_rate", "overdue_rectification",
        "hazards_reported", "level1_response_minutes")


def scope(ctx, user_id: str) -> tuple[str, list[str]]:
    """("department", []) | ("team", the teams they supervise) | ("own", [their team])."""
    if ctx.directory.sees_everything(user_id):
        return "department", []
    teams = [t.name for t in ctx.org.teams if user_id in t.supervisors]
    if teams:
        return "team", teams
    return "own", [t.name] if (t := ctx.directory.team_of(user_id)) else []


def _month_start(ctx, now: dt.datetime) -> tuple[str, dt.datetime, dt.date]:
    local = now.astimezone(ctx.org.tz)
    month = local.strftime("%Y-%m")
    return month, C.month_bounds(ctx.org, month)[0], local.date().replace(day=1)


def so_far(ctx, s, user_id: str, now: dt.datetime) -> tuple[str, list[str], str, dict[str, C.Figure]]:
    """(scope, teams, month, {key: Figure}) of the month so far for `user_id`."""
    kind, teams = scope(ctx, user_id)
    month, start, first_day = _month_start(ctx, now)
    return kind, teams, month, window(ctx, s, kind, teams, user_id, start, now, first_day)


def window(ctx, s, kind: str, teams: list[str], user_id: str | None, start: dt.datetime, end: dt.datetime,
           first_day: dt.date) -> dict[str, C.Figure]:
    """The figures of [start, end) for a scope ("department", "team" with `teams`, "own" of `user_id`): checks of
    the local days from `first_day` due by `end`, items due in the window, hazards reported in it."""
    now = end
    targets = ctx.org.policy.indicators.targets
    out: dict[str, C.Figure] = {}

    def put(key, value, state="ok", num=None, den=None):
        out[key] = C.Figure(key, value, state, num, den, targets.get(key))

    # -- checks due by `end`: done (all fine or a problem found) by their due time; one grouped count, except an
    # agent's own (owners are a JSON list: narrowed in SQL by its text, checked exactly here). Issue 26: a team's and
    # the department's figures are sums of every team's, read once per transaction (one digest run: once, not once
    # per channel)
    done = and_(CheckTask.status != "pending", CheckTask.done_at <= CheckTask.due_at)
    where = [CheckTask.day >= first_day, CheckTask.due_at <= now,
             CheckTask.kind.in_(("pre_shift",) + C.SCHEDULED_KINDS)]
    if kind == "own":
        where.append(CheckTask.team.in_(teams))
    acc = {"pre_shift": [0, 0], "scheduled": [0, 0]}
    if kind == "own":
        rows = [(k, 1, int(status != "pending" and done_at is not None and done_at <= due_at))
                for k, owners, status, done_at, due_at in s.execute(select(
                    CheckTask.kind, CheckTask.owners, CheckTask.status, CheckTask.done_at, CheckTask.due_at).where(
                    *where, cast(CheckTask.owners, String).like(f'%"{user_id}"%'))).all()
                if user_id in (owners or [])]
    else:  # every team's, once per transaction (a digest run's channels share it), then summed for the scope
        rows = [(task_kind, n, k) for team, task_kind, n, k in per_transaction(s, ("tiles_checks", first_day, now), lambda: s.execute(
                    select(CheckTask.team, CheckTask.kind, func.count(), func.sum(case((done, 1), else_=0)))
                    .where(*where).group_by(CheckTask.team, CheckTask.kind)).all()) if kind == "department" or team in teams]
    for task_kind, n, k in rows:
        a = acc["pre_shift" if task_kind == "pre_shift" else "scheduled"]
        a[0], a[1] = a[0] + int(k or 0), a[1] + n
    put("pre_shift_completion", *C._pct(*acc["pre_shift"]), num=acc["pre_shift"][0], den=acc["pre_shift"][1])
    put("scheduled_check_completion", *C._pct(*acc["scheduled"]), num=acc["scheduled"][0], den=acc["scheduled"][1])
    # -- rectification items whose deadline has passed this month: closed by it; items overdue now
    on_time = and_(RectItem.closed_at.is_not(None), RectItem.closed_at <= RectItem.due_at)
    in_window, late = (RectItem.due_at >= start, RectItem.due_at < now), (RectItem.due_at < now, RectItem.closed_at.is_(None))
    if kind == "own":
        who = RectItem.assigned == user_id
        den, num = s.execute(select(func.count(), func.coalesce(func.sum(case((on_time, 1), else_=0)), 0))
                             .where(*in_window, who)).one()
        n = s.execute(select(func.count()).where(*late, who)).scalar_one()
    else:  # every team's, once per transaction, then summed for the scope (counts: the sum is the same)
        def ours(rows):
            return [r[1:] for r in rows if kind == "department" or r[0] in teams]
        due = ours(per_transaction(s, ("tiles_rect", start, now), lambda: s.execute(
            select(RectItem.team, func.count(), func.coalesce(func.sum(case((on_time, 1), else_=0)), 0))
            .where(*in_window).group_by(RectItem.team)).all()))
        den, num = sum(d for d, _ in due), sum(int(k) for _, k in due)
        n = sum(k for (k,) in ours(per_transaction(s, ("tiles_rect_late", now), lambda: s.execute(
            select(RectItem.team, func.count()).where(*late).group_by(RectItem.team)).all())))
    put("rectification_rate", *C._pct(num, den), num=num, den=den)
    put("overdue_rectification", n, num=n)
    # -- hazards reported this month; level-1 time to acknowledge (a team's, the department's): one read
    mine = (Report.reporter_id == user_id) if kind == "own" else Report.team.in_(teams) if kind == "team" else None
    period = (Report.reported_at >= start, Report.reported_at < now, Report.group_id.is_(None))
    if kind == "own":
        q = select(func.count()).where(Report.kind == "hazard", *period)
        n = s.execute(q.where(mine)).scalar_one()
    else:
        level1 = Report.level == 1
        q = select(func.count().filter(Report.kind == "hazard"), func.count(Report.acknowledged_at).filter(level1),
                   func.sum(C.minutes(s, Report.reported_at, Report.acknowledged_at)).filter(level1)).where(*period)
        n, ack_n, ack_sum = s.execute(q if mine is None else q.where(mine)).one()
    put("hazards_reported", n, num=n)
    if kind != "own":
        put("level1_response_minutes", *((round(ack_sum / ack_n, 1), "ok") if ack_n else (None, "none")),
            num=ack_n)
    return out


def _lines(locale: str, figures: dict[str, C.Figure]) -> list[str]:
    from bot.indicators.report import GREEN, NEUTRAL, RED, fmt

    out = []
    for key in KEYS:
        f = figures.get(key)
        if f is None:
            continue
        met = f.met()
        out.append(f"{GREEN if met else RED if met is False else NEUTRAL} " + i18n.t(
            locale, "indicators.tile", name=i18n.tp(locale, f"indicators.name.{key}"), what=fmt(locale, f),
            target=fmt(locale, f, f.target) if f.target is not None else "—"))
    return out


def home_parts(ctx, s, user_id: str, locale: str) -> list[tuple[int, list[dict]]]:
    kind, teams, month, figures = so_far(ctx, s, user_id, ctx.clock.now())
    title = i18n.t(locale, f"indicators.tiles_{kind}", month=month, teams=i18n.join_list(locale, teams, "and"))
    return [(ORDER, section(locale, title, Mrkdwn("\n".join(_lines(locale, figures)))))]


DIGEST_ORDER = 5  # the first of the sections under the overdue reports: yesterday's figures beside the open work


def digest_part(ctx, s, now: dt.datetime, team: str | None, since: dt.datetime | None = None):
    """The daily digest's yesterday (the local day before `now`): the same figures as the tiles, of the team or
    the department (bot/registry.py `DigestPart`)."""
    from bot.registry import DigestPart

    tz = ctx.org.tz
    today = now.astimezone(tz).date()
    day = today - dt.timedelta(days=1)
    start, end = (dt.datetime.combine(d, dt.time(), tzinfo=tz).astimezone(dt.timezone.utc) for d in (day, today))
    figures = window(ctx, s, "team" if team else "department", [team] if team else [], None, start, end, day)

    def sections(locale: str) -> list:
        head = i18n.t(locale, "indicators.digest_title", day=day.isoformat())
        return [(DIGEST_ORDER, Mrkdwn(head + "\n" + "\n".join(_lines(locale, figures))))]

    return DigestPart({"indicators_day": day, "indicators": figures}, lambda locale: [], sections)
