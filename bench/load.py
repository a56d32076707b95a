"""Request latency against a bare Bolt app, a 500-report burst, and memory of `serve`.

    python bench/load.py latency --db sqlite|postgres [-n 300]
    python bench/load.py burst   --db sqlite|postgres [--reports 500 --places 20 --seconds 60]
    python bench/load.py memory  --db sqlite|postgres [--big-db sqlite:////tmp/bench1m.db]
    python bench/load.py idle    --db sqlite|postgres [--seconds 60]

Servers run as separate processes (`safeshift serve --http` and bench/bare_bolt.py) on this
machine; Slack is the recording fake from tests/. `--db postgres` creates a database of its own on the
server SAFESHIFT_BENCH_PG names and drops it at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psutil  # noqa: E402
from sqlalchemy import text  # noqa: E402

from tests.conftest import ORG_YAML, SECRET, TOKEN, sign  # noqa: E402
from tests.fakeslack import FakeSlack  # noqa: E402
from tests.test_processes import free_port  # noqa: E402

PG = os.environ.get("SAFESHIFT_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100 * (len(v) - 1)))))] * 1000 if v else float("nan")


def pcts(values) -> tuple[float, float, float]:
    return tuple(round(pct(values, p), 2) for p in (50, 95, 99))


def db_url(kind: str) -> str:
    if kind == "postgres":
        from pgdb import own_database  # bench/ is the script's own folder on sys.path

        return own_database()
    return f"sqlite:///{tempfile.mkdtemp()}/load.db"


def start(cmd, env, port):
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/slack/events", timeout=1)
        except urllib.error.HTTPError:
            return proc  # it answers (405/404): up
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{cmd} did not start")


def safeshift(fake: FakeSlack, url: str, extra_org: str = "", counted: str | None = None, **env_extra):
    org = Path(tempfile.mkdtemp()) / "org.yaml"
    org.write_text(ORG_YAML + extra_org, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SAFESHIFT_"))}
    env.update({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "DATABASE_URL": url,
                "SLACK_API_URL": fake.url, "SAFESHIFT_CONFIG": str(org), "SAFESHIFT_LOG_LEVEL": "ERROR"})
    env.update(env_extra)
    port = free_port()
    # `counted`: a file the server writes its SQL counts to on SIGUSR1 (bench/counted_serve.py)
    cmd = [sys.executable, str(ROOT / "bench" / "counted_serve.py")] if counted else [sys.executable, "-m", "bot.cli"]
    if counted:
        env["SAFESHIFT_BENCH_COUNTS"] = counted
    env["PYTHONPATH"] = str(ROOT)
    proc = start([*cmd, "serve", "--http", "--host", "127.0.0.1", "--port", str(port)], env, port)
    return proc, port


def bare(fake: FakeSlack):
    env = dict(os.environ, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.url)
    port = free_port()
    return start([sys.executable, str(ROOT / "bench" / "bare_bolt.py"), str(port)], env, port), port


def post(port: int, body: str, ctype: str, ts: int | None = None) -> tuple[int, float, str]:
    headers = {"Content-Type": ctype, **sign(body, ts)}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers)
    t0 = time.time()
    with urllib.request.urlopen(req, timeout=30) as resp:
        raw = resp.read().decode()
        return resp.status, t0, raw


def slash_body(i: int) -> str:
    return urllib.parse.urlencode({"command": "/hazard", "text": f"loose cable {i}", "user_id": "U0AGENT1",
                                   "channel_id": "C0TEAMA", "team_id": "T1", "trigger_id": f"trig-{i}"})


def view_body(i: int, user: str = "U0AGENT1", place: str | None = None) -> str:
    state = {"level": {"value": {"type": "radio_buttons", "selected_option": {"value": "2"}}},
             "category": {"value": {"type": "static_select", "selected_option": {"value": "electrical"}}},
             "description": {"value": {"type": "plain_text_input", "value": f"exposed cord {i}"}},
             "location": {"value": {"type": "plain_text_input", "value": place or f"desk {i}"}}}
    payload = {"type": "view_submission", "user": {"id": user}, "team": {"id": "T1"}, "api_app_id": "A1",
               "view": {"id": f"VB{i:06d}-{time.time_ns()}", "type": "modal", "callback_id": "hazard_report",
                        "private_metadata": "{}", "state": {"values": state}}}
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def latency(kind: str, n: int) -> dict:
    """Both servers run side by side. Slash commands take turns, request by request: whatever else the machine
    does meanwhile (two shared cores) falls on both alike. Submissions go as before, all of one server's then
    the other's, each SafeShift one as soon as the card of the one before is at Slack (its DMs still going)."""
    fake = FakeSlack()
    servers = {"bare Bolt": bare(fake)}
    try:
        # one person files every report here: the per-person limit is off for the measurement
        servers["SafeShift"] = safeshift(fake, db_url(kind), "policy:\n  hazard: {rate_limit: null}\n",
                                         SAFESHIFT_CHANNEL_INTERVAL="0")
        for name, (_proc, port) in servers.items():
            for i in range(20):  # warm up
                post(port, slash_body(10_000 + i), "application/x-www-form-urlencoded", int(time.time()) - i - 1)
        got = {name: {"answer": [], "to_open": [], "sub_answer": [], "sub_card": []} for name in servers}
        for i in range(n):
            for name, (_proc, port) in servers.items():
                fake.calls.clear()
                status, t0, _ = post(port, slash_body(i), "application/x-www-form-urlencoded")
                t1 = time.time()
                assert status == 200
                opened = [c.at for c in fake.calls if c.method == "views.open"]
                got[name]["answer"].append(t1 - t0)
                got[name]["to_open"].append(opened[0] - t0)
        for name, (_proc, port) in servers.items():  # one after the other: the sender's work is part of it
            for i in range(n):
                fake.calls.clear()
                status, t0, _ = post(port, view_body(i), "application/x-www-form-urlencoded")
                t1 = time.time()
                assert status == 200
                got[name]["sub_answer"].append(t1 - t0)
                if name == "SafeShift":  # the next request comes once the card is at Slack (its DMs still going)
                    deadline = time.time() + 10
                    while time.time() < deadline:
                        cards = [c.at for c in fake.calls if c.method == "chat.postMessage"
                                 and c.params.get("channel") == "C0SAFETY" and c.params.get("blocks")
                                 and not c.params.get("thread_ts")]
                        if cards:
                            got[name]["sub_card"].append(cards[0] - t0)
                            break
                        time.sleep(0.001)
        out = {}
        for name, (proc, _port) in servers.items():
            g = got[name]
            out[name] = {
                "slash→HTTP answer p50/p95/p99 ms": pcts(g["answer"]),
                "slash→views.open p50/p95/p99 ms": pcts(g["to_open"]),
                "submission→HTTP answer (record + queued card) p50/p95/p99 ms": pcts(g["sub_answer"]),
                "submission→card at Slack p50/p95/p99 ms": pcts(g["sub_card"]) if g["sub_card"] else None,
                "rss_mb": psutil.Process(proc.pid).memory_info().rss / 2**20,
            }
    finally:
        for proc, _port in servers.values():
            proc.terminate()
            proc.wait(timeout=10)
        fake.close()
    return {"db": kind, "n": n, **out}


