"""Queries shared by several use cases."""

from __future__ import annotations

import functools

from sqlalchemy import bindparam, func, select

from storage.models import Report, report_is_open


@functools.lru_cache(maxsize=1)
def _by_source_key():
    return select(Report).where(Report.source_key == bindparam("key"))


def report_by_source_key(session, source_key: str) -> Report | None:
    """The report a submission (its view id) already made, if any: the statement built once (issue 26)."""
    return session.execute(_by_source_key(), {"key": source_key}).scalar_one_or_none()


def group_members(session, lead_id: int, limit: int = 200) -> list[tuple[str, str, object]]:
    """(number, reporter, reported_at) of the reports grouped under `lead_id`, oldest first."""
    return [tuple(r) for r in session.execute(
        select(Report.number, Report.reporter_id, Report.reported_at).where(Report.group_id == lead_id)
        .order_by(Report.id).limit(limit)).all()]


def group_reports(session, lead_id: int, newest: int) -> tuple[int, list[Report]]:
    """(how many, the newest `newest` of them oldest first) of the reports grouped under `lead_id`."""
    total = session.execute(select(func.count()).select_from(Report).where(Report.group_id == lead_id)).scalar_one()
    rows = session.execute(select(Report).where(Report.group_id == lead_id)
                           .order_by(Report.id.desc()).limit(newest)).scalars().all()
    return total, list(reversed(rows))


def reports_since(session, reporter_id: str, since) -> int:
    """How many reports `reporter_id` filed since `since` (the rate limit)."""
    return session.execute(select(func.count()).select_from(Report)
                           .where(Report.reporter_id == reporter_id, Report.reported_at >= since)).scalar_one()


def open_figures(session) -> list:
    """What is open, counted once per read: rows of (kind, team, level, grouped, overdue, how many, oldest
    reported_at). The daily digest of every channel, the weekly summary and the Home tab take their open counts from
    these few rows (issue 26: one grouped read instead of a count per channel and figure). Kept for the session's
    transaction: one digest run reads it once.

    Read from the covering partial index `ix_report_open_teams` in its order: grouped by kind, overdue, level and team,
    the grouped reports (group_id set) counted apart with FILTER, so the database streams the groups instead of
    sorting every open row (~14 of 16 ms on SQLite with 20,000 open)."""
    return per_transaction(session, ("open_figures",), lambda: _open_figures(session))


def _open_figures(session) -> list:
    grouped, alone = Report.group_id.is_not(None), Report.group_id.is_(None)
    out = []
    for kind, is_overdue, level, team, n, n_grouped, oldest_alone, oldest_grouped in session.execute(
            select(Report.kind, Report.overdue, Report.level, Report.team, func.count(), func.count().filter(grouped),
                   func.min(Report.reported_at).filter(alone), func.min(Report.reported_at).filter(grouped))
            .where(report_is_open()).group_by(Report.kind, Report.overdue, Report.level, Report.team)).all():
        if n > n_grouped:
            out.append((kind, team, level, False, is_overdue, n - n_grouped, oldest_alone))
        if n_grouped:
            out.append((kind, team, level, True, is_overdue, n_grouped, oldest_grouped))
    return out


def per_transaction(session, key: tuple, compute):
    """`compute()`, once per `key` and transaction of `session` (the channels of one digest run share a read)."""
    transaction = session.get_transaction()
    kept = session.info.setdefault("per_transaction", {})
    if kept.get("transaction") is not transaction or transaction is None:
        kept.clear()
        kept["transaction"] = transaction
    if key not in kept:
        kept[key] = compute()
    return kept[key]


def open_counts(session, *, kinds=("hazard",), teams=None, leads_only: bool = False) -> dict:
    """From `open_figures`: {"open": n, "overdue": n, "by_level": [(level, n, oldest)]} of the open reports of
    `kinds` (None stands for a report stored before kinds), of `teams` (None: every team), only the leads of groups
    and ungrouped ones (`leads_only`)."""
    by_level: dict = {}
    overdue = 0
    for kind, team, level, grouped, is_overdue, n, oldest in open_figures(session):
        if (kind or "hazard") not in kinds or (teams is not None and team not in teams) or (leads_only and grouped):
            continue
        was = by_level.get(level)
        by_level[level] = (level, (was[1] if was else 0) + n, min(was[2], oldest) if was else oldest)
        overdue += n if is_overdue else 0
    return {"open": sum(n for _, n, _ in by_level.values()), "overdue": overdue,
            "by_level": [by_level[k] for k in sorted(by_level)]}


def overdue_first(session, q, limit: int, overdue: int | None = None) -> list[Report]:
    """The first `limit` reports of `q` (a select of Report): overdue ones first, then by level, oldest first. Read as
    two ordered scans of `ix_report_open_figures` (overdue, then not), each stopping at `limit`: one query ordered by
    `overdue DESC, level, reported_at` sorts every open row first. `overdue`: how many of `q` are overdue, if known."""
    rows: list[Report] = []
    for is_overdue in (True, False):
        if (is_overdue and overdue == 0) or (not is_overdue and overdue is not None and overdue >= limit):
            continue
        rows += session.execute(q.where(Report.overdue.is_(is_overdue)).order_by(Report.level, Report.reported_at)
                                .limit(limit - len(rows))).scalars().all()
        if len(rows) >= limit:
            break
    return rows
