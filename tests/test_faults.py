"""Faults: Slack down or slow, the process killed, the database away, double deliveries."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import event, exc, func, select

from storage.db import session_scope
from storage.models import AuditEvent, OutboxMessage, Report
from tests.conftest import ORG_YAML, SECRET, TOKEN, org_from, start_bot, stop_bot, wait_until
from tests.fakeslack import FakeSlack, Scripted


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stored_cards(fake: FakeSlack) -> dict[str, int]:
    seen: dict[str, int] = {}
    for m in fake.messages.get("C0SAFETY", []):
        found = re.search(r"HZ-\d{4}-\d{5}", m.get("text") or "")
        if m.get("thread_ts") is None and found:  # top-level posts in the safety channel are cards
            seen[found.group(0)] = seen.get(found.group(0), 0) + 1
    return seen


def test_slack_refusing_connections_then_back_delivers_everything_once_in_order(db_url):
    port = free_port()
    fake = FakeSlack(port)
    fake.close()  # nothing listens: connection refused
    bot = start_bot(db_url, fake, org_from(), SAFESHIFT_SEND_TIMEOUT=1)
    try:
        t0 = time.time()
        for i in range(3):
            bot.report("U0AGENT1", description=f"hazard {i}", location=f"desk {i}")
        with session_scope(bot.ctx.engine) as s:
            numbers = [r.number for r in s.execute(select(Report).order_by(Report.id)).scalars()]
        status, _ = bot.click("U0SUPA", "hazard_ack", numbers[0])
        assert status == 200
        assert time.time() - t0 < 3  # people were answered while Slack was away
        time.sleep(1.5)
        fake = FakeSlack(port)  # Slack is back
        bot.fake = fake
        bot.drain(timeout=40)
        assert stored_cards(fake) == {n: 1 for n in numbers}
        # in order for each item: the card, then its update, then the thread line
        order = [c.method for c in fake.calls if c.method in ("chat.postMessage", "chat.update")
                 and (numbers[0] in json.dumps(c.params, ensure_ascii=False))]
        assert order.index("chat.update") > order.index("chat.postMessage")
    finally:
        stop_bot(bot)
        fake.close()


def test_answers_slower_than_the_timeout_do_not_double_post(db_url, fake_slack):
    fake_slack.script("chat.postMessage", Scripted(delay=2.0), Scripted(delay=2.0))
    bot = start_bot(db_url, fake_slack, org_from(), SAFESHIFT_SEND_TIMEOUT=0.5)
    try:
        bot.report("U0AGENT1")
        bot.drain(timeout=30)
        # the slow answers finish arriving: every post Slack stored (at the start of its call) has been answered
        wait_until(lambda: len(fake_slack.of("chat.postMessage", ok_only=False))
                   == sum(len(v) for v in fake_slack.messages.values()), what="the slow answers to arrive")
        with session_scope(bot.ctx.engine) as s:
            number = s.execute(select(Report.number)).scalar_one()
        assert stored_cards(fake_slack) == {number: 1}
        dms = fake_slack.messages.get("D0AGENT1", [])
        assert len(dms) == 1
        assert len(fake_slack.of("conversations.history")) >= 1  # it looked before posting again
    finally:
        stop_bot(bot)


def test_database_away_clear_answers_fast_nothing_half_written_then_recovers(bot):
    engine = bot.ctx.engine
    down = threading.Event()

    @event.listens_for(engine, "before_cursor_execute")
    def fail(conn, cursor, statement, params, context, executemany):
        if down.is_set():
            raise exc.OperationalError(statement, params, ConnectionError("database unreachable"))

    try:
        down.set()
        t0 = time.time()
        status, body = bot.submit("U0AGENT1", {"level": "2", "category": "fire", "description": "smoke"})
        assert status == 200 and body["response_action"] == "errors"
        assert "数据库" in json.dumps(body, ensure_ascii=False)
        status, body = bot.slash("U0AGENT1", "status HZ-2026-00001")
        assert status == 200 and "数据库" in body["text"]
        status, _ = bot.click("U0SUPA", "hazard_ack", "HZ-2026-00001")
        assert status == 200
        status, _ = bot.slash("U0AGENT1", "")  # the form still opens
        assert status == 200 and bot.fake.of("views.open")
        assert time.time() - t0 < 3
        import urllib.error
        import urllib.request

        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{bot.port}/healthz", timeout=5)
        assert err.value.code == 503
        eph = bot.fake.wait_for(lambda c: c.method == "chat.postEphemeral")
        assert "数据库" in eph[0].params["text"]
    finally:
        down.clear()
    with session_scope(engine) as s:
        assert s.execute(select(func.count()).select_from(Report)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(OutboxMessage)).scalar_one() <= 1
    bot.report("U0AGENT1")  # service resumes by itself
    bot.drain()
    assert stored_cards(bot.fake)


def test_double_click_and_parallel_acknowledgements_change_state_once(bot):
    bot.report("U0AGENT1")
    with session_scope(bot.ctx.engine) as s:
        number = s.execute(select(Report.number)).scalar_one()
    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(lambda who: bot.click(who, "hazard_ack", number)[0],
                                ["U0SUPA", "U0SUPA", "U0OFFICER", "U0HEAD", "U0SUPA", "U0DEPUTY"]))
    assert results == [200] * 6
    bot.drain()
    with session_scope(bot.ctx.engine) as s:
        acks = s.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "acknowledged")).scalar_one()
    assert acks == 1
    assert len(bot.fake.of("chat.update")) == 1
    assert len(bot.fake.of("chat.postEphemeral")) == 5


def test_a_retried_slash_command_changes_nothing(bot):
    import urllib.parse

    from tests.conftest import sign

    fields = {"command": "/hazard", "text": "loose cable", "user_id": "U0AGENT1", "channel_id": "C0TEAMA",
              "trigger_id": "trig-same", "team_id": "T1"}
    body = urllib.parse.urlencode(fields)
    signed = sign(body, int(time.time()) - 2)  # signed once: the second request is the same bytes and signature
    for retry in (None, "1"):
        h = dict(signed, **({"X-Slack-Retry-Num": retry} if retry else {}))
        # Slack retries only Events API deliveries: a command carrying the retry header is refused as a replay.
        assert bot.post(body, "application/x-www-form-urlencoded", signed=False, headers=h)[0] == (401 if retry else 200)
    with session_scope(bot.ctx.engine) as s:
        assert s.execute(select(func.count()).select_from(Report)).scalar_one() == 0


FAST = """
policy:
  hazard:
    levels:
      2: {respond_within: 8s, ignore_working_hours: true}  # the real clock: any hour of the day
