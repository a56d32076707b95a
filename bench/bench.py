"""SafeShift benchmarks. Figures go to docs/BENCHMARKS.md.

    python bench/bench.py sweeper --db sqlite [--due 10000]
    python bench/bench.py digest  --db postgres [--items 1000000]
    python bench/bench.py all

`--db postgres` uses SAFESHIFT_BENCH_PG (default postgresql+psycopg://postgres@127.0.0.1:5432/test)
and creates a database of its own there (dropped at exit). Everything runs on this machine only; Slack is
the local fake.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select, text  # noqa: E402

from bot import compose  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.context import Context  # noqa: E402
from bot.sweeper import Sweeper  # noqa: E402

compose.install()
from storage.db import make_engine, session_scope, upgrade  # noqa: E402
from storage.models import AuditEvent, OutboxMessage, Report, Timer  # noqa: E402
from tests.conftest import org_from  # noqa: E402

PG = os.environ.get("SAFESHIFT_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
UTC = dt.timezone.utc


def fresh_engine(kind: str):
    if kind == "postgres":
        from pgdb import own_database  # bench/ is the script's own folder on sys.path

        engine = make_engine(own_database())
    else:
        path = Path(tempfile.mkdtemp()) / "bench.db"
        engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def pct(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    k = min(len(values) - 1, max(0, int(round(p / 100 * (len(values) - 1)))))
    return values[k]


COLUMNS = ("kind", "number", "year", "seq", "source_key", "category", "level", "location", "description",
           "suggestion", "photos", "reporter_id", "team", "origin_channel", "status", "reported_at",
           "respond_due_at", "resolve_due_at", "acknowledged_at", "acknowledged_by", "resolved_at", "resolved_by",
           "resolution_note", "overdue", "version")


def _rows(n: int, now: dt.datetime, open_share: float, due_at):
    rnd = random.Random(42)
    teams = ["Hotline A", "Hotline B", None]
    cats = ["electrical", "fire", "equipment", "information_security", "customer_conflict", "other"]
    for i in range(n):
        reported = now - dt.timedelta(seconds=rnd.randint(60, 365 * 86400))
        is_open = rnd.random() < open_share
        acked = reported + dt.timedelta(seconds=rnd.randint(30, 7200))
        yield ("hazard", f"HZ-2026-{i + 1:07d}", 2026, i + 1, f"bench-{i}", rnd.choice(cats),
               rnd.choice((1, 2, 2, 3, 3, 3)), f"desk {rnd.randint(1, 400)}", "bench hazard", "", "[]",
               f"U{rnd.randint(1, 500):05d}", rnd.choice(teams), None, "open" if is_open else "resolved", reported,
               due_at or reported + dt.timedelta(minutes=30), reported + dt.timedelta(hours=24),
               None if is_open else acked, None if is_open else "U00001",
               None if is_open else acked + dt.timedelta(hours=1), None if is_open else "U00001", "",
               False, 1)


def bulk_reports(engine, n: int, now: dt.datetime, open_share: float = 0.02, due_at=None) -> None:
    """n reports spread over a year; `open_share` of them still open. Raw driver bulk paths."""
    raw = engine.raw_connection()
    try:
        if engine.dialect.name == "postgresql":
            with raw.cursor() as cur:
                with cur.copy(f"COPY report ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in _rows(n, now, open_share, due_at):
                        copy.write_row(row)
        else:
            def naive(v):
                return v.astimezone(UTC).replace(tzinfo=None).isoformat(" ") if isinstance(v, dt.datetime) else v
            cur = raw.cursor()
            cur.execute("BEGIN")
            batch = []
            sql = f"INSERT INTO report ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
            for row in _rows(n, now, open_share, due_at):
                batch.append(tuple(naive(v) for v in row))
                if len(batch) == 50000:
                    cur.executemany(sql, batch)
                    batch = []
            if batch:
                cur.executemany(sql, batch)
            cur.execute("COMMIT")
        raw.commit()
    finally:
        raw.close()


def bench_sweeper(kind: str, due: int) -> dict:
    engine = fresh_engine(kind)
    org = org_from()
    ctx = Context(org=org, engine=engine, clock=SystemClock())
    now = dt.datetime.now(UTC)
    fire_at = now + dt.timedelta(seconds=3)
    bulk_reports(engine, due, now, open_share=1.0, due_at=fire_at)
    with session_scope(engine) as s:
        ids = [r for (r,) in s.execute(select(Report.id)).all()]
    with engine.begin() as conn:
        for start in range(0, len(ids), 20000):
            conn.execute(insert(Timer), [dict(subject_type="report", subject_id=i, purpose="acknowledge", step=0, cycle=1, due_at=fire_at,
                                              fire_at=fire_at, status="pending", late=False)
                                         for i in ids[start:start + 20000]])
    sweeper = Sweeper(ctx, batch=500)
    while dt.datetime.now(UTC) < fire_at:
        time.sleep(0.005)
    t0, c0 = time.perf_counter(), time.process_time()
    fired = 0
    while True:
        n = sweeper.run_once()
        fired += n
        if n == 0:
            break
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0  # CPU: what a busy machine does not distort
    with session_scope(engine) as s:
        delays = [(f - fire_at).total_seconds() for (f,) in s.execute(select(Timer.fired_at)).all()]
        queued = s.execute(select(OutboxMessage.id)).all()
        events = s.execute(select(AuditEvent.id).where(AuditEvent.action == "escalated")).all()
    assert fired == due == len(events), (fired, due, len(events))
    return {"db": kind, "due": due, "seconds": elapsed, "cpu_seconds": cpu, "per_second": due / elapsed,
            "outbox_rows": len(queued),
            "delay_p50": pct(delays, 50), "delay_p99": pct(delays, 99), "delay_max": max(delays)}


def bench_delay_under_load(kind: str, items: int, engine=None) -> dict:
    """With `items` stored, 200 rungs fall due over 10 s while the sweeper thread runs: due → fired delay."""
    engine = engine or fresh_engine(kind)
    org = org_from()
    ctx = Context(org=org, engine=engine, clock=SystemClock())
    now = dt.datetime.now(UTC)
    with session_scope(engine) as s:
        have = s.execute(text("SELECT count(*) FROM report")).scalar_one()
        ids = [r for (r,) in s.execute(select(Report.id).where(Report.status == "open").limit(200)).all()]
    start = now + dt.timedelta(seconds=2)
    moments = [start + dt.timedelta(milliseconds=50 * k) for k in range(len(ids))]
    with engine.begin() as conn:
        conn.execute(insert(Timer), [dict(subject_type="report", subject_id=i, purpose="acknowledge", step=0, cycle=99, due_at=m, fire_at=m,
                                          status="pending", late=False) for i, m in zip(ids, moments)])
    sweeper = Sweeper(ctx)
    sweeper.start()
    time.sleep((moments[-1] - dt.datetime.now(UTC)).total_seconds() + 3)
    sweeper.stop()
    with session_scope(engine) as s:
        rows = s.execute(select(Timer.fire_at, Timer.fired_at).where(Timer.cycle == 99)).all()
    delays = [(f - d).total_seconds() for d, f in rows if f is not None]
    return {"db": kind, "stored": have, "rungs": len(ids), "fired": len(delays), "delay_p50": pct(delays, 50),
            "delay_p99": pct(delays, 99), "delay_max": max(delays) if delays else float("nan")}


def bench_digest(kind: str, items: int) -> tuple[dict, object]:
    from bot.hazards import digest

    engine = fresh_engine(kind)
    now = dt.datetime.now(UTC)
    t0 = time.perf_counter()
    bulk_reports(engine, items, now)
    load = time.perf_counter() - t0
    if kind == "postgres":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    ctx = Context(org=org_from(), engine=engine, clock=SystemClock())
    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        payloads = digest.daily_payloads(ctx, now, since=now - dt.timedelta(days=1))
        runs.append(time.perf_counter() - t0)
    weekly = []
    for _ in range(3):
        t0 = time.perf_counter()
        digest.weekly_payloads(ctx, now)
        weekly.append(time.perf_counter() - t0)
    from bot.home import home_view

    home = {}
    for who in ("U0OFFICER", "U0SUPA", "U00001"):  # whole department; one team; an agent
        times = []
        for _ in range(5):
            t0 = time.perf_counter()
            home_view(ctx, who, "zh-CN")
            times.append(time.perf_counter() - t0)
        home[who] = statistics.median(times)
    return ({"db": kind, "items": items, "load_seconds": load, "digest_all_channels_median": statistics.median(runs),
             "digest_max": max(runs), "channels": len(payloads), "weekly_median": statistics.median(weekly),
             "home_officer": home["U0OFFICER"], "home_supervisor": home["U0SUPA"], "home_agent": home["U00001"]},
            engine)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["sweeper", "digest", "all"])
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--due", type=int, default=10000)
    ap.add_argument("--items", type=int, default=1_000_000)
    args = ap.parse_args()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for kind in kinds:
        if args.what in ("sweeper", "all"):
            print(bench_sweeper(kind, args.due), flush=True)
        if args.what in ("digest", "all"):
            result, engine = bench_digest(kind, args.items)
            print(result, flush=True)
            print(bench_delay_under_load(kind, args.items, engine), flush=True)


if __name__ == "__main__":
    main()
