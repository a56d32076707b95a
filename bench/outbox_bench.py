"""Delivery to Slack under Slack's real limits (issue 26). Figures go to docs/BENCHMARKS.md.

    python bench/outbox_bench.py level1  --db sqlite|postgres [--runs 3 --backlog 30]
    python bench/outbox_bench.py outage  --db sqlite|postgres [--runs 3 --down 30 --reports 4]
    python bench/outbox_bench.py fanout  --db sqlite|postgres [--people 1000]

- level1: `safeshift serve` (a process of its own, default pacing) with Slack stood in by `LimitedSlack`, which
  answers 429 with Retry-After as Slack does past one post a second per channel (no burst promised). 30 routine
  reports are filed, then a level-1 one: submit → its card at Slack, → its pages (the people and channels its
  level notifies) at Slack; the 429s Slack answered while the queue drained.
- outage: Slack answers 503 for `--down` seconds while `--reports` reports are filed; from the moment it is back:
  → the last row delivered (the outbox empty).
- fanout: in process, 1,000 pre-shift self-checks issued (the checks kind's job) and their DMs delivered by the
  sender (Slack not limiting): CPU of the thread doing it (`time.thread_time`, the stand-in's threads excluded),
  and a bare loop of 1,000 `chat.postMessage` calls through the same client as the anchor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import statistics
import string
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "bench"))

from sqlalchemy import text  # noqa: E402

from tests.fakeslack import FakeSlack  # noqa: E402


class LimitedSlack(FakeSlack):
    """The stand-in that enforces Slack's limit on posts: at most one `chat.postMessage` per channel per
    `spacing` seconds; past it, HTTP 429 `ratelimited` with `Retry-After` in whole seconds (as Slack sends it).
    A refused post does not count against the channel. No burst is allowed."""

    def __init__(self, *args, spacing: float = 1.0, **kwargs):
        self.spacing = spacing
        self._last_post: dict[str, float] = {}
        self._limit_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def _answer(self, method, params, auth=""):
        if method == "chat.postMessage" and not self.down:
            channel = str(params.get("channel") or "")
            now = time.time()
            with self._limit_lock:
                last = self._last_post.get(channel)
                if last is not None and now - last < self.spacing:
                    wait = max(1, math.ceil(self.spacing - (now - last)))
                    return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(wait)}, 0
                self._last_post[channel] = now
        return super()._answer(method, params, auth)


def loadavg() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, max(0, int(round(p / 100 * (len(v) - 1)))))] if v else float("nan")


def _view(i: int, user: str, level: int, category: str, description: str, place: str) -> str:
    state = {"level": {"value": {"type": "radio_buttons", "selected_option": {"value": str(level)}}},
             "category": {"value": {"type": "static_select", "selected_option": {"value": category}}},
             "description": {"value": {"type": "plain_text_input", "value": description}},
             "location": {"value": {"type": "plain_text_input", "value": place}}}
    payload = {"type": "view_submission", "user": {"id": user}, "team": {"id": "T1"}, "api_app_id": "A1",
               "view": {"id": f"VO{i:06d}-{time.time_ns()}", "type": "modal", "callback_id": "hazard_report",
                        "private_metadata": "{}", "state": {"values": state}}}
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def _serve(fake, kind: str):
    from load import db_url, safeshift  # bench/load.py: `safeshift serve --http` as a process of its own

    url = db_url(kind)
    # many people file here at once: the per-person limit and grouping by place are off for the measurement
    proc, port = safeshift(fake, url, "policy:\n  hazard: {rate_limit: null, group_window: null}\n",
                           PYTHONPATH=str(ROOT))
    return proc, port, url


def _file(port: int, i: int, level: int, description: str, user: str | None = None, category: str = "equipment"):
    from load import post

    body = _view(i, user or f"U0R{i:05d}", level, category, description, f"desk {i}")
    status, _t0, raw = post(port, body, "application/x-www-form-urlencoded", int(time.time()) - (i % 50))
    assert status == 200, raw


def _outbox_empty(url: str, timeout: float) -> float | None:
    from storage.db import make_engine

    engine = make_engine(url)
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            with engine.connect() as conn:
                left = conn.execute(text("SELECT count(*) FROM outbox WHERE status IN ('pending','sending')")).scalar()
            if left == 0:
                return time.time()
            time.sleep(0.05)
        return None
    finally:
        engine.dispose()


def level1(kind: str, backlog: int) -> dict:
    fake = LimitedSlack()
    proc, port, url = _serve(fake, kind)
    try:
        load_before = loadavg()
        t_start = time.time()
        for i in range(backlog):
            _file(port, i, 3, f"loose screw {i}")
        time.sleep(0.5)  # the sender has started on the backlog
        # letters only: digits in a description may be masked as personal numbers on the card
        marker = "smoke from the UPS " + "".join(random.choice(string.ascii_lowercase) for _ in range(12))
        t0 = time.time()
        _file(port, 9999, 1, marker, user="U0AGENT1", category="fire")
        answered = time.time() - t0
        deadline = time.time() + 60
        card = pages = None
        while time.time() < deadline and (card is None or pages is None):
            with fake._lock:
                calls = list(fake.calls)
            mine = [c for c in calls if c.status == 200 and c.method == "chat.postMessage"
                    and marker in json.dumps(c.params, ensure_ascii=False)]
            cards = [c.at for c in mine if c.params.get("channel") == "C0SAFETY" and not c.params.get("thread_ts")]
            paged = [c for c in mine if c.params.get("channel") != "C0SAFETY"]
            if cards:
                card = cards[0] - t0
            if len({c.params.get("channel") for c in paged}) >= 2:  # level 1: security and the leadership channel
                pages = max(c.at for c in paged) - t0
            time.sleep(0.01)
        drained = _outbox_empty(url, 120)
        with fake._lock:
            calls = list(fake.calls)
        refused = [c for c in calls if c.status == 429]
        posts = [c for c in calls if c.method == "chat.postMessage" and c.status == 200]
        return {"db": kind, "backlog": backlog, "answer_s": round(answered, 3),
                "card_s": None if card is None else round(card, 3),
                "pages_s": None if pages is None else round(pages, 3),
                "429s": len(refused), "posts": len(posts),
                "drained_s": None if drained is None else round(drained - t_start, 1),
                "load": f"{load_before} → {loadavg()}"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        fake.close()


def outage(kind: str, down: float, reports: int) -> dict:
    fake = LimitedSlack()
    proc, port, url = _serve(fake, kind)
    try:
        load_before = loadavg()
        fake.down = True
        t_down = time.time()
        for i in range(reports):
            _file(port, i, 2, f"exposed cord {i}")
        time.sleep(max(0.0, t_down + down - time.time()))
        with fake._lock:
            during = len(fake.calls)
        fake.down = False
        back = time.time()
        drained = _outbox_empty(url, 120)
        with fake._lock:
            calls = list(fake.calls)
        ok = [c.at for c in calls if c.status == 200 and c.at >= back]
        return {"db": kind, "down_s": down, "reports": reports, "calls_while_down": during,
                "drained_after_s": None if drained is None else round(drained - back, 2),
                "last_delivery_after_s": round(max(ok) - back, 2) if ok else None,
                "first_delivery_after_s": round(min(ok) - back, 2) if ok else None,
                "429s": len([c for c in calls if c.status == 429]), "load": f"{load_before} → {loadavg()}"}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        fake.close()


def fanout(kind: str, people: int) -> dict:
    from slack_sdk import WebClient

    from bot import compose

    compose.install()
    from bench import fresh_engine  # bench/bench.py
    from bot.checks import shifts
    from bot.clock import SystemClock
    from bot.context import Context
    from bot.outbox import Sender
    from storage.db import session_scope
    from tests.conftest import ORG_YAML, org_from

    members = [f"UF{i:06d}" for i in range(people)]
    base = ORG_YAML + f"  - {{name: Floor, supervisors: [U0SUPA], members: [{', '.join(members)}], " \
                      "shifts: [{name: Day, start: '08:00', end: '16:00', days: every_day}]}\n"
    org = org_from(base=base)
    engine = fresh_engine(kind)
    ctx = Context(org=org, engine=engine, clock=SystemClock())
    job = next(name for name, j in shifts.jobs(org).items() if j.kind == "pre_shift" and j.phase == "issue"
               and j.team == "Floor")
    fake = FakeSlack()
    client = WebClient(token="xoxb-test", base_url=fake.url, retry_handlers=[], timeout=10)
    try:
        load_before = loadavg()
        c0, w0 = time.thread_time(), time.perf_counter()
        with session_scope(engine) as s:
            shifts.run(ctx, s, job, dt.datetime.now(dt.timezone.utc))
        c1, w1 = time.thread_time(), time.perf_counter()
        sender = Sender(engine, client, SystemClock(), channel_interval=0)
        while sender.run_once():
            pass
        c2, w2 = time.thread_time(), time.perf_counter()
        delivered = len([c for c in fake.calls if c.method == "chat.postMessage" and c.status == 200])
        with engine.connect() as conn:
            sent = conn.execute(text("SELECT count(*) FROM outbox WHERE status = 'sent'")).scalar()
        fake.calls.clear()
        c3 = time.thread_time()
        for user in members:
            client.api_call("chat.postMessage", json={"channel": user, "text": "check your workstation"})
        c4 = time.thread_time()
        return {"db": kind, "people": people, "delivered": delivered, "rows_sent": sent,
                "issue_cpu_s": round(c1 - c0, 2), "issue_wall_s": round(w1 - w0, 2),
                "deliver_cpu_s": round(c2 - c1, 2), "deliver_wall_s": round(w2 - w1, 2),
                "cpu_per_message_ms": round((c2 - c0) / max(1, delivered) * 1000, 2),
                "bare_loop_cpu_s": round(c4 - c3, 2), "load": f"{load_before} → {loadavg()}"}
    finally:
        fake.close()
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["level1", "outage", "fanout"])
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--backlog", type=int, default=30)
    ap.add_argument("--down", type=float, default=30)
    ap.add_argument("--reports", type=int, default=4)
    ap.add_argument("--people", type=int, default=1000)
    a = ap.parse_args()
    results = []
    for _ in range(a.runs if a.what != "fanout" else 1):
        if a.what == "level1":
            results.append(level1(a.db, a.backlog))
        elif a.what == "outage":
            results.append(outage(a.db, a.down, a.reports))
        else:
            results.append(fanout(a.db, a.people))
        print(json.dumps(results[-1]), flush=True)
    keys = [k for k, v in results[0].items() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if len(results) > 1:
        print(json.dumps({"median": {k: statistics.median(r[k] for r in results if r[k] is not None)
                                     for k in keys if any(r[k] is not None for r in results)}}), flush=True)


if __name__ == "__main__":
    main()
