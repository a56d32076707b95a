"""Deadlines and escalation ladders with an injected clock."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot import prefs  # noqa: F401
from bot.clock import FrozenClock
from bot.context import Context
from bot.hazards import (  # noqa: F401
    create,
    forms,  # noqa: F401
    lookups,
    transitions,
)
from bot.hazards.kinds import kind  # noqa: F401
from bot.sweeper import Sweeper
from storage.db import session_scope
from storage.models import AuditEvent, OutboxMessage, Report, Timer
from tests.conftest import org_from

# 10:00 Shanghai on a Saturday — working hours default to every day 08:00–22:00.
T0 = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.timezone.utc)


def make(engine, extra_policy: str = "", clock=None):
    org = org_from(extra_policy)
    clock = clock or FrozenClock(T0)
    ctx = Context(org=org, engine=engine, clock=clock)
    return ctx, Sweeper(ctx)


def new_report(ctx, level=2, user="U0AGENT1", key="V1"):
    data, errors = create.validate_report(kind(ctx.org), "en", {"level": str(level), "category": "fire",
                                                       "description": "smoke near UPS", "location": f"server room {key}"})
    assert not errors
    return create.create_report(ctx, "hazard", source_key=key, reporter_id=user, data=data).report


def outbox(ctx, since_id=0):
    with session_scope(ctx.engine) as s:
        return s.execute(select(OutboxMessage).where(OutboxMessage.id > since_id)
                         .order_by(OutboxMessage.id)).scalars().all()


def last_id(ctx):
    rows = outbox(ctx)
    return rows[-1].id if rows else 0


def escalations(ctx):
    with session_scope(ctx.engine) as s:
        return s.execute(select(AuditEvent).where(AuditEvent.action == "escalated")
                         .order_by(AuditEvent.id)).scalars().all()


def test_ladder_fires_rung_by_rung_in_order_each_once(engine):
    ctx, sweeper = make(engine)
    clock = ctx.clock
    r = new_report(ctx, level=2)
    start = last_id(ctx)
    clock.set(T0 + dt.timedelta(minutes=29, seconds=59))
    assert sweeper.run_once() == 0

    clock.set(T0 + dt.timedelta(minutes=30))  # the response deadline: card OVERDUE, rung 0
    assert sweeper.run_once() == 2
    assert sweeper.run_once() == 0  # nothing twice
    rows = outbox(ctx, start)
    assert [row.method for row in rows][:1] == ["chat.update"]
    assert "OVERDUE" in str(rows[0].payload) or "已超时" in str(rows[0].payload)
    thread = [row for row in rows if row.target_key and row.method == "chat.postMessage"]
    assert len(thread) == 1 and "<@U0SUPA>" in thread[0].payload["text"]
    dms = [row for row in rows if row.payload.get("channel") == "U0SUPA"]
    assert len(dms) == 1
    with session_scope(ctx.engine) as s:
        assert s.get(Report, r.id).overdue is True

    mark = last_id(ctx)
    clock.set(T0 + dt.timedelta(minutes=60))  # +30: deputy and safety officer
    assert sweeper.run_once() == 1
    rows = outbox(ctx, mark)
    assert {row.payload["channel"] for row in rows if not row.target_key} == {"U0DEPUTY", "U0OFFICER"}

    mark = last_id(ctx)
    clock.set(T0 + dt.timedelta(minutes=90))  # +60: department head and the leadership channel
    assert sweeper.run_once() == 1
    rows = outbox(ctx, mark)
    channels = {row.payload["channel"] for row in rows if not row.target_key}
    assert channels == {"U0HEAD", "C0LEAD"}
    assert [e.after["step"] for e in escalations(ctx)] == [0, 1, 2]
    assert all(not e.after["late"] for e in escalations(ctx))


def test_acknowledge_stops_the_ladder_and_starts_the_resolution_one(engine):
    ctx, sweeper = make(engine)
    clock = ctx.clock
    r = new_report(ctx, level=2)
    clock.set(T0 + dt.timedelta(minutes=31))
    sweeper.run_once()  # overdue + rung 0 of acknowledge
    clock.set(T0 + dt.timedelta(minutes=40))
    assert transitions.acknowledge(ctx, r.number, "U0SUPA").ok
    with session_scope(ctx.engine) as s:
        rep = s.get(Report, r.id)
        assert rep.overdue is False
        pending = s.execute(select(Timer).where(Timer.status == "pending")).scalars().all()
    assert {t.purpose for t in pending} == {"resolve"}
    clock.set(T0 + dt.timedelta(hours=23, minutes=59))  # nothing more of the acknowledge ladder
    assert sweeper.run_once() == 0
    assert [e.after["purpose"] for e in escalations(ctx)] == ["acknowledge"]
    clock.set(T0 + dt.timedelta(hours=24))  # resolve deadline (24 h for level 2)
    assert sweeper.run_once() == 2
    assert [(e.after["purpose"], e.after["step"]) for e in escalations(ctx)] == [("acknowledge", 0), ("resolve", 0)]


def test_resolve_ends_every_ladder(engine):
    ctx, sweeper = make(engine)
    r = new_report(ctx, level=1)
    assert transitions.resolve(ctx, r.number, "U0OFFICER", "extinguisher moved back").ok
    ctx.clock.set(T0 + dt.timedelta(days=3))
    assert sweeper.run_once() == 0
    assert escalations(ctx) == []


def test_catch_up_after_downtime_fires_each_missed_step_once_in_order_marked_late(engine):
    ctx, sweeper = make(engine)
    new_report(ctx, level=2)
    ctx.clock.set(T0 + dt.timedelta(hours=3))  # the bot was down through all three rungs
    assert sweeper.run_once() == 4
    steps = escalations(ctx)
    assert [e.after["step"] for e in steps] == [0, 1, 2]
    assert all(e.after["late"] for e in steps)
    texts = [row.payload["text"] for row in outbox(ctx) if row.target_key and row.method == "chat.postMessage"
             and "补发" in row.payload.get("text", "")]
    assert len(texts) == 3  # every rung posts in the thread, and each says it was sent late
    assert sweeper.run_once() == 0


def test_level_2_waits_for_working_hours_level_1_does_not(engine):
    policy = 'working_hours: {start: "09:00", end: "18:00"}'
    ctx, sweeper = make(engine, policy, clock=FrozenClock(dt.datetime(2026, 11, 28, 9, 45, tzinfo=dt.timezone.utc)))
    # 17:45 local: the 30-minute deadline falls at 18:15, after hours.
    r2 = new_report(ctx, level=2, key="A")
    r1 = new_report(ctx, level=1, key="B")
    with session_scope(ctx.engine) as s:
        t2 = s.execute(select(Timer).where(Timer.subject_type == "report", Timer.subject_id == r2.id, Timer.step == 0)).scalar_one()
        t1 = s.execute(select(Timer).where(Timer.subject_type == "report", Timer.subject_id == r1.id, Timer.step == 0)).scalar_one()
    tz = ctx.org.tz
    assert t1.fire_at == t1.due_at
    assert t2.fire_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") == "2026-11-29 09:00"


def test_second_scale_policy_is_accepted(engine):
    ctx, sweeper = make(engine, """
