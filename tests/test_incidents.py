"""Incidents (#9) over signed HTTP: /incident, the level-1 page, the card's On site and Change level, and the
message shortcuts. Each test fails on the code before the change it checks."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid

import pytest
from sqlalchemy import select

from storage.db import session_scope
from storage.models import AuditEvent, OutboxMessage, Report
from tests.chinese_artefacts import artefacts
from tests.conftest import org_from, start_bot, stop_bot

ORG_MEDICAL = {"  security: [U0SEC]\n": "  security: [U0SEC]\n  medical: [U0MED]\n"}
PAGED_ROLES = {"U0HEAD", "U0DEPUTY", "U0OFFICER", "U0SEC"}  # level 1: head, deputy, safety officer, security


def command(bot, name: str, user: str, text: str = "", channel: str = "C0TEAMA"):
    return bot.form({
        "token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": channel, "channel_name": "x",
        "user_id": user, "user_name": user.lower(), "command": name, "text": text, "api_app_id": "A1",
        "is_enterprise_install": "false", "response_url": "http://127.0.0.1:9/hooks",
        "trigger_id": f"trig-{uuid.uuid4().hex[:10]}"})


def incident(bot, user="U0AGENT1", kind="customer_threat", level=None, description="caller threatens with a knife",
             location="desk 12", affected="agent at desk 12", actions="ended the call", **kw):
    values = {"category": kind, "level": level, "description": description, "location": location,
              "affected": affected, "actions": actions}
    return bot.submit(user, values, callback_id="incident_report", **kw)


def incidents(bot) -> list[Report]:
    with session_scope(bot.ctx.engine) as s:
        return list(s.execute(select(Report).where(Report.kind == "incident").order_by(Report.id)).scalars())


def posts_to(fake, channel):
    return [c for c in fake.of("chat.postMessage") if c.params.get("channel") == channel]


def everything(call) -> str:
    return call.params.get("text", "") + json.dumps(call.params.get("blocks") or [], ensure_ascii=False)


@pytest.fixture
def med_bot(db_url, fake_slack):
    b = start_bot(db_url, fake_slack, org_from("", **ORG_MEDICAL))
    yield b
    stop_bot(b)


# --------------------------------------------------------------------------- the form
def test_incident_command_opens_the_form_with_every_kind_and_the_text(bot):
    status, _ = command(bot, "/incident", "U0AGENT1", "客户威胁要上门")
    assert status == 200
    view = bot.fake.of("views.open")[-1].params["view"]
    assert view["callback_id"] == "incident_report"
    dumped = json.dumps(view, ensure_ascii=False)
    for name in ("客户持械/暴力威胁", "客户言语威胁", "客户情绪失控", "客户投诉", "人员受伤", "信息泄露", "系统故障",
                 "服务中断", "火灾", "停电", "其他"):
        assert name in dumped
    # #25 finding 3 (§3.2.2, §5.1.2): a weapon or violence is level 1, a threat in words is level 2
    assert "客户持械/暴力威胁 · 一级（重大）" in dumped and "客户言语威胁 · 二级（中等）" in dumped
    assert "客户威胁要上门" in dumped
    status, body = command(bot, "/incident", "U0AGENT1", "help")
    assert "/plan" in body["text"]


def test_the_policy_proposes_the_level_of_the_kind_and_a_number_is_given(bot):
    answer = incident(bot, kind="complaint", level=None, description="caller unhappy with the wait")[1]
    assert answer["response_action"] == "update"
    r = incidents(bot)[0]
    assert r.level == 3 and r.category == "complaint"
    assert r.number.startswith("INC-") and len(r.number.split("-")[2]) == 5
    assert r.affected == "agent at desk 12" and r.actions_taken == "ended the call"
    answer = incident(bot, kind="complaint", level=2, description="caller shouts")[1]
    assert incidents(bot)[1].level == 2  # the reporter's choice wins
    status, answer = incident(bot, kind=None, description="")
    assert answer["response_action"] == "errors" and {"category", "description"} <= set(answer["errors"])


# --------------------------------------------------------------------------- level 1
def test_level_1_answers_with_the_plan_steps_and_pages_every_role_within_seconds(med_bot):
    bot, fake = med_bot, med_bot.fake
    start = time.time()
    status, answer = incident(bot, kind="personal_injury", description="agent fell and hit her head")
    took = time.time() - start
    assert status == 200 and took < 3, took  # Slack's ack limit
    assert answer["response_action"] == "update"
    shown = json.dumps(answer["view"], ensure_ascii=False)
    assert "120" in shown and "紧急集合点" in shown and "先确保现场安全" in shown  # the personal-injury plan's steps
    r = incidents(bot)[0]
    assert r.level == 1
    expected = PAGED_ROLES | {"U0MED"}  # an injury also pages the medical contact (per policy)
    fake.wait_for(lambda c: all(posts_to(fake, u) for u in expected) and posts_to(fake, "C0LEAD"), timeout=5)
    assert time.time() - start < 5
    for user in expected:
        assert r.number in posts_to(fake, user)[0].params["text"]
    lead = posts_to(fake, "C0LEAD")[0].params["text"]
    card = posts_to(fake, "C0SAFETY")[0]
    for user in expected:
        assert f"<@{user}>" in lead and f"<@{user}>" in everything(card)
    # #25 finding 9: each person once, and the last mention is not glued to the emoji
    assert not artefacts(lead, "zh-CN") and ">:rotating_light:" not in lead, lead
    with session_scope(bot.ctx.engine) as s:
        prio = {o.payload.get("channel"): o.priority for o in s.execute(select(OutboxMessage)).scalars()}
    assert all(prio[u] == 0 for u in expected) and prio["C0LEAD"] == 0  # URGENT


def test_information_and_system_kinds_page_it_too(bot):
    incident(bot, kind="system_outage", level=1, description="the whole call system is down")
    bot.fake.wait_for(lambda c: c.params.get("channel") == "U0IT", timeout=5)
    incident(bot, kind="customer_threat", level=1, description="knife")
    bot.drain()
    assert len(posts_to(bot.fake, "U0IT")) == 1  # a threat does not page IT


def test_a_level_3_incident_does_not_page(bot):
    incident(bot, kind="complaint", description="loud caller")
    bot.drain()
    posts = bot.fake.of("chat.postMessage")
    # exactly: the card in the safety channel naming the reporter's team supervisor, a notice to that supervisor
    # and the reporter's receipt; nobody paged, nothing in the leadership channel
    assert sorted(c.params["channel"] for c in posts) == ["C0SAFETY", "U0AGENT1", "U0SUPA"]
    card = posts_to(bot.fake, "C0SAFETY")[0]
    assert "<@U0SUPA>" in everything(card) and "请立即响应" not in everything(card)
    assert "请立即响应" not in posts_to(bot.fake, "U0SUPA")[0].params["text"]


@pytest.fixture
def paced_bot(db_url, fake_slack):
    org = org_from("hazard: {rate_limit: {max: 1000, window: 10m, exempt_levels: [1]}}")
    b = start_bot(db_url, fake_slack, org, SAFESHIFT_CHANNEL_INTERVAL=0.25)
    yield b
    stop_bot(b)


def test_the_level_1_page_goes_ahead_of_a_backlog_of_routine_posts(paced_bot):
    bot, fake = paced_bot, paced_bot.fake
    for i in range(30):
        bot.report("U0AGENT1", level=3, category="equipment", description=f"loose screw {i}", location=f"desk {i}")
    start = time.time()
    status, answer = incident(bot, "U0AGENT2", kind="fire", description="smoke from the UPS")
    assert time.time() - start < 3
    number = incidents(bot)[0].number
    fake.wait_for(lambda c: c.params.get("channel") == "C0SAFETY" and number in everything(c), timeout=10)
    fake.wait_for(lambda c: c.params.get("channel") == "C0LEAD" and number in c.params.get("text", ""), timeout=10)
    assert time.time() - start < 5
    bot.drain(timeout=30)
    order = [number in everything(c) for c in posts_to(fake, "C0SAFETY") if not c.params.get("thread_ts")]
    after = len(order) - 1 - order.index(True)
    assert after >= 15, f"only {after} routine cards were still queued behind the incident card"


# --------------------------------------------------------------------------- the card
def test_on_site_acknowledges_and_is_recorded_once(bot):
    incident(bot, kind="customer_out_of_control", description="caller screaming")
    r = incidents(bot)[0]
    bot.drain()
    bot.click("U0AGENT2", "incident_on_site", r.number)  # an agent may not
    bot.click("U0SUPA", "incident_on_site", r.number)
    bot.click("U0OFFICER", "incident_on_site", r.number)
    bot.drain()
    r = incidents(bot)[0]
    assert r.on_site_by == "U0SUPA" and r.status == "acknowledged" and r.acknowledged_by == "U0SUPA"
    with session_scope(bot.ctx.engine) as s:
        actions = [e.action for e in s.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars()]
    assert actions.count("on_site") == 1 and "refused_on_site" in actions
    updates = [c for c in bot.fake.of("chat.update") if r.number in everything(c)]
    assert "已到场" not in json.dumps(updates[-1].params["blocks"], ensure_ascii=False)  # the button is gone


def test_raising_the_level_pages_again_and_lowering_does_not(bot):
    fake = bot.fake
    incident(bot, kind="complaint", description="caller getting angry")
    r = incidents(bot)[0]
    bot.drain()
    assert not posts_to(fake, "U0HEAD")
    bot.click("U0SUPA", "incident_change_level", r.number)
    form = fake.of("views.open")[-1].params["view"]
    assert form["callback_id"] == "incident_level"
    status, answer = bot.submit("U0SUPA", {"level": 1, "reason": "he says he has a knife"}, callback_id="incident_level",
                                private_metadata=json.dumps({"number": r.number}))
    assert status == 200 and answer in ("", None) or answer.get("response_action") != "errors"
    fake.wait_for(lambda c: all(posts_to(fake, u) for u in PAGED_ROLES) and posts_to(fake, "C0LEAD"), timeout=5)
    assert "三级（一般）" in posts_to(fake, "U0HEAD")[0].params["text"]  # says it was raised from level 3
    r2 = incidents(bot)[0]
    assert r2.level == 1 and r2.respond_due_at <= r.respond_due_at
    bot.drain()
    thread = [c for c in posts_to(fake, "C0SAFETY") if c.params.get("thread_ts")]
    assert any("<@U0HEAD>" in c.params["text"] for c in thread)  # @mentioned in the safety channel again
    before = len(fake.of("chat.postMessage"))
    head_before = len(posts_to(fake, "U0HEAD"))
    bot.submit("U0SUPA", {"level": 2, "reason": None}, callback_id="incident_level",
               private_metadata=json.dumps({"number": r.number}))
    bot.drain()
    assert incidents(bot)[0].level == 2
    assert len(posts_to(fake, "U0HEAD")) == head_before and len(fake.of("chat.postMessage")) == before + 1  # a line


def test_an_agent_may_not_change_the_level(bot):
    incident(bot, kind="complaint", description="x")
    r = incidents(bot)[0]
    status, answer = bot.submit("U0AGENT2", {"level": 1, "reason": None}, callback_id="incident_level",
                                private_metadata=json.dumps({"number": r.number}))
    assert answer["response_action"] == "errors" and "本次操作未生效" in answer["errors"]["level"]
    assert incidents(bot)[0].level == 3


def test_acknowledge_and_resolve_work_on_an_incident_card(bot):
    incident(bot, kind="fire", description="smoke")
    r = incidents(bot)[0]
    bot.click("U0OFFICER", "hazard_ack", r.number)
    bot.drain()
    assert incidents(bot)[0].status == "acknowledged"
    bot.click("U0OFFICER", "hazard_resolve", r.number)  # the resolve form names what it resolves: an incident
    assert bot.fake.of("views.open")[-1].params["view"]["title"]["text"] == "处理事件"
    status, answer = bot.submit("U0OFFICER", {"note": "fire out, extinguisher used"}, callback_id="hazard_resolve",
                                private_metadata=json.dumps({"number": r.number}))
    bot.drain()
    assert incidents(bot)[0].status == "resolved"


# --------------------------------------------------------------------------- message shortcuts
def shortcut(bot, callback_id, text="the caller is threatening me", user="U0AGENT2"):
    payload = {
        "type": "message_action", "callback_id": callback_id, "team": {"id": "T1", "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "team_id": "T1"}, "api_app_id": "A1", "token": "legacy",
        "trigger_id": f"trig-{uuid.uuid4().hex[:8]}", "action_ts": str(time.time()), "message_ts": "1700000000.123456",
        "channel": {"id": "C0TEAMA", "name": "hotline-a"}, "response_url": "http://127.0.0.1:9/x",
        "message": {"type": "message", "user": "U0AGENT1", "ts": "1700000000.123456", "text": text},
        "is_enterprise_install": False,
    }
    return bot.interactive(payload)


def test_report_as_incident_opens_the_form_prefilled_with_the_text_and_a_link(bot):
    status, _ = shortcut(bot, "report_as_incident")
    assert status == 200
    view = bot.fake.of("views.open")[-1].params["view"]
    link = "https://acme.slack.com/archives/C0TEAMA/p1700000000123456"
    assert view["callback_id"] == "incident_report"
    assert "the caller is threatening me" in json.dumps(view) and link in json.dumps(view)
    incident(bot, "U0AGENT2", private_metadata=view["private_metadata"])
    bot.drain()
    r = incidents(bot)[0]
    assert r.source_link == link
    assert link in everything(posts_to(bot.fake, "C0SAFETY")[0])


def test_report_as_hazard_opens_the_hazard_form_prefilled(bot):
    shortcut(bot, "report_as_hazard", text="cable exposed near desk 4")
    view = bot.fake.of("views.open")[-1].params["view"]
    assert view["callback_id"] == "hazard_report"
    dumped = json.dumps(view)
    assert "cable exposed near desk 4" in dumped and "https://acme.slack.com/archives/C0TEAMA/p1700000000123456" in dumped


# --------------------------------------------------------------------------- after the event
FAST = """
incident:
  special_report: {levels: [1], owner: [department_head], due_within: 2s}
  investigation: {levels: [1, 2], owner: [safety_officer], due_within: 3s}
  escalation:
    special_report:
      - {after: 0s, notify: [department_head], via: [thread, dm]}
      - {after: 1s, notify: [leadership_channel], via: [thread, channel]}
    investigation:
      - {after: 0s, notify: [safety_officer], via: [thread, dm]}
      - {after: 1s, notify: [department_head, leadership_channel], via: [dm, channel]}
