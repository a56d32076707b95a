"""The request paths in-process: the WSGI application called directly (no HTTP server), sender and sweeper running.

    python bench/profile_paths.py --db sqlite|postgres [-n 300] [--what submit|slash] [--profile out.pstats]
                                  [--quiet-sender]

Each submission waits for its card to reach the (fake) Slack before the next one, as bench/load.py does, so
the next request overlaps the sender delivering the rest of the previous report (thread lines, DMs): the
overlap that makes the tail. `--profile` records the request threads only (cProfile), `--quiet-sender`
stops background work to see the request alone. Prints p50/p95/p99 in ms and the statements per request.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from load import pcts, slash_body, view_body  # noqa: E402  (bench/ is the script's own folder)
from sqlalchemy import event  # noqa: E402

from tests.conftest import ORG_YAML, make_settings, sign  # noqa: E402
from tests.fakeslack import FakeSlack  # noqa: E402


def environ(body: str, ts: int | None = None) -> dict:
    raw = body.encode()
    h = sign(body, ts)
    return {"REQUEST_METHOD": "POST", "PATH_INFO": "/slack/events", "CONTENT_TYPE": "application/x-www-form-urlencoded",
            "CONTENT_LENGTH": str(len(raw)), "wsgi.input": io.BytesIO(raw), "QUERY_STRING": "",
            "HTTP_X_SLACK_REQUEST_TIMESTAMP": h["X-Slack-Request-Timestamp"],
            "HTTP_X_SLACK_SIGNATURE": h["X-Slack-Signature"], "SERVER_NAME": "x", "SERVER_PORT": "1",
            "wsgi.url_scheme": "http", "SERVER_PROTOCOL": "HTTP/1.1"}


def call(app, env) -> tuple[str, bytes]:
    got = {}

    def start_response(status, headers, exc_info=None):
        got["status"] = status

    result = app(env, start_response)
    try:
        out = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close:
            close()
    return got["status"], out


def _slowest(times, cpu) -> tuple[float, float]:
    """Mean wall time and the request thread's own CPU of the slowest 5 %: the gap is waiting (GIL, locks, I/O)."""
    worst = sorted(zip(times, cpu), reverse=True)[: max(1, len(times) // 20)]
    return (round(sum(w for w, _ in worst) / len(worst) * 1000, 2), round(sum(c for _, c in worst) / len(worst) * 1000, 2))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--what", choices=["submit", "slash"], default="submit")
    ap.add_argument("--profile", default=None)
    ap.add_argument("--quiet-sender", action="store_true")
    ap.add_argument("--show-sql", action="store_true", help="print the statements of the last request")
    ap.add_argument("--gc-threshold", default=None, help="gc.set_threshold for this run, e.g. 700,10,10")
    ap.add_argument("--switch", type=float, default=None, help="sys.setswitchinterval for this run (s)")
    a = ap.parse_args()

    from bot import compose
    from bot.app import Runtime
    from bot.orgfile import parse_org

    if a.db == "postgres":
        from pgdb import own_database

        url = own_database()
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/profile.db"
    fake = FakeSlack()
    org = parse_org(ORG_YAML + "policy:\n  hazard: {rate_limit: null}\n", "bench-org.yaml")
    compose.install()
    runtime = Runtime(make_settings(url, fake.url), org, register=compose.register_listeners)
    if not a.quiet_sender:
        runtime.start_background()
    app = runtime.wsgi()  # built first: its start-up collection is not a request's pause
    if a.gc_threshold:
        gc.set_threshold(*[int(x) for x in a.gc_threshold.split(",")])
    gc_pauses: list[float] = []
    gc_started = {}

    def _gc(phase, info):
        if phase == "start":
            gc_started["t"] = time.perf_counter()
        elif "t" in gc_started:
            gc_pauses.append((time.perf_counter() - gc_started.pop("t"), info["generation"]))

    gc.callbacks.append(_gc)
    if a.switch is not None:
        sys.setswitchinterval(a.switch)
    statements = {"n": 0, "on": False}
    main_thread = threading.get_ident()

    @event.listens_for(runtime.engine, "before_cursor_execute")
    def _count(_conn, _cursor, statement, *_args):  # the request thread's statements only (not the sender's)
        if statements["on"] and threading.get_ident() == main_thread:
            statements["n"] += 1
            statements.setdefault("sql", []).append(" ".join(statement.split())[:160])

    prof = cProfile.Profile() if a.profile else None
    times, per_request, cpu = [], [], []
    for i in range(a.n + 20):
        body = view_body(i) if a.what == "submit" else slash_body(i)
        env = environ(body, int(time.time()) - (i % 30))
        fake.calls.clear()
        warm = i < 20
        statements.update(n=0, on=not warm, sql=[])
        if prof and not warm:
            prof.enable()
        t0, c0 = time.perf_counter(), time.thread_time()
        status, out = call(app, env)
        t1, c1 = time.perf_counter(), time.thread_time()
        if prof and not warm:
            prof.disable()
        statements["on"] = False
        assert status.startswith("200"), (status, out[:200])
        if not warm:
            times.append(t1 - t0)
            cpu.append(c1 - c0)
            per_request.append(statements["n"])
        if a.what == "submit" and not a.quiet_sender:
            deadline = time.time() + 10
            while time.time() < deadline and not any(c.method == "chat.postMessage" and c.params.get("channel") ==
                                                     "C0SAFETY" for c in fake.calls):
                time.sleep(0.0005)
    runtime.stop()
    runtime.engine.dispose()
    fake.close()
    print(json.dumps({"db": a.db, "what": a.what, "n": a.n, "p50/p95/p99 ms": pcts(times),
                      "request thread's own CPU p50/p95/p99 ms": pcts(cpu),
                      "slowest 5 %: wall / own CPU ms (mean)": _slowest(times, cpu),
                      "statements per request (median)": sorted(per_request)[len(per_request) // 2],
                      "gc threshold": gc.get_threshold(), "gc pauses": len(gc_pauses),
                      "gc pauses ≥ 1 ms (gen, ms)": [(g, round(d * 1000, 1)) for d, g in gc_pauses if d >= 0.001]}))
    if a.show_sql:
        print("\n".join(statements["sql"]))
    if prof:
        prof.dump_stats(a.profile)


if __name__ == "__main__":
    main()
