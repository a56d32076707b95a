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


def kept_store(url: str, items: int, now: dt.datetime):
    """A store kept between runs (`--store URL`): loaded once with `items` reports, migrated on every run."""
    engine = make_engine(url)
    upgrade(engine)
    with engine.connect() as conn:
        have = conn.execute(text("SELECT count(*) FROM report")).scalar_one()
    if have == 0:
        bulk_reports(engine, items, now)
    settle(engine)
    return engine


def settle(engine) -> None:
    """Statistics, and on PostgreSQL the visibility map (what autovacuum keeps after a bulk load): index-only scans."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE report"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def bench_digest(kind: str, items: int, store: str | None = None) -> tuple[dict, object]:
    from bot.hazards import digest

    now = dt.datetime.now(UTC)
    t0 = time.perf_counter()
    if store:
        engine = kept_store(store, items, now)
        with engine.connect() as conn:  # the store's own "now": its newest report, so the day's figures are alike
            newest = conn.execute(select(Report.reported_at).order_by(Report.reported_at.desc()).limit(1)).scalar()
        now = newest + dt.timedelta(seconds=60) if newest else now
    else:
        engine = fresh_engine(kind)
        bulk_reports(engine, items, now)
        settle(engine)
    load = time.perf_counter() - t0
    ctx = Context(org=org_from(), engine=engine, clock=SystemClock())
    from bot.home import home_view

    def timed(what, n):
        """Median wall and median own CPU (this process: on SQLite all the work; on PostgreSQL the client's share),
        ms. On a busy machine the wall time is the queue for the CPU as much as the work: the CPU time says which."""
        walls, cpus = [], []
        for _ in range(n):
            w0, c0 = time.perf_counter(), time.process_time()
            what()
            walls.append((time.perf_counter() - w0) * 1000)
            cpus.append((time.process_time() - c0) * 1000)
        return round(statistics.median(walls), 1), round(statistics.median(cpus), 1), round(max(walls), 1)

    since = now - dt.timedelta(days=1)
    channels = len(digest.daily_payloads(ctx, now, since=since))
    result = {"db": kind, "items": items, "load_seconds": round(load, 1), "channels": channels,
              "(wall ms, cpu ms, worst wall ms) digest": timed(lambda: digest.daily_payloads(ctx, now, since=since), 7),
              "weekly": timed(lambda: digest.weekly_payloads(ctx, now), 7)}
    for who, name in (("U0OFFICER", "home officer"), ("U0SUPA", "home supervisor"), ("U00001", "home agent")):
        result[name] = timed(lambda: home_view(ctx, who, "zh-CN"), 7)  # whole department; one team; an agent
    return result, engine


def bench_export(kind: str, items: int, store: str | None, fmt: str, days: int | None) -> dict:
    """`safeshift export hazards` of the last `days` (all when None) of the store, to a file: rows/s and the peak RSS
    of this process (a fresh one per run: `ru_maxrss` never goes down)."""
    import resource

    from bot.rectification import export

    now = dt.datetime.now(UTC)
    engine = kept_store(store, items, now) if store else fresh_engine(kind)
    if not store:
        bulk_reports(engine, items, now)
        settle(engine)
    ctx = Context(org=org_from(), engine=engine, clock=SystemClock())
    with engine.connect() as conn:
        newest = conn.execute(select(Report.reported_at).order_by(Report.reported_at.desc()).limit(1)).scalar()
    start = (newest - dt.timedelta(days=days)).date() if days else None
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = Path(tempfile.mkdtemp()) / f"hazards.{fmt}"
    w0, c0 = time.perf_counter(), time.process_time()
    with open(out, "wb") as f:
        n = export.write(ctx, "hazards", fmt, f, start, None)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    return {"db": kind, "format": fmt, "rows": n, "seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
            "rows_per_s": round(n / wall), "rows_per_cpu_s": round(n / cpu), "file_mb": round(out.stat().st_size / 2**20, 1),
            "peak_rss_mb_before": round(before), "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["sweeper", "digest", "export", "all"])
    ap.add_argument("--format", choices=["csv", "xlsx"], default="csv", help="export: the file's format")
    ap.add_argument("--days", type=int, help="export: the last DAYS of the store (default all)")
    ap.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    ap.add_argument("--due", type=int, default=10000)
    ap.add_argument("--items", type=int, default=1_000_000)
    ap.add_argument("--store", help="a store URL kept between runs (loaded once; `--db` names its engine)")
    ap.add_argument("--no-delay", action="store_true", help="digest: skip the due→notice run")
    args = ap.parse_args()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for kind in kinds:
        if args.what in ("sweeper", "all"):
            print(bench_sweeper(kind, args.due), flush=True)
        if args.what == "export":
            print(bench_export(kind, args.items, args.store, args.format, args.days), flush=True)
        if args.what in ("digest", "all"):
            result, engine = bench_digest(kind, args.items, args.store)
            print(result, flush=True)
            if not args.no_delay:
                print(bench_delay_under_load(kind, args.items, engine), flush=True)


if __name__ == "__main__":
    main()
