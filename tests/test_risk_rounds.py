"""#21 plans and risks kept current (§4.1, §4.1.1): every agent is asked weekly by DM for a risk observation (one click
"nothing new", or the form); those who did not answer by the deadline are listed to their supervisor, once, and
not before; `/risk` shows the observations by team; the register is posted to the team channels when it changes.
Over signed HTTP, on the injected clock; two replicas send each scheduled message once."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from bot import ids, jobs
from bot.clock import FrozenClock
from bot.context import Context
from bot.sweeper import Sweeper
from storage.db import session_scope
from storage.models import AuditEvent, RiskAnswer, RiskRound
from tests.conftest import org_from, start_bot, stop_bot
from tests.slackschema import assert_valid_message
from tests.test_checks import local
from tests.test_hostile_checks import slash

ASK = local(2026, 12, 4, 15, 0)  # Friday 15:00, the policy's day and time
DUE = local(2026, 12, 8, 15, 0)  # two working days later: Tuesday 15:00


@pytest.fixture
def rbot(db_url, fake_slack):
    clock = FrozenClock(ASK)
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock)
    bot.clock = clock
    yield bot
    stop_bot(bot)


def dms(bot, user) -> list[dict]:
    bot.drain()
    return [c.params for c in bot.fake.of("chat.postMessage") if c.params.get("channel") == user]


def ephemeral(bot, user) -> str:
    bot.drain()
    return [c.params["text"] for c in bot.fake.of("chat.postEphemeral") if c.params["user"] == user][-1]


def sweep(bot, at: dt.datetime) -> int:
    bot.clock.set(at)
    n = bot.runtime.sweeper.run_once()
    bot.drain()
    return n


def test_each_agent_is_asked_weekly_and_the_missing_are_listed_to_their_supervisor_at_the_deadline_once(rbot, db_url):
    bot = rbot
    assert jobs.run_job(bot.ctx, "risks:observe", ASK)
    replica = Context(org=org_from(), engine=bot.ctx.engine, clock=FrozenClock(ASK))
    assert not jobs.run_job(replica, "risks:observe", ASK)  # the other replica: claimed already, nothing
    assert jobs.run_job(bot.ctx, "risks:observe", local(2026, 12, 5, 15, 0))  # Saturday's run: no second round
    with session_scope(bot.ctx.engine) as s:
        rounds = s.execute(select(RiskRound)).scalars().all()
    assert [(r.week, r.asked, r.due_at) for r in rounds] == [(dt.date(2026, 12, 4), ["U0AGENT1", "U0AGENT2", "U0AGENT3"], DUE)]
    rnd = rounds[0]
    for agent in ("U0AGENT1", "U0AGENT2", "U0AGENT3"):
        got = dms(bot, agent)
        assert len(got) == 1 and "风险观察表" in got[0]["text"]
        actions = [e["action_id"] for b in got[0]["blocks"] if b["type"] == "actions" for e in b["elements"]]
        assert actions == [ids.RISK_NOTHING_NEW_ACTION, ids.RISK_OBSERVE_ACTION]
    assert dms(bot, "U0SUPA") == []

    # one click: nothing new; twice: already; someone not asked: refused, nothing stored
    bot.click("U0AGENT1", ids.RISK_NOTHING_NEW_ACTION, str(rnd.id), channel="D0DM")
    assert "无新增风险" in ephemeral(bot, "U0AGENT1")
    bot.click("U0AGENT1", ids.RISK_NOTHING_NEW_ACTION, str(rnd.id), channel="D0DM")
    assert "已提交" in ephemeral(bot, "U0AGENT1")
    bot.click("U0SUPA", ids.RISK_NOTHING_NEW_ACTION, str(rnd.id), channel="D0DM")
    assert "本次操作未生效" in ephemeral(bot, "U0SUPA")
    with session_scope(bot.ctx.engine) as s:
        assert [a.user_id for a in s.execute(select(RiskAnswer)).scalars()] == ["U0AGENT1"]
    update = [c.params for c in bot.fake.of("chat.update") if "risk_ask_done" in json.dumps(c.params["blocks"])][-1]
    assert not any(b["type"] == "actions" for b in update["blocks"])  # answered: no buttons left
    # the form's button opens /risk observe's form; an observation filed answers the week
    bot.click("U0AGENT3", ids.RISK_OBSERVE_ACTION, str(rnd.id), channel="D0DM")
    view = bot.fake.wait_for(lambda c: c.method == "views.open")[-1].params["view"]
    view = view if isinstance(view, dict) else json.loads(view)
    assert view["callback_id"] == ids.RISK_VIEW
    bot.clock.set(ASK + dt.timedelta(hours=1))
    status, _ = bot.submit("U0AGENT3", {"description": "系统查询客户证件号时卡顿", "location": "B区"},
                           callback_id=ids.RISK_VIEW, private_metadata=view["private_metadata"])
    assert status == 200

    # the deadline: not a second before; then U0AGENT2's supervisor is told, once; Hotline B's is not
    sweep(bot, DUE - dt.timedelta(seconds=1))
    assert dms(bot, "U0SUPA") == []
    sweep(bot, DUE)
    told = dms(bot, "U0SUPA")
    assert len(told) == 1 and "<@U0AGENT2>" in told[0]["text"] and "<@U0AGENT1>" not in told[0]["text"]
    assert "1人未提交" in told[0]["text"]
    assert dms(bot, "U0SUPB") == []
    Sweeper(replica).run_once()  # a second replica's sweeper: the timer is fired already
    sweep(bot, DUE + dt.timedelta(days=3))
    assert len(dms(bot, "U0SUPA")) == 1
    with session_scope(bot.ctx.engine) as s:
        missing = s.execute(select(AuditEvent).where(AuditEvent.action == "risk_observation_missing")).scalars().all()
    assert [m.after["missing"] for m in missing] == [{"Hotline A": ["U0AGENT2"]}]


def test_risk_shows_the_latest_observations_by_team_and_the_register_is_published_when_it_changes(rbot):
    bot = rbot
    for user, text in (("U0AGENT1", "客户辱骂后情绪激动"), ("U0AGENT3", "在线客服平台传输异常")):
        status, _ = bot.submit(user, {"description": text, "location": None}, callback_id=ids.RISK_VIEW,
                               private_metadata=json.dumps({"kind": "observation"}))
        assert status == 200
    body = slash(bot, "U0OFFICER", "/risk", "")
    assert_valid_message({"text": body["text"], "blocks": body["blocks"]})
    shown = json.dumps(body["blocks"], ensure_ascii=False)
    assert "最新风险观察表" in shown and "Hotline A（1份）" in shown and "Hotline B（1份）" in shown
    assert "客户辱骂后情绪激动" in shown and "<@U0AGENT3>" in shown

    # no risk in the register yet: nothing published
    assert jobs.run_job(bot.ctx, "risks:publish", local(2026, 12, 5, 9, 0))
    assert dms(bot, "C0TEAMA") == []
    bot.clock.set(local(2026, 12, 5, 10, 0))
    status, _ = bot.submit("U0OFFICER", {"description": "消防通道堆放杂物", "likelihood": "high", "impact": "severe",
                                         "controls": "每日巡查"}, callback_id=ids.RISK_VIEW,
                           private_metadata=json.dumps({"kind": "risk"}))
    assert status == 200
    replica = Context(org=org_from(), engine=bot.ctx.engine, clock=FrozenClock(local(2026, 12, 6, 9, 0)))
    assert jobs.run_job(bot.ctx, "risks:publish", local(2026, 12, 6, 9, 0))
    assert not jobs.run_job(replica, "risks:publish", local(2026, 12, 6, 9, 0))
    for channel in ("C0TEAMA", "C0TEAMB"):
        posts = dms(bot, channel)
        assert len(posts) == 1 and "消防通道堆放杂物" in json.dumps(posts[0]["blocks"], ensure_ascii=False)
    assert jobs.run_job(bot.ctx, "risks:publish", local(2026, 12, 7, 9, 0))  # unchanged: not again
    assert len(dms(bot, "C0TEAMA")) == 1
    bot.clock.set(local(2026, 12, 7, 11, 0))
    slash(bot, "U0HEAD", "/risk", "review 3")  # the quarter's review is a change: published the next morning
    assert jobs.run_job(bot.ctx, "risks:publish", local(2026, 12, 8, 9, 0))
    posts = dms(bot, "C0TEAMA")
    assert len(posts) == 2 and "2026-12-07 11:00" in json.dumps(posts[1]["blocks"], ensure_ascii=False)
