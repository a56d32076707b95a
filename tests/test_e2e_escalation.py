"""The ladder over real HTTP with a policy of second-scale durations and the real clock."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import select

from storage.db import session_scope
from storage.models import Report, Timer
from tests.conftest import org_from, start_bot, stop_bot, wait_until

FAST = """
hazard:
  levels:
    2: {respond_within: 2s, resolve_within: 3s, ignore_working_hours: true}  # the real clock: any hour of the day
escalation:
  acknowledge:
    - {after: 0s, notify: [responders], via: [thread, dm]}
    - {after: 1s, notify: [deputy, safety_officer], via: [thread, dm]}
    - {after: 2s, notify: [department_head, leadership_channel], via: [thread, dm, channel]}
  resolve:
    - {after: 0s, notify: [responders], via: [thread]}
    - {after: 1s, notify: [department_head], via: [dm]}
"""


def notices(fake, user):
    return [c for c in fake.of("chat.postMessage") if c.params.get("channel") == user]


def escalation_texts(fake):
    return [c.params["text"] for c in fake.of("chat.postMessage")
            if c.params.get("thread_ts") and ("尚未" in c.params["text"])]


@pytest.fixture
def fast_bot(db_url, fake_slack):
    bot = start_bot(db_url, fake_slack, org_from(FAST))
    yield bot
    stop_bot(bot)


def _report_number(bot):
    with session_scope(bot.ctx.engine) as s:
        return s.execute(select(Report)).scalars().first()


def _latest(bot) -> Report:
    with session_scope(bot.ctx.engine) as s:
        return s.execute(select(Report).order_by(Report.id.desc())).scalars().first()


def _ladder_fired(bot, report_id: int, purpose: str) -> bool:
    with session_scope(bot.ctx.engine) as s:
        states = s.execute(select(Timer.status).where(Timer.subject_type == "report", Timer.subject_id == report_id, Timer.purpose == purpose,
                                                      Timer.step >= 0)).scalars().all()
    return bool(states) and all(state != "pending" for state in states)


def test_ladder_fires_in_order_each_once_and_on_time(fast_bot):
    bot, fake = fast_bot, fast_bot.fake
    bot.report("U0AGENT1", level=2)
    r = _report_number(bot)
    due = r.respond_due_at.timestamp()
    fake.wait_for(lambda c: c.params.get("channel") == "C0LEAD", timeout=15)
    # every rung's row has fired (a row fires once: it is claimed pending → fired) and its messages are out
    wait_until(lambda: _ladder_fired(bot, r.id, "acknowledge"), what="the acknowledge ladder to have fired")
    bot.drain()
    head = notices(fake, "U0HEAD")
    sup = [c for c in notices(fake, "U0SUPA")]
    deputy = notices(fake, "U0DEPUTY")
    assert len(head) == 1 and len(deputy) == 1 and len(sup) == 1
    # each rung within 5 s of its due moment, in order
    assert 0 <= sup[0].at - due < 5
    assert 0 <= deputy[0].at - (due + 1) < 5
    assert 0 <= head[0].at - (due + 2) < 5
    assert sup[0].at <= deputy[0].at <= head[0].at
    texts = escalation_texts(fake)
    assert len(texts) == 3
    assert "<@U0SUPA>" in texts[0] and "<@U0DEPUTY>" in texts[1] and "<@U0HEAD>" in texts[2]
    # a later report's first rung (2 s after it) proves the sweeper went past every moment of this ladder
    bot.report("U0AGENT1", level=2, location="desk 77", description="a later report")
    later = _latest(bot)
    fake.wait_for(lambda c: c.params.get("channel") == "U0SUPA" and later.number in c.params.get("text", "")
                  and "尚未响应" in c.params.get("text", ""), timeout=15)
    bot.drain()
    assert len([c for c in notices(fake, "U0HEAD") if r.number in c.params["text"]]) == 1  # nothing fired twice


def test_acknowledge_stops_it_resolution_restarts_it_resolve_ends_it(fast_bot):
    bot, fake = fast_bot, fast_bot.fake
    bot.report("U0AGENT1", level=2)
    r = _report_number(bot)
    fake.wait_for(lambda c: c.params.get("channel") == "U0SUPA" and "尚未响应" in c.params.get("text", ""), timeout=10)
    bot.click("U0SUPA", "hazard_ack", r.number)
    # the acknowledge ladder stops: no deputy/head notices about acknowledgement afterwards
    # the resolution ladder starts: resolve deadline = reported + 3 s
    fake.wait_for(lambda c: c.params.get("channel") == "U0HEAD" and "尚未处理" in c.params.get("text", ""), timeout=10)
    ack_head = [c for c in notices(fake, "U0HEAD") if "尚未响应" in c.params["text"]]
    assert ack_head == []
    bot.click("U0SUPA", "hazard_resolve", r.number)
    opened = fake.wait_for(lambda c: c.method == "views.open" and c.params["view"]["callback_id"] == "hazard_resolve")
    assert opened
    status, body = bot.submit("U0SUPA", {"note": "cable replaced"}, callback_id="hazard_resolve",
                              private_metadata=f'{{"number": "{r.number}"}}')
    assert status == 200
    with session_scope(bot.ctx.engine) as s:
        assert s.get(Report, r.id).status == "resolved"
    bot.drain()
    count = len(fake.of("chat.postMessage"))
    # a later report's first rung (2 s after it) proves the sweeper went past the moments this ladder had left
    bot.report("U0AGENT1", level=2, location="desk 77", description="a later report")
    later = _latest(bot)
    fake.wait_for(lambda c: c.params.get("channel") == "U0SUPA" and later.number in c.params.get("text", "")
                  and "尚未响应" in c.params.get("text", ""), timeout=15)
    bot.drain()
    after = [c for c in fake.of("chat.postMessage")[count:] if r.number in json.dumps(c.params, ensure_ascii=False)]
    assert after == []  # nothing after resolve


def test_catch_up_after_the_bot_was_down(db_url, fake_slack):
    bot = start_bot(db_url, fake_slack, org_from(FAST))
    bot.report("U0AGENT1", level=2)
    bot.drain()
    stop_bot(bot)  # down before the first rung
    time.sleep(9.5)  # all three rungs fall due meanwhile, the last one more than 5 s before restart
    assert not [c for c in fake_slack.calls if "尚未响应" in str(c.params.get("text"))]
    bot = start_bot(db_url, fake_slack, org_from(FAST))
    try:
        fake_slack.wait_for(lambda c: c.params.get("channel") == "C0LEAD", timeout=10)
        bot.drain()
        texts = escalation_texts(fake_slack)
        assert len(texts) == 3
        assert "<@U0SUPA>" in texts[0] and "<@U0DEPUTY>" in texts[1] and "<@U0HEAD>" in texts[2]
        assert all("补发" in t for t in texts)
        for user in ("U0SUPA", "U0DEPUTY", "U0OFFICER", "U0HEAD"):
            assert len([c for c in notices(fake_slack, user) if "尚未响应" in c.params["text"]]) == 1
    finally:
        stop_bot(bot)


def test_slack_failing_while_a_rung_fires_delivers_it_once_after_recovery(fast_bot):
    bot, fake = fast_bot, fast_bot.fake
    bot.report("U0AGENT1", level=2)
    bot.drain()
    fake.down = True
    time.sleep(2.5)  # rung 0 fires while Slack answers 503
    failed = [c for c in fake.calls if c.status == 503]
    assert failed
    fake.down = False
    fake.wait_for(lambda c: c.params.get("channel") == "U0SUPA" and c.status == 200
                  and "尚未响应" in c.params.get("text", ""), timeout=15)
    bot.drain(timeout=20)
    assert len([c for c in notices(fake, "U0SUPA") if "尚未响应" in c.params["text"]]) == 1
