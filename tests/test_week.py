"""A fortnight of every scheduled job at once (#10), on the injected clock: shifts, daily checklists, recurring
checks, drills, digests, across the National Day holiday (1-7 Oct 2026 off; Sat 10 Oct worked).

The scheduler is simulated the way `schedules/scheduler.py` drives `bot/jobs.py`: every trigger of every area
fires at its moments. A run with an outage in the middle (the process gone for two hours, a new one started,
`catch_up` at start) must send exactly what a run without one sends: nothing repeated, nothing missed.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot import jobs
from bot.clock import FrozenClock
from bot.context import Context
from storage.db import make_engine, session_scope, upgrade
from storage.models import CheckTask, Drill, OutboxMessage
from tests.conftest import ORG_YAML, org_from

SH = ZoneInfo("Asia/Shanghai")
ORG = ORG_YAML.replace("  security: [U0SEC]\n", "  security: [U0SEC]\n  facilities: [U0FAC]\n  back_office: [U0BACK]\n") \
    .replace("  - {name: Hotline A, channel: C0TEAMA, supervisors: [U0SUPA], members: [U0AGENT1, U0AGENT2]}\n", """\
  - name: Hotline A
    channel: C0TEAMA
    supervisors: [U0SUPA]
    members: [U0AGENT1, U0AGENT2]
    on_duty: [U0AGENT1]
    shifts:
      - {name: Early, start: "08:00", end: "16:00", days: every_day}
      - {name: Late, start: "16:00", end: "00:00", days: working_days, members: [U0AGENT2]}
""")
# a drill inside the fortnight: its 7-day and 1-day notices and the day's notice fall in it
DRILL = """
drills:
  kinds:
    fire: {months: [10], day: 12}
"""
START = dt.datetime(2026, 9, 26, 0, 0, tzinfo=SH)
END = dt.datetime(2026, 10, 11, 23, 59, tzinfo=SH)


def simulate(url: str, outage: tuple[dt.datetime, dt.datetime] | None = None) -> dict:
    """Every job at every fire moment in [START, END]; during `outage` nothing runs, then a new process starts."""
    engine = make_engine(url)
    upgrade(engine)
    org = org_from(DRILL, base=ORG)
    ctx = Context(org=org, engine=engine, clock=FrozenClock(START))
    jobs.installed_at(ctx, START)
    moments = sorted((t, job) for job, trigger in jobs.triggers(org).items()
                     for t in jobs.fire_times(trigger, START, END))
    restarted = outage is None
    for t, job in moments:
        if outage and outage[0] <= t < outage[1]:
            continue  # the process is gone
        if not restarted and t >= outage[1]:
            ctx = Context(org=org, engine=engine, clock=FrozenClock(outage[1]))  # a new process
            jobs.catch_up(ctx)
            restarted = True
        ctx.clock.set(t)
        jobs.run_job(ctx, job, t)
    with session_scope(engine) as s:
        posts = s.execute(select(OutboxMessage).where(OutboxMessage.method == "chat.postMessage")).scalars().all()
        out = {
            # a post without a dedupe key (drill notices: the drill row keeps which went) by its day and content
            "posts": collections.Counter(p.dedupe_key or f"{p.created_at.astimezone(SH).date()} " + json.dumps(
                p.payload, sort_keys=True, ensure_ascii=False) for p in posts),
            "tasks": sorted((t.kind, t.name, t.team or "", t.shift or "", t.day, tuple(t.owners), t.due_at)
                            for t in s.execute(select(CheckTask)).scalars()),
            "drill_notices": sorted((d.kind, d.period, tuple(d.notices or [])) for d in s.execute(select(Drill)).scalars()),
        }
    engine.dispose()
    return out


def _url(db_url: str, name: str) -> str:
    if db_url.startswith("sqlite"):
        return db_url.replace("safeshift.db", f"{name}.db")
    return db_url


def test_a_fortnight_across_the_national_day_holiday(tmp_path, db_url):
    if not db_url.startswith("sqlite"):
        import pytest

        pytest.skip("two databases side by side: the SQLite run shows it; PostgreSQL runs the job code in other tests")
    calm = simulate(f"sqlite:///{tmp_path}/calm.db")
    # every day's checklists, on working days only for the Late shift (none in 1-7 Oct; one on Sat 10 Oct)
    tasks = calm["tasks"]
    late = sorted(t[4] for t in tasks if t[0] == "pre_shift" and t[3] == "Late")
    # working days only: not the weekend of 26-27 Sep, not 1-7 Oct, but the swapped Saturday 10 Oct
    assert late == [dt.date(2026, 9, 28), dt.date(2026, 9, 29), dt.date(2026, 9, 30), dt.date(2026, 10, 8),
                    dt.date(2026, 10, 9), dt.date(2026, 10, 10)]
    early = [t for t in tasks if t[0] == "pre_shift" and t[3] == "Early"]
    assert len(early) == 16 * 2  # every day, both members of the team, nothing twice
    # the weekly UPS test of Wed 7 Oct came on Thu 8 Oct; the drill's notices (7d, 1d, the day) all went
    assert [(t[4], t[6].astimezone(SH).date()) for t in tasks if t[1] == "ups_test"] == [
        (dt.date(2026, 9, 30), dt.date(2026, 10, 1)), (dt.date(2026, 10, 7), dt.date(2026, 10, 9))]
    assert [n for n in calm["drill_notices"] if n[0] == "fire"] == [("fire", "2026-10", ("7d", "1d"))]
    # everything posted exactly once
    assert max(calm["posts"].values()) == 1, [k for k, n in calm["posts"].items() if n > 1][:5]

    # The process dies on Thu 8 Oct at 08:20 and comes back at 11:00: the digest (08:30), the patrol (10:00)
    # and the UPS test moved from the holiday (10:00) are made up at start; nothing twice, nothing missing.
    broken = simulate(f"sqlite:///{tmp_path}/broken.db", (dt.datetime(2026, 10, 8, 8, 20, tzinfo=SH),
                                                           dt.datetime(2026, 10, 8, 11, 0, tzinfo=SH)))
    assert broken["tasks"] == calm["tasks"]
    assert broken["drill_notices"] == calm["drill_notices"]
    assert broken["posts"] == calm["posts"]