hazard:
  levels:
    2: {respond_within: 2s}
escalation:
  acknowledge:
    - {after: 0s, notify: [responders], via: [thread]}
    - {after: 1s, notify: [deputy], via: [dm]}
""")
    r = new_report(ctx, level=2)
    assert (r.respond_due_at - r.reported_at).total_seconds() == 2
    ctx.clock.set(T0 + dt.timedelta(seconds=3))
    assert sweeper.run_once() == 3


@pytest.mark.parametrize("who,ok", [("U0SUPA", True), ("U0OFFICER", True), ("U0HEAD", True), ("U0DEPUTY", True),
                                    ("U0SUPB", False), ("U0AGENT1", False), ("U0AGENT2", False), ("U0IT", False),
                                    ("U0SEC", False), ("U0STRANGER", False)])
def test_who_may_acknowledge(engine, who, ok):
    ctx, _ = make(engine)
    r = new_report(ctx)
    outcome = transitions.acknowledge(ctx, r.number, who)
    assert outcome.ok is ok
    with session_scope(ctx.engine) as s:
        assert (s.get(Report, r.id).status == "acknowledged") is ok


def test_a_rung_the_policy_no_longer_has_is_cancelled_not_fatal(engine):
    ctx, sweeper = make(engine)
    r = new_report(ctx, level=2)
    with session_scope(ctx.engine) as s:
        s.add(Timer(subject_type="report", subject_id=r.id, purpose="acknowledge", step=7, cycle=1, due_at=T0, fire_at=T0))
    ctx.clock.set(T0 + dt.timedelta(minutes=31))
    assert sweeper.run_once() == 2  # the deadline and rung 0 still fire
    with session_scope(ctx.engine) as s:
        assert s.execute(select(Timer.status).where(Timer.step == 7)).scalar_one() == "cancelled"
