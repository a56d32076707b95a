"""Idle costs little (issue 26): a sweeper round that finds nothing due reads the database once, and that read
also tells its thread when to look again."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import event

from bot.clock import FrozenClock
from bot.context import Context
from bot.sweeper import Sweeper
from storage.db import session_scope
from storage.models import Timer
from tests.conftest import org_from

T0 = dt.datetime(2026, 12, 4, 2, 0, tzinfo=dt.timezone.utc)


def test_an_idle_sweeper_round_reads_once_and_knows_the_next_due_moment(engine):
    clock = FrozenClock(T0)
    sweeper = Sweeper(Context(org=org_from(), engine=engine, clock=clock))
    due = T0 + dt.timedelta(minutes=7)
    with session_scope(engine) as s:
        s.add(Timer(subject_type="report", subject_id=1, purpose="acknowledge", step=0, cycle=1, due_at=due,
                    fire_at=due, status="pending", late=False))
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert sweeper.run_once() == 0
        assert sweeper.next_due_in() == 1.0  # seven minutes away: the loop's longest wait
        assert len(statements) == 1, statements
        assert sweeper.next_due() == due  # asked again (not right after an idle round): read afresh
        assert len(statements) == 2
    finally:
        event.remove(engine, "before_cursor_execute", count)
