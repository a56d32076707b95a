"""The statements of the daily digest, the weekly summary and three Home views over a kept store, and on PostgreSQL
the server's own time: each statement of one run `EXPLAIN (ANALYZE)`d three times (the least), summed. Wall time on
a shared machine is the queue for the CPU; these are not (docs/BENCHMARKS.md, issue 26).

    python bench/digest_statements.py postgresql+psycopg://postgres@127.0.0.1:5432/bench1m
    python bench/digest_statements.py sqlite:////work/bench/store1m.db      # statement counts only
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, select  # noqa: E402

from bot import compose  # noqa: E402

compose.install()
from bot.clock import FrozenClock  # noqa: E402
from bot.context import Context  # noqa: E402
from bot.hazards import digest  # noqa: E402
from bot.home import home_view  # noqa: E402
from storage.db import make_engine  # noqa: E402
from storage.models import Report  # noqa: E402
from tests.conftest import org_from  # noqa: E402


def main(url: str) -> None:
    engine = make_engine(url)
    with engine.connect() as c:
        newest = c.execute(select(Report.reported_at).order_by(Report.reported_at.desc()).limit(1)).scalar()
    now = newest + dt.timedelta(seconds=60)  # the store's own "now", as bench.py's digest takes it
    ctx = Context(org=org_from(), engine=engine, clock=FrozenClock(now))
    log: list = []
    event.listen(engine, "before_cursor_execute", lambda conn, cur, stmt, params, *a: log.append((stmt, params)))
    since = now - dt.timedelta(days=1)
    paths = {"digest": lambda: digest.daily_payloads(ctx, now, since=since),
             "weekly": lambda: digest.weekly_payloads(ctx, now),
             "home officer": lambda: home_view(ctx, "U0OFFICER", "zh-CN"),
             "home supervisor": lambda: home_view(ctx, "U0SUPA", "zh-CN"),
             "home agent": lambda: home_view(ctx, "U00001", "zh-CN")}
    postgres = engine.dialect.name == "postgresql"
    raw = engine.raw_connection()
    cur = raw.cursor()
    for name, run in paths.items():
        run()
        log.clear()
        run()
        selects = [(s, p) for s, p in log if s.lstrip().upper().startswith("SELECT")]
        server, top = 0.0, []
        for s, p in selects if postgres else []:
            best = float("inf")
            for _ in range(3):
                cur.execute("EXPLAIN (ANALYZE) " + s, p)
                best = min(best, float(cur.fetchall()[-1][0].split(":")[1].split()[0]))
            server += best
            top.append((best, " ".join(s.split())[:70]))
        top.sort(reverse=True)
        print(f"{name:16s} statements {len(log):3d}" + (f"  server ms {server:6.1f}  most: " + "; ".join(
            f"{t:.1f} {s}" for t, s in top[:2]) if postgres else ""), flush=True)
    raw.close()


if __name__ == "__main__":
    main(sys.argv[1])
