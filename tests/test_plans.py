"""Emergency plans (#9, §3.4.1, §5.1.1) over signed HTTP: /plan lists, /plan NAME shows one in the person's
language, an unknown name gets the list; the organisation file adapts the built-in templates."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from bot.incidents.plans import find_plan, stale_plans
from bot.policy import ConfigError
from tests.conftest import ORG_YAML, org_from, start_bot, stop_bot

EIGHT = {"fire", "power_cut", "system_outage", "customer_harassment", "data_leak", "personal_injury",
         "network_failure", "public_health"}


def plan(bot, user: str, text: str = ""):
    status, body = bot.form({
        "token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": "C0TEAMA", "channel_name": "x",
        "user_id": user, "user_name": user.lower(), "command": "/plan", "text": text, "api_app_id": "A1",
        "is_enterprise_install": "false", "response_url": "http://127.0.0.1:9/hooks",
        "trigger_id": f"trig-{uuid.uuid4().hex[:10]}"})
    assert status == 200, body
    assert body["response_type"] == "ephemeral"
    return body, json.dumps(body.get("blocks"), ensure_ascii=False)


def test_plan_lists_the_eight_built_in_scenarios_marked_as_templates(bot):
    body, blocks = plan(bot, "U0AGENT1")
    for key in EIGHT:
        assert f"`{key}`" in blocks
    for name in ("火灾", "停电", "系统瘫痪", "客户滋扰", "数据泄露", "人员受伤", "网络通信故障", "公共卫生事件"):
        assert name in blocks
    assert blocks.count("（模板）") == 8


def test_a_plan_shows_trigger_steps_people_contacts_route_and_assembly_point_in_chinese(bot):
    body, blocks = plan(bot, "U0AGENT1", "火灾")
    for heading in ("启动条件", "处置步骤", "责任人", "联系方式", "疏散路线", "紧急集合点"):
        assert heading in blocks
    assert "119" in blocks and "走楼梯疏散" in blocks
    assert "<@U0OFFICER>" in blocks and "<@U0HEAD>" in blocks  # the people who hold the roles
    assert "内置模板" in blocks
    assert plan(bot, "U0AGENT1", "fire")[1] == blocks  # the key works too


def test_a_plan_shows_in_english_for_an_english_speaker(bot):
    bot.slash("U0AGENT2", "lang en")
    body, blocks = plan(bot, "U0AGENT2", "fire")
    for heading in ("When it applies", "Steps", "Person responsible", "Contacts", "Evacuation route", "Assembly point"):
        assert heading in blocks
    assert "never the lift" in blocks and "火灾" not in blocks
    body, blocks = plan(bot, "U0AGENT2", "数据泄露")  # a Chinese name finds the plan, shown in English
    assert "Data leak" in blocks and "IT cuts the source" in blocks


def test_an_unknown_plan_name_gets_the_list(bot):
    body, blocks = plan(bot, "U0AGENT1", "地震")
    assert "没有名为“地震”的应急预案" in blocks
    for key in EIGHT:
        assert f"`{key}`" in blocks


CUSTOM = """
plans:
  fire:
    template: false
    reviewed: 2026-10-15
    assembly_point: {en: "Car park B, by the flag pole", zh-CN: "B停车场旗杆下"}
  bomb_threat:
    name: {en: Bomb threat, zh-CN: 炸弹威胁}
    aliases: [bomb]
    template: false
    reviewed: 2026-11-01
    trigger: {en: "A caller says there is a bomb", zh-CN: "来电称有炸弹"}
    steps: [{en: "Keep the caller talking; call 110", zh-CN: "稳住来电者，拨打110"}]
    responsible: [security]
    contacts: [{en: "Police 110", zh-CN: "报警110"}]
    evacuation_route: {en: "Stairs A", zh-CN: "A楼梯"}
    assembly_point: {en: "Car park B", zh-CN: "B停车场"}
"""


@pytest.fixture
def custom_bot(db_url, fake_slack):
    from bot.orgfile import parse_org

    b = start_bot(db_url, fake_slack, parse_org(ORG_YAML + CUSTOM, "org.yaml"))
    yield b
    stop_bot(b)


def test_the_organisation_file_adapts_a_plan_and_adds_its_own(custom_bot):
    body, blocks = plan(custom_bot, "U0AGENT1", "fire")
    assert "B停车场旗杆下" in blocks and "内置模板" not in blocks and "2026-10-15" in blocks
    assert "走楼梯疏散" in blocks  # the rest of the template is kept
    body, blocks = plan(custom_bot, "U0AGENT1", "bomb")
    assert "炸弹威胁" in blocks and "<@U0SEC>" in blocks
    org = custom_bot.ctx.org
    assert find_plan(org, "BOMB") == "bomb_threat"
    stale = stale_plans(org, dt.date(2026, 12, 1))
    assert "fire" not in stale and "bomb_threat" not in stale and "power_cut" in stale
    assert "fire" in stale_plans(org, dt.date(2027, 2, 1))  # a quarter later


def test_an_incident_kind_naming_a_missing_plan_is_refused_at_start():
    with pytest.raises(ConfigError, match="plan"):
        org_from("incident: {categories: {fire: {plan: evacuate_mars}}}")
