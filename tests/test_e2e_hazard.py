"""The hazard flow end to end: signed HTTP into POST /slack/events, Slack faked and recorded."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from storage.db import session_scope
from storage.models import AuditEvent, Report
from tests.conftest import org_from, start_bot, stop_bot
from tests.fakeslack import Scripted

NUMBER = re.compile(r"^HZ-\d{4}-\d{5}$")


def _reports(bot):
    with session_scope(bot.ctx.engine) as s:
        return s.execute(select(Report).order_by(Report.id)).scalars().all()


def _card_posts(bot):
    return [c for c in bot.fake.of("chat.postMessage") if c.params.get("channel") == "C0SAFETY"
            and "thread_ts" not in c.params and c.params.get("blocks")]


def test_whole_flow_report_acknowledge_thread_status(bot):
    fake = bot.fake
    # 1. /hazard with text opens the form at once, description prefilled.
    status, body = bot.slash("U0AGENT1", "exposed power cord under desk 12")
    assert status == 200
    opened = fake.of("views.open")
    assert len(opened) == 1
    view = opened[0].params["view"]
    assert view["callback_id"] == "hazard_report"
    desc_block = next(b for b in view["blocks"] if b.get("block_id") == "description")
    assert desc_block["element"]["initial_value"] == "exposed power cord under desk 12"
    level_block = next(b for b in view["blocks"] if b.get("block_id") == "level")
    assert [o["value"] for o in level_block["element"]["options"]] == ["1", "2", "3"]
    assert all(o.get("description") for o in level_block["element"]["options"])  # the policy's hints

    # 2. Submit: stored, numbered, card posted, reporter confirmed.
    answer = bot.report("U0AGENT1", level=2, location="row 3 desk 12")
    assert answer["response_action"] == "update"
    reports = _reports(bot)
    assert len(reports) == 1
    r = reports[0]
    assert NUMBER.match(r.number) and r.number.endswith("-00001")
    assert r.status == "open" and r.team == "Hotline A"
    assert r.number in json.dumps(answer["view"], ensure_ascii=False)
    bot.drain()
    cards = _card_posts(bot)
    assert len(cards) == 1
    card = json.dumps(cards[0].params["blocks"], ensure_ascii=False)
    for expected in (r.number, "row 3 desk 12", "<@U0AGENT1>", "hazard_ack", "hazard_resolve", "北京时间（UTC+8）"):
        assert expected in card
    due_local = r.respond_due_at.astimezone(bot.ctx.org.tz).strftime("%Y-%m-%d %H:%M")
    assert due_local in card
    dm = [c for c in fake.of("chat.postMessage") if c.params["channel"] == "U0AGENT1"]
    assert len(dm) == 1 and r.number in dm[0].params["text"]

    # 3a. An agent may not acknowledge: ephemeral refusal, nothing changes.
    bot.click("U0AGENT2", "hazard_ack", r.number)
    bot.drain()
    eph = fake.of("chat.postEphemeral")
    assert len(eph) == 1 and eph[0].params["user"] == "U0AGENT2"
    assert _reports(bot)[0].status == "open"
    assert not fake.of("chat.update")

    # 3b. The team's supervisor acknowledges: card updated in place, a line in its thread.
    status, _ = bot.click("U0SUPA", "hazard_ack", r.number)
    assert status == 200
    bot.drain()
    r = _reports(bot)[0]
    assert r.status == "acknowledged" and r.acknowledged_by == "U0SUPA"
    updates = fake.of("chat.update")
    assert len(updates) == 1
    assert updates[0].params["channel"] == "C0SAFETY"
    updated = json.dumps(updates[0].params["blocks"], ensure_ascii=False)
    assert "<@U0SUPA>" in updated and "hazard_ack" not in updated
    thread_lines = [c for c in fake.of("chat.postMessage") if c.params.get("thread_ts")]
    assert any("<@U0SUPA>" in c.params["text"] and r.number in c.params["text"] for c in thread_lines)
    assert all(c.params["thread_ts"] == updates[0].params["ts"] for c in thread_lines)

    # 3c. A second acknowledgement changes nothing and says so.
    bot.click("U0OFFICER", "hazard_ack", r.number)
    bot.drain()
    assert len(fake.of("chat.update")) == 1
    refusals = fake.of("chat.postEphemeral")
    assert len(refusals) == 2 and refusals[-1].params["user"] == "U0OFFICER"

    # 4. A reply in the card's thread joins the timeline; the bot's own messages do not.
    thread_ts = updates[0].params["ts"]
    bot.event({"type": "message", "channel": "C0SAFETY", "user": "U0SUPA", "text": "on my way <!channel>",
               "ts": "1800000000.000300", "thread_ts": thread_ts})
    bot.event({"type": "message", "channel": "C0SAFETY", "bot_id": "BBOT", "text": "bot line",
               "ts": "1800000000.000400", "thread_ts": thread_ts})
    with session_scope(bot.ctx.engine) as s:
        comments = s.execute(select(AuditEvent).where(AuditEvent.action == "comment")).scalars().all()
    assert [c.note for c in comments] == ["on my way <!channel>"]

    # 5. /hazard status shows state and timeline to the asker; the user text is escaped.
    status, body = bot.slash("U0AGENT1", f"status {r.number}")
    assert status == 200
    shown = json.dumps(body, ensure_ascii=False)
    assert r.number in shown and "on my way &lt;!channel&gt;" in shown and "<!channel>" not in shown
    assert body.get("response_type") == "ephemeral"


def test_mine_help_unknown_number_and_bad_number(bot):
    bot.report("U0AGENT1")
    status, body = bot.slash("U0AGENT1", "mine")
    assert status == 200 and "-00001" in json.dumps(body)
    status, body = bot.slash("U0AGENT2", "mine")
    assert "-00001" not in json.dumps(body)
    status, body = bot.slash("U0AGENT1", "help")
    assert "/hazard status" in body["text"]
    status, body = bot.slash("U0AGENT1", "status HZ-2026-99999")
    assert "HZ-2026-99999" in body["text"] and body.get("blocks") is None
    status, body = bot.slash("U0AGENT1", "status nonsense")
    assert "nonsense" in body["text"]
    assert not bot.fake.of("views.open")


def test_language_switch_per_user(bot):
    status, body = bot.slash("U0AGENT1", "lang en")
    assert body["text"] == "Language set to English."
    bot.slash("U0AGENT1", "")
    view = bot.fake.of("views.open")[-1].params["view"]
    assert view["title"]["text"] == "Report a hazard"
    bot.slash("U0AGENT2", "")
    view = bot.fake.of("views.open")[-1].params["view"]
    assert view["title"]["text"] == "上报隐患"


def test_invalid_submission_gets_inline_errors_and_stores_nothing(bot):
    status, body = bot.submit("U0AGENT1", {"level": "9", "category": "nope", "description": "   \u200b ",
                                           "location": "x" * 500})
    assert status == 200
    assert body["response_action"] == "errors"
    assert set(body["errors"]) == {"level", "category", "description", "location"}
    assert _reports(bot) == []
    bot.drain()
    assert not bot.fake.of("chat.postMessage")


def test_same_view_submitted_twice_makes_one_report(bot):
    a = bot.report("U0AGENT1", view_id="VSAME1")
    b = bot.report("U0AGENT1", view_id="VSAME1")
    assert len(_reports(bot)) == 1
    assert a["view"]["blocks"] == b["view"]["blocks"]
    bot.drain()
    assert len(_card_posts(bot)) == 1


@pytest.fixture
def roomy_bot(db_url, fake_slack):
    """The bot with the per-person limit raised: three people file fifty reports here."""
    b = start_bot(db_url, fake_slack, org_from("hazard: {rate_limit: {max: 100, window: 10m, exempt_levels: [1]}}"))
    yield b
    stop_bot(b)


def test_fifty_parallel_reports_get_fifty_distinct_numbers(roomy_bot):
    bot = roomy_bot
    users = ["U0AGENT1", "U0AGENT2", "U0AGENT3"]
    with ThreadPoolExecutor(max_workers=16) as pool:
        list(pool.map(lambda i: bot.report(users[i % 3], description=f"hazard {i}", location=f"desk {i}"), range(50)))
    reports = _reports(bot)
    numbers = [r.number for r in reports]
    assert len(numbers) == 50 and len(set(numbers)) == 50
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 51))
    bot.drain(timeout=30)
    assert len(_card_posts(bot)) == 50


def test_forged_and_stale_signatures_are_refused_and_nothing_stored(bot):
    import urllib.parse

    body = urllib.parse.urlencode({"command": "/hazard", "text": "help", "user_id": "U0AGENT1", "trigger_id": "t"})
    status, _ = bot.post(body, "application/x-www-form-urlencoded", signed=False,
                         headers={"X-Slack-Request-Timestamp": str(int(time.time())), "X-Slack-Signature": "v0=bad"})
    assert status == 401
    status, _ = bot.form({"command": "/hazard", "text": "", "user_id": "U0AGENT1", "trigger_id": "t"},
                         timestamp=int(time.time()) - 600)
    assert status == 401
    status, _ = bot.post("{}", "application/json", signed=False)
    assert status == 401
    # a view submission with a forged signature stores nothing
    payload = {"type": "view_submission", "user": {"id": "U0AGENT1"}, "view": {"id": "VX", "callback_id": "hazard_report",
               "state": {"values": {}}}}
    status, _ = bot.post(urllib.parse.urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded",
                         signed=False, headers={"X-Slack-Request-Timestamp": str(int(time.time())),
                                                "X-Slack-Signature": "v0=" + "0" * 64})
    assert status == 401
    assert _reports(bot) == []
    assert not bot.fake.of("views.open")


def test_event_delivered_again_is_recorded_once(bot):
    bot.report("U0AGENT1")
    bot.drain()
    channel = "C0SAFETY"
    with session_scope(bot.ctx.engine) as s:
        from storage.models import SlackMessage

        msg = s.execute(select(SlackMessage)).scalars().first()
    event = {"type": "message", "channel": channel, "user": "U0SUPA", "text": "checking", "ts": "1900000000.1",
             "thread_ts": msg.ts}
    for retry in (None, "1", "2"):
        headers = {"X-Slack-Retry-Num": retry, "X-Slack-Retry-Reason": "http_timeout"} if retry else None
        status, _ = bot.event(event, event_id="EvSAME", headers=headers)
        assert status == 200
    with session_scope(bot.ctx.engine) as s:
        n = s.execute(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "comment")).scalar_one()
    assert n == 1


def test_slack_500_then_429_then_ok_delivers_card_exactly_once(bot):
    fake = bot.fake
    fake.script("chat.postMessage",
                Scripted(status=500, body={"ok": False, "error": "internal_error"}),
                Scripted(status=429, body={"ok": False, "error": "ratelimited"}, headers={"Retry-After": "1"}))
    t0 = time.time()
    bot.report("U0AGENT1")
    bot.drain(timeout=20)
    cards = [c for c in fake.of("chat.postMessage", ok_only=False) if c.params.get("channel") == "C0SAFETY"
             and c.params.get("blocks")]
    statuses = [c.status for c in cards]
    assert statuses == [500, 429, 200]
    assert len(_card_posts(bot)) == 1
    # Retry-After was honoured: the successful post came at least a second after the 429.
    assert cards[2].at - cards[1].at >= 0.95
    assert time.time() - t0 < 20


def test_healthz_and_unknown_paths(bot):
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{bot.port}/healthz", timeout=5) as resp:
        assert resp.status == 200 and json.loads(resp.read())["ok"] is True
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{bot.port}/nope", timeout=5)
        raise AssertionError("expected 404")
    except urllib.error.HTTPError as err:
        assert err.code == 404


def test_oversized_request_refused_before_any_work(bot):
    status, _ = bot.post("x" * (1024 * 1024 + 10), "application/x-www-form-urlencoded")
    assert status == 413
    assert _reports(bot) == []


def test_an_exact_replay_is_refused_and_a_retry_header_only_excuses_events(bot):
    import urllib.parse

    body = urllib.parse.urlencode({"command": "/hazard", "text": "help", "user_id": "U0AGENT1",
                                   "trigger_id": "t1", "channel_id": "C0TEAMA"})
    from tests.conftest import sign

    headers = sign(body)
    assert bot.post(body, "application/x-www-form-urlencoded", signed=False, headers=headers)[0] == 200
    assert bot.post(body, "application/x-www-form-urlencoded", signed=False, headers=headers)[0] == 401
    retry = dict(headers, **{"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"})
    # Slack retries only Events API deliveries: a command "retried" with the header is a replay.
    assert bot.post(body, "application/x-www-form-urlencoded", signed=False, headers=retry)[0] == 401


def test_signed_but_malformed_payloads_get_a_quiet_200(bot):
    for payload in ({"type": "view_submission", "user": {"id": "U0AGENT1"}, "view": {"id": "V1"}},
                    {"type": "block_actions", "user": {"id": "U0AGENT1"}, "actions": "nope"},
                    {"type": "view_submission", "view": {"id": "V1", "type": "modal", "state": {}}}):
        status, _ = bot.interactive(payload)
        assert status == 200
    status, _ = bot.event({"no": "type"})
    assert status == 200
    assert _reports(bot) == []


def test_home_tab_shows_my_reports_and_what_i_hold(bot):
    bot.report("U0AGENT1", level=2, location="desk 7")
    bot.report("U0AGENT3", level=3, location="desk 9")  # Hotline B
    for user in ("U0AGENT1", "U0SUPA", "U0OFFICER"):
        status, _ = bot.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
        assert status == 200
    bot.drain()
    views = {c.params["user_id"]: json.dumps(c.params["view"], ensure_ascii=False) for c in bot.fake.of("views.publish")}
    assert "-00001" in views["U0AGENT1"] and "home_report" in views["U0AGENT1"]
    assert "-00001" in views["U0SUPA"] and "-00002" not in views["U0SUPA"]  # only their team
    assert "-00001" in views["U0OFFICER"] and "-00002" in views["U0OFFICER"]  # the whole department
    bot.click("U0AGENT1", "home_report", "report", channel="")
    assert bot.fake.of("views.open")[-1].params["view"]["callback_id"] == "hazard_report"