"""


@pytest.fixture
def fast_bot(db_url, fake_slack):
    b = start_bot(db_url, fake_slack, org_from(FAST))
    yield b
    stop_bot(b)


def task(bot, user, number, name, values: dict):
    state = {}
    for block, v in values.items():
        if block.startswith("owner_"):
            state[block] = {"value": {"type": "users_select", "selected_user": v}}
        elif block.startswith("due_"):
            state[block] = {"value": {"type": "datepicker", "selected_date": v}}
        else:
            state[block] = {"value": {"type": "plain_text_input", "value": v}}
    payload = {
        "type": "view_submission", "team": {"id": "T1", "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T1"},
        "api_app_id": "A1", "token": "legacy", "trigger_id": "trig-1",
        "view": {"id": f"V{uuid.uuid4().hex[:10].upper()}", "team_id": "T1", "type": "modal",
                 "callback_id": "incident_task", "private_metadata": json.dumps({"number": number, "task": name}),
                 "hash": "h1", "blocks": [], "title": {"type": "plain_text", "text": "x"},
                 "state": {"values": state}, "app_id": "A1", "bot_id": "BBOT"},
        "response_urls": [], "is_enterprise_install": False,
    }
    return bot.interactive(payload)


def texts_to(fake, channel):
    return [c.params.get("text", "") for c in posts_to(fake, channel)]


def test_the_special_report_and_the_investigation_fall_due_and_escalate(fast_bot):
    bot, fake = fast_bot, fast_bot.fake
    incident(bot, kind="fire", description="smoke in row 3")
    r = incidents(bot)[0]
    assert r.special_report_due_at is not None and r.investigation_due_at is not None
    fake.wait_for(lambda c: any("专项报告" in t and "责任制第3.2.2条" in t for t in texts_to(fake, "U0HEAD"))
                  and any("调查报告" in t for t in texts_to(fake, "U0OFFICER")), timeout=5)  # the owners are told
    fake.wait_for(lambda c: any("尚未提交专项报告" in t for t in texts_to(fake, "C0LEAD")), timeout=10)
    fake.wait_for(lambda c: any("尚未提交调查报告" in t for t in texts_to(fake, "C0LEAD")), timeout=10)
    head = [c for c in posts_to(fake, "U0HEAD") if "尚未提交专项报告" in c.params["text"]]
    officer = [c for c in posts_to(fake, "U0OFFICER") if "尚未提交调查报告" in c.params["text"]]
    assert len(head) == 1 and len(officer) == 1
    # #25: the first rung fires at the deadline: 已到, never 已过0秒
    assert "时限" in head[0].params["text"] and "已到" in head[0].params["text"], head[0].params["text"]
    assert not artefacts(head[0].params["text"], "zh-CN") and not artefacts(officer[0].params["text"], "zh-CN")
    # #25 finding 5: the leadership channel is told the task's owner, not the level's responders
    lead = texts_to(fake, "C0LEAD")
    special = next(t for t in lead if "尚未提交专项报告" in t)
    investigation = next(t for t in lead if "尚未提交调查报告" in t)
    assert "责任人：<@U0HEAD>。" in special and "<@U0OFFICER>" not in special.split("责任人")[1], special
    assert "责任人：<@U0OFFICER>。" in investigation and "<@U0HEAD>" not in investigation.split("责任人")[1], investigation
    assert head[0].at >= r.special_report_due_at.timestamp() - 0.01  # not before it falls due
    assert officer[0].at >= r.investigation_due_at.timestamp() - 0.01
    assert any("尚未提交调查报告" in t for t in texts_to(fake, "U0HEAD"))  # the investigation's second rung


def test_a_special_report_in_time_stops_its_ladder_and_goes_to_the_leadership_channel(fast_bot):
    bot, fake = fast_bot, fast_bot.fake
    incident(bot, kind="customer_threat", description="knife at the counter")
    r = incidents(bot)[0]
    status, answer = task(bot, "U0AGENT1", r.number, "special_report", {"text": "x"})
    assert answer["response_action"] == "errors"  # an agent may not
    status, answer = task(bot, "U0HEAD", r.number, "special_report", {"text": "持刀客户已被带离，无人受伤"})
    assert status == 200 and not answer
    fake.wait_for(lambda c: any("持刀客户已被带离" in t for t in texts_to(fake, "C0LEAD")), timeout=5)
    # the investigation's second rung (4 s) comes after every moment of the special report's ladder (2 s, 3 s):
    # once it is out, the sweeper has gone past them
    fake.wait_for(lambda c: any("尚未提交调查报告" in t for t in texts_to(fake, "C0LEAD")), timeout=10)
    bot.drain()
    assert not any("尚未提交专项报告" in t for t in texts_to(fake, "U0HEAD") + texts_to(fake, "C0LEAD"))
    assert incidents(bot)[0].special_report == "持刀客户已被带离，无人受伤"
    status, answer = task(bot, "U0HEAD", r.number, "special_report", {"text": "again"})
    assert answer["response_action"] == "errors"  # once


def test_corrective_actions_become_tracked_items_and_the_post_mortem_follows(bot):
    from storage.models import CorrectiveAction

    fake = bot.fake
    incident(bot, kind="personal_injury", description="agent tripped over a cable")
    r = incidents(bot)[0]
    base = {"course": "坐席12旁电源线绊倒客服专员", "cause": "电源线未固定", "responsibility": "后勤未按月检查"}
    # a day within the policy's window from today (`rectification.dates_within`)
    day = (dt.datetime.now(bot.ctx.org.tz).date() + dt.timedelta(days=60)).isoformat()
    status, answer = task(bot, "U0OFFICER", r.number, "investigation",
                          dict(base, action_1="固定全部电源线", owner_1="U0SUPA", due_1=day,
                               action_2="每月检查线缆"))
    assert answer["response_action"] == "errors" and "owner_2" in answer["errors"]  # an action needs an owner
    status, answer = task(bot, "U0OFFICER", r.number, "investigation",
                          dict(base, action_1="固定全部电源线", owner_1="U0SUPA", due_1=day,
                               action_2="每月检查线缆", owner_2="U0IT"))
    assert status == 200 and not answer
    with session_scope(bot.ctx.engine) as s:
        items = list(s.execute(select(CorrectiveAction).order_by(CorrectiveAction.id)).scalars())
    assert [(i.description, i.owner, i.status) for i in items] == [
        ("固定全部电源线", "U0SUPA", "open"), ("每月检查线缆", "U0IT", "open")]
    assert items[0].due_at.astimezone(bot.ctx.org.tz).date().isoformat() == day
    assert items[1].due_at > items[1].created_at  # the policy's default time
    bot.drain()
    assert any("固定全部电源线" in t for t in texts_to(fake, "U0SUPA"))  # each owner is told
    assert any("每月检查线缆" in t for t in texts_to(fake, "U0IT"))
    lead = "\n".join(texts_to(fake, "C0LEAD"))
    assert "电源线未固定" in lead and "复盘" in lead  # the investigation, then the post-mortem reminder
    card = [c for c in fake.of("chat.update") if r.number in everything(c)][-1]
    assert "incident_postmortem" in json.dumps(card.params["blocks"])
    status, answer = task(bot, "U0HEAD", r.number, "postmortem", {"text": "线缆管理纳入月度检查"})
    assert status == 200 and not answer
    bot.drain()
    assert incidents(bot)[0].postmortem == "线缆管理纳入月度检查"
    assert any("线缆管理纳入月度检查" in t for t in texts_to(fake, "C0LEAD"))


# --------------------------------------------------------------------------- the monthly case summary
def test_the_monthly_case_summary_names_what_happened_what_was_done_and_what_changed(bot):
    import datetime as dt

    from bot import jobs

    fake = bot.fake
    incident(bot, kind="customer_threat", description="caller with a knife at the counter")
    incident(bot, kind="complaint", description="caller unhappy with the wait")
    threat, complaint = incidents(bot)
    task(bot, "U0OFFICER", threat.number, "investigation",
         {"course": "持刀客户到柜台", "cause": "门禁未关", "responsibility": "安保",
          "action_1": "门禁常闭", "owner_1": "U0SEC"})
    bot.submit("U0OFFICER", {"note": "police took him away"}, callback_id="hazard_resolve",
               private_metadata=json.dumps({"number": threat.number}))
    bot.drain()
    local = bot.ctx.clock.now().astimezone(bot.ctx.org.tz)
    first = dt.datetime(local.year + (local.month == 12), local.month % 12 + 1, 1, 9, 30, tzinfo=bot.ctx.org.tz)
    assert jobs.run_job(bot.ctx, "incident_cases", first)
    assert not jobs.run_job(bot.ctx, "incident_cases", first)  # claimed: once
    bot.drain()
    posts = [c for c in posts_to(fake, "C0LEAD") if "事件与事故处理案例月报" in c.params.get("text", "")]
    assert len(posts) == 1
    body = everything(posts[0])
    assert "上报2起" in body and "已处理1起" in body
    assert threat.number in body and "caller with a knife" in body and "police took him away" in body
    assert "改进措施1项" in body
    assert complaint.number not in body  # not handled yet


def test_the_incident_timeline_names_its_own_steps(bot):
    incident(bot, kind="complaint", description="caller getting angry")
    r = incidents(bot)[0]
    bot.click("U0SUPA", "incident_on_site", r.number)
    bot.submit("U0SUPA", {"level": 1, "reason": "刀"}, callback_id="incident_level",
               private_metadata=json.dumps({"number": r.number}))
    status, body = bot.slash("U0SUPA", f"status {r.number}")
    shown = json.dumps(body, ensure_ascii=False)
    assert "<@U0SUPA> 到场" in shown and "由【三级（一般）】升为【一级（重大）】：刀" in shown  # #25: 升为 / 降为
    assert "on_site" not in shown and "level_changed" not in shown