def burst(kind: str, reports: int, places: int, seconds: float, group: bool = True) -> dict:
    fake = FakeSlack()
    extra = "" if group else "policy:\n  hazard: {group_window: null}\n"
    url = db_url(kind)
    proc, port = safeshift(fake, url, extra)  # default pacing: ~1 post/s/channel after a burst of 4
    users = [f"U0B{k:05d}" for k in range(reports)]  # everyone reports once: 500 different people
    answers: list[float] = []
    lock = threading.Lock()
    t_start = time.time()

    def client(k: int):
        for i in range(k, reports, 4):
            target = t_start + i * seconds / reports
            time.sleep(max(0.0, target - time.time()))
            status, t0, _ = post(port, view_body(i, users[i], f"floor {i % places}"),
                                 "application/x-www-form-urlencoded", int(time.time()) - (i % 50))
            with lock:
                answers.append(time.time() - t0)
            assert status == 200

    threads = [threading.Thread(target=client, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    submitted = time.time() - t_start
    from storage.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT count(*), count(DISTINCT number) FROM report")).one()
    deadline = time.time() + 900
    while time.time() < deadline:
        with engine.connect() as conn:
            pending = conn.execute(text("SELECT count(*) FROM outbox WHERE status IN ('pending','sending')")).scalar()
        if pending == 0:
            break
        time.sleep(0.5)
    done = time.time() - t_start
    posts = sorted(c.at for c in fake.calls if c.method == "chat.postMessage" and c.params.get("channel") == "C0SAFETY")
    worst_second = max((sum(1 for q in posts if p <= q < p + 1) for p in posts), default=0)
    rate_limited = [c for c in fake.calls if c.status == 429]
    proc.terminate()
    proc.wait(timeout=10)
    engine.dispose()
    fake.close()
    return {"db": kind, "grouping": group, "reports": reports, "places": places, "submitted_in_s": round(submitted, 1),
            "stored": stored[0], "distinct_numbers": stored[1], "answer_p50_ms": pct(answers, 50),
            "answer_p99_ms": pct(answers, 99), "all_delivered_after_s": round(done, 1),
            "posts_to_safety_channel": len(posts), "most_posts_in_any_1s": worst_second,
            "dms": len([c for c in fake.calls if c.method == "chat.postMessage" and c.params["channel"].startswith("U")]),
            "updates": len([c for c in fake.calls if c.method == "chat.update"]), "429s": len(rate_limited)}


def memory(kind: str, big_db: str | None) -> dict:
    fake = FakeSlack()
    out = {"db": kind}
    current = db_url(kind)  # a restart's case: the schema is current, so Alembic is never loaded (issue 26)
    subprocess.run([sys.executable, "-m", "bot.cli", "db", "upgrade"], env=dict(os.environ, DATABASE_URL=current,
                   SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET), check=True, capture_output=True)
    for label, url in (("empty", db_url(kind)), ("empty, migrated before", current), ("1M reports", big_db)):
        if url is None:
            continue
        t0 = time.time()
        proc, port = safeshift(fake, url)
        started = time.time() - t0
        time.sleep(3)
        idle = psutil.Process(proc.pid).memory_info().rss / 2**20
        for i in range(50):
            post(port, view_body(i), "application/x-www-form-urlencoded", int(time.time()) - i)
        for i in range(20):
            body = json.dumps({"type": "event_callback", "event_id": f"EvM{i}", "team_id": "T1",
                               "event": {"type": "app_home_opened", "user": "U0OFFICER", "tab": "home"}})
            post(port, body, "application/json", int(time.time()) - 100 - i)
        time.sleep(2)
        busy = psutil.Process(proc.pid).memory_info().rss / 2**20
        proc.terminate()
        proc.wait(timeout=10)
        out[label] = {"start_s": round(started, 1), "rss_idle_mb": round(idle, 1),
                      "rss_after_50_reports_20_home_tabs_mb": round(busy, 1)}
    fake.close()
    return out


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc/PID/stat (fields 14 and 15, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _sql_counts(proc, path: Path) -> dict:
    """The server's SQL counts so far, per thread (bench/counted_serve.py writes them on SIGUSR1)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    proc.send_signal(signal.SIGUSR1)
    deadline = time.time() + 10
    while time.time() < deadline:
        if path.exists() and path.stat().st_mtime_ns != before:
            return json.loads(path.read_text())
        time.sleep(0.02)
    raise RuntimeError("the server wrote no counts")


def _delta(after: dict, before: dict) -> dict:
    out = {}
    for thread, counts in after.items():
        d = {k: v - before.get(thread, {}).get(k, 0) for k, v in counts.items()}
        if any(d.values()):
            out[thread] = d
    return out


def _pg_commits(url: str) -> int | None:
    """xact_commit of the bench database (read from the server's own database, so this read is not counted)."""
    if not url.startswith("postgresql"):
        return None
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    name = make_url(url).database
    admin = create_engine(PG, poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_stat_clear_snapshot()"))
            return conn.execute(text("SELECT xact_commit FROM pg_stat_database WHERE datname = :n"), {"n": name}).scalar()
    finally:
        admin.dispose()


def idle(kind: str, seconds: float) -> dict:
    """`serve --http` with nothing to do: SQL transactions and statements, and CPU, over `seconds`; then a report
    filed over HTTP (its card at Slack how soon after the answer), and a timer moved by another process (this one)
    to a moment 3 s ahead: when it fires, compared with its moment (the cross-process wake)."""
    import datetime as dt

    from storage.db import make_engine

    fake = FakeSlack()
    url = db_url(kind)
    counts = Path(tempfile.mkdtemp()) / "counts.json"
    proc, port = safeshift(fake, url, counted=str(counts))
    engine = make_engine(url)
    out: dict = {"db": kind, "seconds": seconds}
    try:
        # reports, so there are pending timers (minutes away) and posted cards while idle; each card's delay after the
        # HTTP answer is the in-process wake (the request's commit wakes the sender once the answer is written)
        delays = []
        for i in range(5):
            fake.calls.clear()
            status, t0, _ = post(port, view_body(i), "application/x-www-form-urlencoded")
            answered = time.time()
            assert status == 200
            deadline = time.time() + 30
            card = None
            while time.time() < deadline and card is None:
                card = next((c.at for c in fake.calls if c.method == "chat.postMessage" and c.params.get("channel")
                             == "C0SAFETY" and c.params.get("blocks") and not c.params.get("thread_ts")), None)
                time.sleep(0.002)
            delays.append(round((card - answered) * 1000, 1) if card else None)
            time.sleep(1.5)  # the channel's pace (1 post/s) is not what is measured
        out["reports: HTTP answer → card at Slack, ms"] = delays
        time.sleep(5)  # settle: the report's DMs, the Home, start-up's catch-up
        calls = len(fake.calls)
        sql0, cpu0, pg0, t_0 = _sql_counts(proc, counts), _cpu_seconds(proc.pid), _pg_commits(url), time.time()
        time.sleep(seconds)
        sql1, cpu1, pg1, t_1 = _sql_counts(proc, counts), _cpu_seconds(proc.pid), _pg_commits(url), time.time()
        window = t_1 - t_0
        delta = _delta(sql1, sql0)
        out["idle: SQL transactions / statements (all threads)"] = (
            sum(d.get("transactions", 0) for d in delta.values()), sum(d.get("statements", 0) for d in delta.values()))
        out["idle: per thread"] = delta
        if pg0 is not None:
            out["idle: PostgreSQL xact_commit delta"] = pg1 - pg0
        out["idle: CPU %"] = round(100 * (cpu1 - cpu0) / window, 3)
        out["idle: Slack calls"] = len(fake.calls) - calls
        # the cross-process wake: this process moves the report's next pending timer to 3 s from now
        from sqlalchemy import select, update

        from storage.models import Timer

        with engine.begin() as conn:
            tid, fire = conn.execute(select(Timer.id, Timer.fire_at).where(Timer.status == "pending")
                                     .order_by(Timer.fire_at).limit(1)).one()
            moment = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=3)
            conn.execute(update(Timer).where(Timer.id == tid).values(fire_at=moment, due_at=moment))
        out["timer moved by another process: was due in s"] = round((fire - moment).total_seconds() + 3, 1)
        deadline = time.time() + 120
        fired = None
        while time.time() < deadline and fired is None:
            time.sleep(0.05)
            with engine.connect() as conn:
                fired = conn.execute(select(Timer.fired_at).where(Timer.id == tid, Timer.status != "pending")).scalar()
        out["timer moved by another process: fired after its moment, s"] = (
            round((fired - moment).total_seconds(), 3) if fired else "not within 120 s")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        engine.dispose()
        fake.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["latency", "burst", "memory", "idle"])
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("-n", type=int, default=300)
    ap.add_argument("--reports", type=int, default=500)
    ap.add_argument("--places", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--no-grouping", action="store_true")
    ap.add_argument("--big-db", default=None)
    a = ap.parse_args()
    if a.what == "latency":
        print(json.dumps(latency(a.db, a.n), ensure_ascii=False, indent=1))
    elif a.what == "burst":
        print(json.dumps(burst(a.db, a.reports, a.places, a.seconds, not a.no_grouping), indent=1))
    elif a.what == "idle":
        print(json.dumps(idle(a.db, a.seconds), ensure_ascii=False, indent=1))
    else:
        print(json.dumps(memory(a.db, a.big_db), indent=1))


if __name__ == "__main__":
    main()
