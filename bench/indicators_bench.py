"""Computing a month's indicators over a long history (#22): N stored reports spread over a year (bench.bulk_reports),
plus rectification items (one per 50 reports) and check tasks (one per 10 reports), then `compute` of one month,
median of 5 (and the whole report: the month and the month before); and what each role sees (the Home tab's
tiles, the digest's yesterday, the weekly summary's part), median of 5 each.

    python bench/indicators_bench.py --db sqlite|postgres|both [--reports 1000000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select  # noqa: E402

from bench import bulk_reports, fresh_engine  # noqa: E402
from bot import compose  # noqa: E402
from bot.clock import FrozenClock  # noqa: E402
from bot.context import Context  # noqa: E402
from bot.indicators import compute, report, tiles, weekly  # noqa: E402
from storage.db import session_scope  # noqa: E402
from storage.models import CheckTask, RectItem, Report  # noqa: E402
from tests.conftest import org_from  # noqa: E402

UTC = dt.timezone.utc


def more_rows(engine, n_reports: int, now: dt.datetime) -> None:
    rnd = random.Random(7)
    with session_scope(engine) as s:
        ids = [i for (i,) in s.execute(select(Report.id).where(Report.id % 50 == 0))]
    items, tasks = [], []
    for rid in ids:
        due = now - dt.timedelta(days=rnd.randint(-30, 360))
        closed = due - dt.timedelta(hours=rnd.randint(-48, 200)) if rnd.random() < 0.9 else None
        items.append(dict(report_id=rid, team=rnd.choice(("Hotline A", "Hotline B")), likelihood="likely",
                          impact="major", risk="high", state="closed" if closed else "in_progress",
                          accountable="U0SUPA", assigned="U0AGENT1", created_at=due - dt.timedelta(days=7),
                          created_by="U0SUPA", due_at=due, first_due_at=due, closed_at=closed, plan_version=0,
                          extensions=0, ext_reason="", completion="", evidence=[], overdue=False, was_overdue=False,
                          flagged=False, supervised=False, version=1))
    for i in range(n_reports // 10):
        day = (now - dt.timedelta(days=rnd.randint(0, 364))).date()
        due = dt.datetime.combine(day, dt.time(1), tzinfo=UTC)
        status = rnd.choice(("done", "done", "done", "problem", "pending"))
        tasks.append(dict(key=f"b{i}", kind=rnd.choice(("pre_shift", "pre_shift", "briefing", "patrol", "check")),
                          name="x", team=rnd.choice(("Hotline A", "Hotline B")), day=day, owners=[], issued_at=due,
                          due_at=due, status=status, done_at=None if status == "pending" else due, problems=[],
                          note="", sample=[], overdue=False, version=1))
    with session_scope(engine) as s:
        for table, rows in ((RectItem.__table__, items), (CheckTask.__table__, tasks)):
            for k in range(0, len(rows), 20000):
                s.execute(insert(table), rows[k:k + 20000])


def run(kind: str, n: int) -> dict:
    compose.install()
    now = dt.datetime(2026, 12, 1, 1, tzinfo=UTC)
    engine = fresh_engine(kind)
    t0 = time.perf_counter()
    bulk_reports(engine, n, now)
    more_rows(engine, n, now)
    if kind == "postgres":  # what autovacuum does in a running installation (index-only scans need it)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.connect() as c:
            c.exec_driver_sql("ANALYZE")
    seeded = time.perf_counter() - t0
    ctx = Context(org=org_from(), engine=engine, clock=FrozenClock(now))
    times, whole = [], []
    for _ in range(5):
        t = time.perf_counter()
        with session_scope(engine) as s:
            m = compute.compute(ctx, s, "2026-11")
        times.append(time.perf_counter() - t)
        t = time.perf_counter()
        with session_scope(engine) as s:
            report.build(ctx, s, "2026-11")
        whole.append(time.perf_counter() - t)
    # what each role sees (tiles.py, weekly.py): the month so far on 25 November for the head (the department), a
    # supervisor (a team) and an agent (their own); yesterday's digest part (department); the weekly summary's part
    later = now - dt.timedelta(days=6)
    roles = {}
    for name, fn in (("home_head", lambda s: tiles.so_far(ctx, s, "U0HEAD", later)),
                     ("home_supervisor", lambda s: tiles.so_far(ctx, s, "U0SUPA", later)),
                     ("home_agent", lambda s: tiles.so_far(ctx, s, "U0AGENT1", later)),
                     ("digest_yesterday", lambda s: tiles.digest_part(ctx, s, later, None)),
                     ("weekly_part", lambda s: weekly.sections(ctx, s, later, None)("zh-CN"))):
        spent = []
        for _ in range(5):
            t = time.perf_counter()
            with session_scope(engine) as s:
                fn(s)
            spent.append(time.perf_counter() - t)
        roles[f"{name}_median_s"] = round(statistics.median(spent), 3)
    return {**roles, "db": kind, "reports": n, "seeded_s": round(seeded, 1),
            "month_hazards": m.figures["hazards_reported"].value,
            "compute_month_median_s": round(statistics.median(times), 3),
            "report_two_months_median_s": round(statistics.median(whole), 3)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--reports", type=int, default=1_000_000)
    args = ap.parse_args()
    for kind in (["sqlite", "postgres"] if args.db == "both" else [args.db]):
        print(run(kind, args.reports), flush=True)


if __name__ == "__main__":
    main()
