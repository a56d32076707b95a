"""Adding a kind (#18): its declaration and one registry line; the Sweeper and the job runner take it as it is.

A dummy kind declared here (no file of the product changed) gets its timers fired by the Sweeper, in the Sweeper's
transaction, and its recurring job claimed once and run by the job runner.
"""

from __future__ import annotations

import datetime as dt

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select

from bot import compose, jobs, registry
from bot.clock import FrozenClock
from bot.context import Context
from bot.registry import JobArea, Kind, Registry, TimerHandler
from bot.subjects import about
from bot.sweeper import Sweeper
from storage.db import session_scope
from storage.models import AuditEvent, OutboxMessage, Timer
from tests.conftest import org_from

T0 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.timezone.utc)


class Note:
    """The dummy kind's subject (a real kind would have a table: its migration)."""

    def __init__(self, id_: int):
        self.id = id_


def _fire(ctx, s, note, timer, now):
    if timer.purpose == "stale":
        return False
    s.add(AuditEvent(at=now, actor="system", action="dummy_fired", **about("dummy", note.id), note=timer.purpose))
    return True


def _run(ctx, s, job, scheduled_for):
    return [{"channel": "C0LEAD", "text": f"dummy {job} {scheduled_for.isoformat()}"}]


DUMMY = Kind(
    name="dummy",
    timers=(TimerHandler("dummy", lambda s, ids: {i: Note(i) for i in ids if i != 404}, _fire),),
    jobs=(JobArea("dummy:", lambda org: {"dummy:daily": CronTrigger(hour=9, timezone=org.tz)},
                  lambda org, job: dt.timedelta(hours=1), _run),),
)


@pytest.fixture
def dummy_installed(monkeypatch):
    monkeypatch.setattr(registry, "_installed", Registry(compose.KINDS + (DUMMY,)))


def test_a_new_kinds_timers_fire_through_the_sweeper(engine, dummy_installed):
    ctx = Context(org=org_from(), engine=engine, clock=FrozenClock(T0))
    with session_scope(engine) as s:
        for subject_id, purpose in ((7, "remind"), (7, "stale"), (404, "remind")):
            s.add(Timer(subject_type="dummy", subject_id=subject_id, purpose=purpose, step=0, cycle=1, due_at=T0,
                        fire_at=T0, status="pending"))
        s.add(Timer(subject_type="nobody", subject_id=1, purpose="x", step=0, cycle=1, due_at=T0, fire_at=T0,
                    status="pending"))
    assert Sweeper(ctx).run_once() == 1
    with session_scope(engine) as s:
        states = {(t.subject_type, t.subject_id, t.purpose): t.status for t in s.execute(select(Timer)).scalars()}
        fired = s.execute(select(AuditEvent.subject_type, AuditEvent.subject_id, AuditEvent.note)
                          .where(AuditEvent.action == "dummy_fired")).all()
    assert states == {("dummy", 7, "remind"): "fired", ("dummy", 7, "stale"): "cancelled",
                      ("dummy", 404, "remind"): "cancelled",  # its subject is gone
                      ("nobody", 1, "x"): "cancelled"}  # no installed kind fires it
    assert fired == [("dummy", 7, "remind")]


def test_a_new_kinds_job_is_claimed_once_and_run(engine, dummy_installed):
    ctx = Context(org=org_from(), engine=engine, clock=FrozenClock(T0))
    assert "dummy:daily" in jobs.triggers(ctx.org)
    assert jobs.catch_up_window(ctx.org, "dummy:daily") == dt.timedelta(hours=1)
    at = dt.datetime(2026, 12, 1, 1, 0, tzinfo=dt.timezone.utc)  # 09:00 Shanghai
    assert jobs.run_job(ctx, "dummy:daily", at)
    assert not jobs.run_job(ctx, "dummy:daily", at)  # claimed: once, whatever the process count
    with session_scope(engine) as s:
        texts = [p["text"] for (p,) in s.execute(select(OutboxMessage.payload)).all()]
    assert texts == [f"dummy dummy:daily {at.isoformat()}"]


def test_the_registry_refuses_two_owners_of_the_same_timers_or_job_prefix():
    twin = Kind(name="twin", timers=DUMMY.timers)
    with pytest.raises(ValueError, match="two kinds fire timers"):
        Registry((DUMMY, twin))
    with pytest.raises(ValueError, match="share a prefix"):
        Registry((DUMMY, Kind(name="other", jobs=DUMMY.jobs)))
    with pytest.raises(ValueError, match="installed twice"):
        Registry((DUMMY, DUMMY))


def test_every_installed_kinds_commands_are_declared_in_the_manifest():
    from bot.manifest import build_manifest

    declared = {c["command"] for c in build_manifest("https://example.invalid/slack/events")["features"]
                .get("slash_commands", [])}
    wanted = {c for k in compose.KINDS for c in k.commands}
    assert wanted and wanted <= declared
