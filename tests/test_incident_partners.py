"""#21 incidents reach the partner departments at every level (§2.3.2, §5.2.1): the kind's `page:` people are told
by DM whatever the level, legal for an information leak, and security is due on site within 10 minutes of a
customer conflict (an On site press by security stops the clock, else the ladder climbs), on the injected clock."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from bot.clock import FrozenClock
from storage.db import session_scope
from storage.models import Timer
from tests.conftest import org_from, start_bot, stop_bot
from tests.test_incidents import incident, incidents, texts_to

T0 = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 Shanghai
LEGAL = {"  security: [U0SEC]\n": "  security: [U0SEC]\n  legal: [U0LEGAL]\n"}


@pytest.fixture
def pbot(db_url, fake_slack):
    clock = FrozenClock(T0)
    bot = start_bot(db_url, fake_slack, org_from("", **LEGAL), clock=clock)
    bot.clock = clock
    yield bot
    stop_bot(bot)


def sweep(bot, at: dt.datetime) -> None:
    bot.clock.set(at)
    bot.runtime.sweeper.run_once()
    bot.drain()


def said(bot, user, words) -> list[str]:
    bot.drain()
    return [t for t in texts_to(bot.fake, user) if words in t]


def test_a_level_2_leak_tells_it_and_legal_and_an_outage_tells_it(pbot):
    bot = pbot
    incident(bot, kind="information_leak", description="customer list sent to the wrong address")
    r = incidents(bot)[0]
    assert r.level == 2
    assert len(said(bot, "U0IT", r.number)) == 1 and "需要贵部门协同处置" in said(bot, "U0IT", r.number)[0]
    assert len(said(bot, "U0LEGAL", r.number)) == 1  # §2.3.2 法务部负责事件调查
    assert said(bot, "U0SEC", r.number) == []  # not a partner of a leak
    assert r.partner_due_at is None  # no on-site clock for a leak
    incident(bot, kind="system_outage", level=2, description="softphones down")
    out = incidents(bot)[1]
    assert len(said(bot, "U0IT", out.number)) == 1 and said(bot, "U0LEGAL", out.number) == []


def test_security_is_chased_when_not_on_site_within_10_minutes_and_not_before(pbot):
    bot = pbot
    incident(bot, kind="customer_out_of_control", description="caller screaming, says he is outside")
    r = incidents(bot)[0]
    assert r.level == 2 and r.partner_due_at == T0 + dt.timedelta(minutes=10)
    told = said(bot, "U0SEC", r.number)  # level 2: security is told now, with the moment to be there by
    assert len(told) == 1 and "2026-11-28 10:10 前到场" in told[0]
    bot.click("U0SUPA", "incident_on_site", r.number)  # the supervisor on site does not stop security's clock
    sweep(bot, T0 + dt.timedelta(minutes=10) - dt.timedelta(seconds=1))
    assert said(bot, "U0SEC", "尚未到场") == [] and said(bot, "U0OFFICER", "尚未到场") == []
    sweep(bot, T0 + dt.timedelta(minutes=10))  # rung 0: security and the safety officer
    assert len(said(bot, "U0SEC", "尚未到场")) == 1 and len(said(bot, "U0OFFICER", "尚未到场")) == 1
    assert said(bot, "U0HEAD", "尚未到场") == []
    sweep(bot, T0 + dt.timedelta(minutes=15))  # rung 1: the department head and the deputy
    assert len(said(bot, "U0HEAD", "尚未到场")) == 1 and len(said(bot, "U0DEPUTY", "尚未到场")) == 1
    bot.click("U0SEC", "incident_on_site", r.number)  # security arrives: the clock stops
    r = incidents(bot)[0]
    assert r.partner_by == "U0SEC" and r.on_site_by == "U0SUPA"
    sweep(bot, T0 + dt.timedelta(hours=1))
    assert [t for t in texts_to(bot.fake, "C0LEAD") if "尚未到场" in t] == []  # rung 2 never fires
    assert len(said(bot, "U0SEC", "尚未到场")) == 1


def test_security_on_site_in_time_means_nobody_is_chased(pbot):
    bot = pbot
    incident(bot, kind="customer_out_of_control", description="caller screaming")
    r = incidents(bot)[0]
    bot.clock.set(T0 + dt.timedelta(minutes=4))
    bot.click("U0SEC", "incident_on_site", r.number)
    r = incidents(bot)[0]
    assert r.partner_at == T0 + dt.timedelta(minutes=4) and r.on_site_by == "U0SEC" and r.status == "acknowledged"
    with session_scope(bot.ctx.engine) as s:
        assert not s.execute(select(Timer).where(Timer.purpose == "on_site", Timer.status == "pending")).first()
    sweep(bot, T0 + dt.timedelta(hours=2))
    assert said(bot, "U0SEC", "尚未到场") == [] and said(bot, "U0HEAD", "尚未到场") == []


# --------------------------------------------------------------------------- /incident status, /incident mine
def test_incident_status_and_mine_answer_in_the_incidents_own_words(pbot):
    from tests.test_incidents import command
    bot = pbot
    bot.report("U0AGENT1", level=3, category="equipment", description="loose screw", location="desk 3")
    incident(bot, kind="information_leak", description="customer list sent to the wrong address")
    number = incidents(bot)[0].number
    status, body = command(bot, "/incident", "U0AGENT1", f"status {number}")
    shown = json.dumps(body, ensure_ascii=False)
    assert status == 200 and number in shown and "信息泄露" in shown and "customer list" in shown
    assert len(bot.fake.of("views.open")) == 0  # a lookup, not a new report
    status, body = command(bot, "/incident", "U0AGENT1", "mine")
    shown = json.dumps(body, ensure_ascii=False)
    assert "未处理事件（1项）" in shown and number in shown and "HZ-" not in shown
    _, body = command(bot, "/hazard", "U0AGENT1", "mine")
    assert number not in json.dumps(body, ensure_ascii=False)  # hazards apart from incidents
    _, body = command(bot, "/incident", "U0AGENT1", "status HZ-2026-00001")
    assert "没有编号为 HZ-2026-00001 的事件" in body["text"]
    _, body = command(bot, "/incident", "U0AGENT2", "mine")
    assert "你上报的事件均已处理" in body["text"]
    _, body = command(bot, "/incident", "U0STRANGER", f"status {number}")
    assert body["text"] == "只有本部门人员可以查询事件。"


def test_the_level_1_form_tells_no_kind_to_call_the_police_and_its_answer_shows_the_kinds_plan(pbot):
    from tests.test_incidents import command
    bot = pbot
    command(bot, "/incident", "U0AGENT1", "")
    form = json.dumps(bot.fake.of("views.open")[-1].params["view"], ensure_ascii=False)
    assert "报警" not in form and "应急预案的处置步骤" in form
    _, answer = incident(bot, kind="information_leak", level=1, description="core data on a public share")
    shown = json.dumps(answer["view"], ensure_ascii=False)
    assert "不要转发或删除" in shown and "报警" not in shown  # the data-leak plan's steps


def test_the_home_tab_lists_incidents_apart_from_hazards(pbot):
    bot = pbot
    bot.report("U0AGENT1", level=3, category="equipment", description="loose screw", location="desk 3")
    incident(bot, kind="information_leak", description="customer list sent to the wrong address")
    number = incidents(bot)[0].number
    sections = {}
    for user in ("U0AGENT1", "U0OFFICER", "U0AGENT3"):
        bot.drain()
        status, _ = bot.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
        assert status == 200
        bot.drain()
        view = [c.params["view"] for c in bot.fake.of("views.publish") if c.params.get("user_id") == user][-1]
        sections[user] = [b["text"]["text"] for b in view["blocks"] if b.get("type") == "section"]
    hazards = next(t for t in sections["U0AGENT1"] if t.startswith("*你上报的未处理隐患*"))
    assert "HZ-" in hazards and number not in hazards
    own = next(t for t in sections["U0AGENT1"] if t.startswith("*未处理的事件"))
    assert number in own and "HZ-" not in own
    assert any(t.startswith("*未处理的事件") and number in t for t in sections["U0OFFICER"])  # the department's
    assert not any(number in t for t in sections["U0AGENT3"])  # another team's agent: not theirs


def test_the_daily_digest_counts_incidents_in_their_own_words(pbot):
    from bot.hazards import digest

    bot = pbot
    bot.report("U0AGENT1", level=3, category="equipment", description="loose screw", location="desk 3")
    incident(bot, kind="information_leak", description="customer list sent to the wrong address")
    number = incidents(bot)[0].number
    later = T0 + dt.timedelta(hours=2)
    page = json.dumps(digest.daily_payload(bot.ctx, later, "C0SAFETY", since=T0 - dt.timedelta(hours=1))["blocks"],
                      ensure_ascii=False)
    assert "事件：* 新增1起 · 未处理1起 · 超时或超期0起" in page
    line = next(x for x in page.split("\\n") if number in x)
    assert "信息泄露" in line and "二级（中等）" in line
    assert "*新增1项*" in page  # the hazards' own count: the incident is not one of them


# --------------------------------------------------------------------------- stale emergency plans (§5.1.1)
def test_stale_plans_reach_the_safety_officer_in_the_monthly_summary_once_past_the_review_window(db_url, fake_slack):
    from bot import jobs

    plans = "".join(f"  {k}: {{reviewed: 2026-10-01}}\n" for k in (
        "fire", "power_cut", "system_outage", "customer_harassment", "data_leak", "personal_injury",
        "network_failure", "public_health"))
    org = org_from("", **{"teams:\n": "plans:\n" + plans + "teams:\n"})
    clock = FrozenClock(T0)
    bot = start_bot(db_url, fake_slack, org, clock=clock)
    try:
        sh = bot.ctx.org.tz
        dec = dt.datetime(2026, 12, 1, 9, 30, tzinfo=sh)  # 61 days after the review: within 13 weeks
        clock.set(dec.astimezone(dt.timezone.utc))
        assert jobs.run_job(bot.ctx, "incident_cases", dec)
        assert said(bot, "U0OFFICER", "未评审") == []
        assert not [t for t in texts_to(bot.fake, "C0LEAD") if "未评审" in t]
        jan = dt.datetime(2027, 1, 1, 9, 30, tzinfo=sh)  # 92 days: past 13 weeks
        clock.set(jan.astimezone(dt.timezone.utc))
        assert jobs.run_job(bot.ctx, "incident_cases", jan)
        told = said(bot, "U0OFFICER", "未评审")
        assert len(told) == 1 and "火灾" in told[0] and "超过91天未评审" in told[0]
        bot.drain()
        lead = [json.dumps(c.params.get("blocks"), ensure_ascii=False) for c in bot.fake.of("chat.postMessage")
                if c.params.get("channel") == "C0LEAD"]
        assert any("超过91天未评审的应急预案" in b for b in lead)
    finally:
        stop_bot(bot)