"""


@pytest.mark.waits
def test_sigkill_mid_work_loses_nothing_posts_nothing_twice_and_escalations_resume(db_url, tmp_path, fake_slack):
    org = tmp_path / "org.yaml"
    org.write_text(ORG_YAML + FAST, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SAFESHIFT_"))}
    env.update({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "DATABASE_URL": db_url,
                "SLACK_API_URL": fake_slack.url, "SAFESHIFT_CONFIG": str(org), "SAFESHIFT_SEND_TIMEOUT": "1",
                "SAFESHIFT_CHANNEL_INTERVAL": "0", "SAFESHIFT_LOG_LEVEL": "WARNING"})
    from tests.test_processes import _post_view, _wait_healthy

    # Slack is slow: every post takes 0.7 s, so work is in flight when the process dies.
    fake_slack.script("chat.postMessage", *[Scripted(delay=0.7) for _ in range(6)])
    port = free_port()
    cmd = [sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port", str(port)]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_healthy(port, proc)
        t0 = int(time.time())
        for i in range(5):
            status, answer = _post_view(port, f"U0AGENT{1 + i % 2}", f"VKILL{i}", timestamp=t0 - i,
                                        location=f"room {i}")
            assert status == 200 and answer["response_action"] == "update"
        submitted = time.time()
        time.sleep(1.0)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=5)
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _wait_healthy(port, proc)
        # rung 0 (responders by DM) of every report is due 8 s after its report
        deadline = submitted + 8
        fake_slack.wait_for(lambda c: c.params.get("channel") == "U0SUPA" and "尚未响应" in str(c.params.get("text")),
                            timeout=30)
        first_dm = min(c.at for c in fake_slack.calls if c.params.get("channel") == "U0SUPA"
                       and "尚未响应" in str(c.params.get("text")))
        assert first_dm - deadline < 5  # on time, although the process died meanwhile
        time.sleep(10)  # leases of the killed process expire; its rows are looked up and not re-posted
        from storage.db import make_engine

        engine = make_engine(db_url)
        with session_scope(engine) as s:
            numbers = [n for (n,) in s.execute(select(Report.number)).all()]
        engine.dispose()
        assert len(numbers) == 5
        assert stored_cards(fake_slack) == {n: 1 for n in numbers}
        reminders = [m for m in fake_slack.messages.get("D0SUPA", []) if "尚未响应" in (m.get("text") or "")]
        assert len(reminders) == 5
    finally:
        proc.kill()
        proc.wait(timeout=5)


def test_a_card_whose_post_failed_for_good_is_posted_once_by_its_next_update(bot):
    bot.fake.script("chat.postMessage", Scripted(status=200, body={"ok": False, "error": "channel_not_found"}))
    bot.report("U0AGENT1", location="desk 40")
    bot.drain()
    with session_scope(bot.ctx.engine) as s:
        number = s.execute(select(Report.number)).scalar_one()
    bot.click("U0SUPA", "hazard_ack", number)
    bot.drain()
    bot.click("U0SUPA", "hazard_resolve", number)
    from bot import prefs  # noqa: F401
    from bot.hazards import (  # noqa: F401
        create,
        forms,  # noqa: F401
        lookups,
        transitions,
    )
    from bot.hazards.kinds import kind  # noqa: F401

    transitions.resolve(bot.ctx, number, "U0SUPA", "fixed")
    bot.drain()
    assert stored_cards(bot.fake) == {number: 1}  # the acknowledge update posted it; the resolve update edited it
    assert len(bot.fake.of("chat.update")) == 1
