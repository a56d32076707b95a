"""Daily digest, weekly summary and the claimed cron runs."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.context import Context
from bot.hazards import create, digest, transitions
from bot.hazards.kinds import kind
from bot.jobs import catch_up, fire_times, previous_fire_time, run_job, triggers
from bot.sweeper import Sweeper
from storage.db import session_scope
from storage.models import JobRun, OutboxMessage
from tests.conftest import ORG_YAML, org_from
from tests.slackschema import block_errors

SH = ZoneInfo("Asia/Shanghai")


def local(y, m, d, hh, mm, tz=SH):
    return dt.datetime(y, m, d, hh, mm, tzinfo=tz).astimezone(dt.timezone.utc)


@pytest.mark.parametrize("zone,start,end", [
    ("Asia/Shanghai", (2026, 3, 20), (2026, 4, 5)),
    ("Europe/Berlin", (2026, 3, 20), (2026, 4, 5)),    # DST starts 29 March
    ("Europe/Berlin", (2026, 10, 18), (2026, 11, 2)),  # DST ends 25 October
])
def test_daily_digest_stays_at_0830_local_across_dst(zone, start, end):
    org = org_from(base=ORG_YAML.replace("Asia/Shanghai", zone))
    tz = ZoneInfo(zone)
    trig = triggers(org)["daily_digest"]
    times = fire_times(trig, dt.datetime(*start, tzinfo=tz), dt.datetime(*end, tzinfo=tz))
    assert len(times) == (dt.date(*end) - dt.date(*start)).days
    assert all(t.astimezone(tz).strftime("%H:%M") == "08:30" for t in times)
    utc_hours = {t.astimezone(dt.timezone.utc).hour for t in times}
    assert utc_hours == ({0} if zone == "Asia/Shanghai" else {6, 7})  # Berlin shifts in UTC, not locally
    weekly = fire_times(triggers(org)["weekly_summary"], dt.datetime(*start, tzinfo=tz), dt.datetime(*end, tzinfo=tz))
    assert all(t.astimezone(tz).strftime("%a %H:%M") == "Mon 09:00" for t in weekly)


def seed(engine, zone="Asia/Shanghai"):
    """Five reports over two days with known states."""
    org = org_from(base=ORG_YAML.replace("Asia/Shanghai", zone))
    tz = ZoneInfo(zone)
    clock = FrozenClock(dt.datetime(2026, 11, 26, 9, 0, tzinfo=tz))
    ctx = Context(org=org, engine=engine, clock=clock)

    def report(key, level, user, when, location="desk 12", category="electrical"):
        clock.set(when)
        data, _ = create.validate_report(kind(ctx.org), "en", {"level": str(level), "category": category,
                                                      "description": f"d {key}", "location": location})
        return create.create_report(ctx, "hazard", source_key=key, reporter_id=user, data=data).report

    a = report("a", 2, "U0AGENT1", dt.datetime(2026, 11, 27, 9, 0, tzinfo=tz))
    b = report("b", 3, "U0AGENT3", dt.datetime(2026, 11, 27, 10, 0, tzinfo=tz), location="Desk 12 ")
    c = report("c", 1, "U0AGENT1", dt.datetime(2026, 11, 27, 11, 0, tzinfo=tz), category="fire")
    clock.set(dt.datetime(2026, 11, 27, 9, 10, tzinfo=tz))
    transitions.acknowledge(ctx, a.number, "U0SUPA")            # 10 min
    clock.set(dt.datetime(2026, 11, 27, 11, 50, tzinfo=tz))
    transitions.acknowledge(ctx, b.number, "U0SUPB")            # 110 min
    clock.set(dt.datetime(2026, 11, 27, 12, 0, tzinfo=tz))
    transitions.resolve(ctx, b.number, "U0SUPB", "fixed")
    Sweeper(ctx).run_once()                                  # c is overdue (level 1, 30 min)
    d = report("d", 2, "U0AGENT2", dt.datetime(2026, 11, 28, 7, 0, tzinfo=tz))
    # an incident the same morning: not a hazard, so not in the hazard digest's counts
    from bot.incidents import create as incidents

    clock.set(dt.datetime(2026, 11, 28, 7, 30, tzinfo=tz))
    inc, errors = incidents.validate_incident(kind(ctx.org, "incident"), "en", {
        "category": "complaint", "level": "3", "description": "caller shouted", "location": "desk 12"})
    assert not errors
    incidents.create_incident(ctx, source_key="inc", reporter_id="U0AGENT1", data=inc)
    clock.set(dt.datetime(2026, 11, 28, 8, 30, tzinfo=tz))
    return ctx, dict(a=a, b=b, c=c, d=d)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/Berlin"])
def test_digest_content_matches_seeded_data(engine, zone):
    ctx, r = seed(engine, zone)
    now = ctx.clock.now()
    since = now - dt.timedelta(days=1)  # the last digest: yesterday 08:30
    c = digest.daily_content(ctx, now, since=since)
    assert c["new_count"] == 4
    assert c["open_count"] == 3  # a, c, d (b resolved)
    assert {lvl: n for lvl, n, _ in c["open_by_level"]} == {1: 1, 2: 2}
    assert c["overdue_count"] >= 1 and r["c"].number in [x.number for x in c["overdue_items"]]
    assert sorted(round(x / 60) for x in c["tta"]) == [10, 110]
    team_a = digest.daily_content(ctx, now, team="Hotline A", since=since)
    assert team_a["new_count"] == 3 and team_a["open_count"] == 3
    team_b = digest.daily_content(ctx, now, team="Hotline B", since=since)
    assert team_b["new_count"] == 1 and team_b["open_count"] == 0
    payloads = digest.daily_payloads(ctx, now, since=since)
    assert [p["channel"] for p in payloads] == ["C0SAFETY", "C0TEAMA", "C0TEAMB"]
    for p in payloads:
        assert not block_errors(p["blocks"]) and p["text"]
    head = json.dumps(payloads[0]["blocks"], ensure_ascii=False)
    assert "*新增4项* · *未处理3项* · *超时或超期" in head
    assert "中位数1小时" in head and "最长1小时50分钟" in head  # median of 10 and 110 min = 60 min


def test_weekly_summary(engine):
    ctx, r = seed(engine)
    now = ctx.clock.now()
    c = digest.weekly_content(ctx, now)
    assert c["opened"] == 4 and c["closed"] == 1
    assert dict(c["by_level"]) == {1: 1, 2: 2, 3: 1}
    assert [(loc, n) for loc, n in c["recurring"]] == [("desk 12", 4)]  # 'Desk 12' counts with 'desk 12'
    assert c["slowest"][0].number == r["b"].number
    p = digest.weekly_payloads(ctx, now)[0]
    assert not block_errors(p["blocks"])


def test_a_run_is_claimed_once(engine):
    ctx, _ = seed(engine)
    when = ctx.clock.now()
    assert run_job(ctx, "daily_digest", when) is True
    assert run_job(ctx, "daily_digest", when) is False
    with session_scope(engine) as s:
        rows = s.execute(select(OutboxMessage).where(OutboxMessage.ordering_key == "job:daily_digest")).scalars().all()
        assert sorted(r.payload["channel"] for r in rows) == ["C0SAFETY", "C0TEAMA", "C0TEAMB"]
        assert s.execute(select(JobRun)).scalars().one().job == "daily_digest"


def test_catch_up_runs_a_recently_missed_digest_once(engine):
    ctx, _ = seed(engine)
    ctx.clock.set(local(2026, 11, 28, 9, 15))  # the 08:30 run was missed by 45 minutes
    done = catch_up(ctx)
    assert ("daily_digest", local(2026, 11, 28, 8, 30)) in done
    assert catch_up(ctx) == []
    ctx.clock.set(local(2026, 11, 28, 20, 0))  # too late to be useful: not made up
    with session_scope(engine) as s:
        s.execute(JobRun.__table__.delete())
    assert "daily_digest" not in [j for j, _ in catch_up(ctx)]


def test_previous_fire_time():
    org = org_from()
    trig = triggers(org)["daily_digest"]
    assert previous_fire_time(trig, local(2026, 11, 28, 8, 29)) == local(2026, 11, 27, 8, 30)
    assert previous_fire_time(trig, local(2026, 11, 28, 8, 30)) == local(2026, 11, 28, 8, 30)
