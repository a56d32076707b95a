"""Reads one digest run shares between its channels, and the weekly summary's list of overdue reports (issue 26):
each channel's lines are the ones a query of its own would give, on both engines."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event, select, update

from bot.clock import FrozenClock
from bot.context import Context
from bot.hazards import digest
from bot.indicators import weekly
from storage.db import session_scope
from storage.models import Report, report_is_open
from tests.conftest import org_from

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 27, 1, 0, tzinfo=UTC)
SINCE = NOW - dt.timedelta(days=1)
TEAMS = (None, "Hotline A", "Hotline B")


def _store(engine, rows) -> list[int]:
    """rows: (kind, team, level, minutes before NOW, open, overdue); ids in that order."""
    with session_scope(engine) as s:
        made = []
        for i, (kind, team, level, ago, is_open, overdue) in enumerate(rows, start=1):
            at = NOW - dt.timedelta(minutes=ago)
            made.append(Report(
                kind=kind, number=f"HZ-2026-{i:05d}", year=2026, seq=i, source_key=f"t-{i}", category="electrical",
                level=level, location=f"desk {i}", description="d", reporter_id="U0AGENT1", team=team,
                status="open" if is_open else "resolved", reported_at=at, respond_due_at=at + dt.timedelta(minutes=30),
                resolve_due_at=at + dt.timedelta(days=1), acknowledged_at=None if is_open else at,
                acknowledged_by=None if is_open else "U0SUPA", resolved_at=None if is_open else at, overdue=overdue))
        s.add_all(made)
        s.flush()
        return [r.id for r in made]


def test_each_channel_lists_its_first_new_reports_by_level_then_oldest(engine):
    # more than DETAILS new reports in the department and in a team; equal levels and moments (then by id), an
    # incident (not a hazard) and a report from before the last digest (not new)
    rows = [("hazard", team, level, ago, True, False) for team, level, ago in (
        ("Hotline A", 2, 50), ("Hotline A", 1, 40), ("Hotline B", 2, 40), (None, 1, 30), ("Hotline A", 2, 40),
        ("Hotline A", 3, 10), ("Hotline B", 1, 40), ("Hotline A", 2, 40), ("Hotline A", 1, 5), (None, 2, 40),
        ("Hotline A", 2, 20), ("Hotline B", 3, 60))]
    rows += [("incident", "Hotline A", 1, 45, True, False), ("hazard", "Hotline A", 1, 2000, True, False)]
    _store(engine, rows)
    ctx = Context(org=org_from(), engine=engine, clock=FrozenClock(NOW))
    with session_scope(engine) as s:
        new = s.execute(select(Report).where(Report.kind == "hazard", Report.reported_at >= SINCE,
                                             Report.reported_at < NOW)).scalars().all()
        want = {team: [r.number for r in sorted((r for r in new if team is None or r.team == team),
                                                key=lambda r: (r.level, r.reported_at, r.id))][:digest.DETAILS]
                for team in TEAMS}
    assert len(want[None]) == len(want["Hotline A"]) == digest.DETAILS
    for team in TEAMS:  # each channel on its own
        assert [r.number for r in digest.daily_content(ctx, NOW, team, SINCE)["new_items"]] == want[team], team
    with session_scope(engine) as s:  # the channels of one run, sharing the run's transaction
        for team in TEAMS:
            assert [r.number for r in digest.daily_content(ctx, NOW, team, SINCE, s)["new_items"]] == want[team], team


def test_the_weekly_meeting_lists_the_overdue_reports_of_every_kind_and_reads_nothing_when_none(engine):
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with session_scope(engine) as s:
            for team in TEAMS:
                assert weekly._overdue_reports(s, team) == []
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert not [x for x in statements if "overdue" in x and "ORDER BY" in x]  # the open figures said: none
    ids = _store(engine, [
        ("hazard", "Hotline A", 2, 90, True, True), ("incident", "Hotline B", 1, 80, True, True),
        ("hazard", None, 3, 70, True, True), ("hazard", "Hotline A", 1, 60, True, False),
        ("hazard", "Hotline A", 1, 50, False, True), ("hazard", "Hotline A", 1, 40, True, True),
        ("incident", "Hotline A", 2, 95, True, True)])
    with session_scope(engine) as s:
        s.execute(update(Report).where(Report.id == ids[5]).values(group_id=ids[0]))  # grouped: its lead stands for it
    with session_scope(engine) as s:
        every = s.execute(select(Report).where(report_is_open(), Report.overdue.is_(True),
                                               Report.group_id.is_(None))).scalars().all()
        for team in TEAMS:
            want = [r.number for r in sorted((r for r in every if team is None or r.team == team),
                                             key=lambda r: (r.level, r.reported_at))][:weekly.ITEMS + 1]
            assert weekly._overdue_reports(s, team) == want, team
        assert weekly._overdue_reports(s, None) == ["HZ-2026-00002", "HZ-2026-00007", "HZ-2026-00001",
                                                    "HZ-2026-00003"]
