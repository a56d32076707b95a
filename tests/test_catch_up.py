"""Catch-up of missed cron runs respects the installation moment (injected clock)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.clock import FrozenClock
from bot.context import Context
from bot.jobs import INSTALLED, catch_up, installed_at
from storage.db import session_scope
from storage.models import JobRun, OutboxMessage
from tests.conftest import org_from

SH = ZoneInfo("Asia/Shanghai")


def local(y, m, d, hh, mm):
    return dt.datetime(y, m, d, hh, mm, tzinfo=SH).astimezone(dt.timezone.utc)


def make(engine, when):
    return Context(org=org_from(), engine=engine, clock=FrozenClock(when))


def outbox_count(engine) -> int:
    with session_scope(engine) as s:
        return len(s.execute(select(OutboxMessage.id)).all())


def test_the_first_start_of_a_new_installation_makes_up_nothing(engine):
    ctx = make(engine, local(2026, 11, 28, 9, 15))  # installed 45 minutes after the 08:30 digest
    assert catch_up(ctx) == []
    assert outbox_count(engine) == 0
    with session_scope(engine) as s:
        rows = s.execute(select(JobRun)).scalars().all()
    assert [(r.job, r.started_at) for r in rows] == [(INSTALLED, local(2026, 11, 28, 9, 15))]
    # Down over the next morning's 08:30: that run came after the installation, so it is made up, once.
    ctx.clock.set(local(2026, 11, 29, 9, 0))
    assert ("daily_digest", local(2026, 11, 29, 8, 30)) in catch_up(ctx)
    assert outbox_count(engine) > 0
    assert catch_up(ctx) == []
    # The moment is recorded once: a later start (or another process) keeps the first one.
    assert installed_at(ctx, local(2026, 12, 1, 9, 0)) == local(2026, 11, 28, 9, 15)


def test_an_installation_already_in_use_keeps_catching_up(engine):
    """A database from before the record existed dates from its earliest trace (here: a purge run)."""
    with session_scope(engine) as s:
        s.add(JobRun(job="purge", scheduled_for=local(2026, 11, 20, 3, 30), started_at=local(2026, 11, 20, 3, 30),
                     finished_at=local(2026, 11, 20, 3, 30)))
    ctx = make(engine, local(2026, 11, 28, 9, 15))
    assert ("daily_digest", local(2026, 11, 28, 8, 30)) in catch_up(ctx)
    assert installed_at(ctx, ctx.clock.now()) == local(2026, 11, 20, 3, 30)
