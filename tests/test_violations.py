"""The violations ledger (违规记录, #24; §3.6.2, §5.2.3, §6.1.3, §3.2.3) over signed HTTP with an injected clock: the
graded response from the person's history within the policy window (oral warning, written notice and this
month's bonus, pay cut and transfer; an accident caused by negligence → the accountability procedure), the
person's DM with the step and the Appeal button, the required action after three in a row (owner and date),
appeals decided by someone other than the recorder; and every path pressed by every role outside the policy's
group (department head, deputy, safety officer), which sees, lists, searches and changes nothing."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import ids
from bot.clock import FrozenClock
from storage.db import session_scope
from storage.models import AuditEvent, Violation
from tests.conftest import ORG_YAML, actions_payload, org_from, start_bot, stop_bot, without_jobs_of

SH = ZoneInfo("Asia/Shanghai")
HEAD, DEPUTY, OFFICER = "U0HEAD", "U0DEPUTY", "U0OFFICER"
AGENT, AGENT2, AGENT3, SUPA, SUPB = "U0AGENT1", "U0AGENT2", "U0AGENT3", "U0SUPA", "U0SUPB"
REP = "U0EMPREP"  # people.leadership (an employee representative): in the group, not in the ledger's policy
OTHERS = (SUPA, SUPB, AGENT, AGENT2, AGENT3, "U0IT", "U0SEC", REP, "U0STRANGER")
SECRET_WORDS = "在工位吸烟"


def local(*a) -> dt.datetime:
    return dt.datetime(*a, tzinfo=SH).astimezone(dt.timezone.utc)


@pytest.fixture(autouse=True)
def _no_jobs(monkeypatch):
    without_jobs_of(monkeypatch, "checks", "drills", "suggestions")


@pytest.fixture
def vbot(db_url, fake_slack):
    clock = FrozenClock(local(2026, 9, 14, 10, 0))
    org = org_from(base=ORG_YAML.replace("security: [U0SEC]", f"security: [U0SEC]\n  leadership: [{REP}]"))
    bot = start_bot(db_url, fake_slack, org, clock=clock)
    bot.clock = clock
    yield bot
    stop_bot(bot)


def cmd(bot, user: str, text: str = ""):
    status, body = bot.form({
        "token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": "C0TEAMA", "channel_name": "x",
        "user_id": user, "user_name": user.lower(), "command": ids.VIOLATION_COMMAND, "text": text,
        "api_app_id": "A1", "is_enterprise_install": "false", "response_url": "http://127.0.0.1:9/hooks",
        "trigger_id": f"trig-{uuid.uuid4().hex[:10]}"})
    assert status == 200, body
    return body


def submit(bot, user: str, person: str, what: str, day: str, accident: bool = False, linked: str = "",
           view_id: str | None = None):
    state = {"what": {"value": {"type": "plain_text_input", "value": what}},
             "occurred_on": {"value": {"type": "datepicker", "selected_date": day}},
             "evidence": {"value": {"type": "plain_text_input", "value": "监控截图"}},
             "linked": {"value": {"type": "plain_text_input", "value": linked or None}},
             "accident": {"value": {"type": "radio_buttons", "selected_option": {
                 "text": {"type": "plain_text", "text": "y"}, "value": "yes"} if accident else None}}}
    payload = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": user, "team_id": "T1"},
               "api_app_id": "A1", "token": "legacy", "trigger_id": f"t{uuid.uuid4().hex[:8]}",
               "view": {"id": view_id or f"V{uuid.uuid4().hex[:10].upper()}", "team_id": "T1", "type": "modal",
                        "callback_id": ids.VIOLATION_VIEW, "private_metadata": json.dumps({"person": person}),
                        "hash": "h", "blocks": [], "title": {"type": "plain_text", "text": "x"},
                        "state": {"values": state}, "app_id": "A1", "bot_id": "BBOT"},
               "response_urls": [], "is_enterprise_install": False}
    status, body = bot.interactive(payload)
    assert status == 200, body
    return body


def press(bot, user: str, action: str, value: str, channel: str = "D0DM"):
    status, _ = bot.interactive(actions_payload(user, action, value, channel=channel,
                                                block_id=ids.VIOLATION_ACTIONS_BLOCK))
    assert status == 200


def answered(bot, user: str) -> str:
    bot.drain()
    calls = [c for c in bot.fake.of("chat.postEphemeral") if c.params.get("user") == user]
    assert calls, f"{user} got no answer"
    return calls[-1].params["text"]


def entries(bot) -> list[Violation]:
    with session_scope(bot.ctx.engine) as s:
        return list(s.execute(select(Violation).order_by(Violation.id)).scalars())


def dms_to(bot, user: str) -> list[str]:
    bot.drain()
    return [json.dumps(c.params, ensure_ascii=False) for c in bot.fake.of("chat.postMessage")
            if c.params.get("channel") == user]


def test_the_graded_response_the_dm_and_the_required_action(vbot):
    # an entry older than the window does not count
    assert "首次违规口头警告" in json.dumps(submit(vbot, OFFICER, AGENT, "旧的违规", "2025-08-01"), ensure_ascii=False)
    # the form shows which step applies from the person's history
    cmd(vbot, OFFICER, f"<@{AGENT}|agent1>")
    form = vbot.fake.of("views.open")[-1].params["view"]
    assert form["callback_id"] == ids.VIOLATION_VIEW and "首次违规口头警告" in json.dumps(form, ensure_ascii=False)
    steps = []
    for n, day in enumerate(("2026-09-01", "2026-09-08", "2026-09-14"), 1):
        answer = json.dumps(submit(vbot, OFFICER, AGENT, f"{SECRET_WORDS} 第{n}次 13812345678", day), ensure_ascii=False)
        steps.append(entries(vbot)[-1].step)
        assert answer.count("response_action") == 1 and f"第{n}次" in answer
    assert steps == ["oral_warning", "written_notice", "pay_cut_transfer"]
    third = entries(vbot)[-1]
    assert third.count == 3 and third.action == "suspend_calls" and third.action_owner == DEPUTY
    assert third.action_due == dt.date(2026, 9, 15) and "13812345678" not in third.what
    # the person is told each time, with the step and the Appeal button; the deputy is told what to do
    dms = dms_to(vbot, AGENT)
    assert len(dms) == 4 and "三次违规降薪调岗" in dms[-1] and ids.VIOLATION_APPEAL_ACTION in dms[-1]
    assert "再次违规书面通报，扣除当月奖金" in dms[-2] and "7天内" in dms[-1]
    assert any("暂停接听权限" in d and "2026-09-15" in d for d in dms_to(vbot, DEPUTY))
    # the form between shows the next step; an accident caused by negligence → the accountability procedure
    cmd(vbot, HEAD, f"<@{AGENT}|agent1>")
    assert "三次违规降薪调岗" in json.dumps(vbot.fake.of("views.open")[-1].params, ensure_ascii=False)
    submit(vbot, HEAD, AGENT, "违规操作导致插线板起火", "2026-09-14", accident=True, linked="hz-2026-00042")
    last = entries(vbot)[-1]
    assert last.step == "accountability" and last.linked == "HZ-2026-00042" and last.recorded_by == HEAD
    # the same form twice records once; bad input is answered on the form and records nothing
    body = submit(vbot, OFFICER, AGENT2, "x", "2026-09-14", view_id="VSAME")
    submit(vbot, OFFICER, AGENT2, "x", "2026-09-14", view_id="VSAME")
    assert len([e for e in entries(vbot) if e.person_id == AGENT2]) == 1 and body["response_action"] == "update"
    bad = submit(vbot, OFFICER, AGENT2, " ", "2027-01-01", linked="nope")
    assert bad["response_action"] == "errors" and set(bad["errors"]) == {"what", "occurred_on", "linked"}
    # the list for the leadership; the audit rows name the entries
    listing = cmd(vbot, DEPUTY, "list")["text"]
    assert SECRET_WORDS in listing and "追责" in listing
    with session_scope(vbot.ctx.engine) as s:
        assert len(list(s.execute(select(AuditEvent).where(AuditEvent.subject_type == "violation")).scalars())) == 6


def test_an_appeal_is_decided_by_someone_other_than_the_recorder(vbot):
    submit(vbot, OFFICER, AGENT, SECRET_WORDS, "2026-09-10")
    vid = str(entries(vbot)[0].id)
    press(vbot, AGENT2, ids.VIOLATION_APPEAL_ACTION, vid)  # not theirs
    assert "只有被登记人本人" in answered(vbot, AGENT2)
    press(vbot, AGENT, ids.VIOLATION_APPEAL_ACTION, vid)
    assert vbot.fake.of("views.open")[-1].params["view"]["callback_id"] == ids.VIOLATION_APPEAL_VIEW
    payload = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": AGENT, "team_id": "T1"},
               "api_app_id": "A1", "token": "legacy", "trigger_id": "t1",
               "view": {"id": "VAPPEAL1", "team_id": "T1", "type": "modal", "callback_id": ids.VIOLATION_APPEAL_VIEW,
                        "private_metadata": json.dumps({"id": int(vid)}), "hash": "h", "blocks": [],
                        "title": {"type": "plain_text", "text": "x"}, "app_id": "A1", "bot_id": "BBOT",
                        "state": {"values": {"appeal": {"value": {"type": "plain_text_input",
                                                                  "value": "那天我没有上班"}}}}},
               "response_urls": [], "is_enterprise_install": False}
    forged = json.loads(json.dumps(payload))
    forged["user"]["id"] = AGENT2
    assert vbot.interactive(forged)[1]["response_action"] == "errors"
    assert vbot.interactive(payload)[1]["response_action"] == "update"
    assert entries(vbot)[0].appeal_status == "pending"
    payload["trigger_id"] = "t2"  # not a replay: the same appeal sent again
    assert vbot.interactive(payload)[1]["response_action"] == "errors"  # appealed once
    # the deciders are told, except whoever recorded it
    assert any("那天我没有上班" in d for d in dms_to(vbot, HEAD))
    assert any("那天我没有上班" in d for d in dms_to(vbot, DEPUTY))
    assert not any("那天我没有上班" in d for d in dms_to(vbot, OFFICER))
    press(vbot, OFFICER, ids.VIOLATION_OVERTURN_ACTION, vid)
    assert "登记人不能处理" in answered(vbot, OFFICER)
    vbot.clock.set(local(2026, 9, 14, 11, 0))  # refusals are answered once per person per `answers.refusals_every`
    for user in OTHERS:
        press(vbot, user, ids.VIOLATION_OVERTURN_ACTION, vid)
        assert "只有部门负责人、副组长和安全专员" in answered(vbot, user)
    assert entries(vbot)[0].appeal_status == "pending"
    press(vbot, HEAD, ids.VIOLATION_OVERTURN_ACTION, vid)
    assert "撤销记录" in answered(vbot, HEAD)
    assert entries(vbot)[0].appeal_status == "overturned" and entries(vbot)[0].appeal_decided_by == HEAD
    assert any("撤销记录" in d for d in dms_to(vbot, AGENT))
    press(vbot, DEPUTY, ids.VIOLATION_UPHOLD_ACTION, vid)
    assert "没有待处理的申诉" in answered(vbot, DEPUTY)
    # an overturned entry no longer counts: the next one is a first again
    submit(vbot, DEPUTY, AGENT, "another", "2026-09-14")
    assert entries(vbot)[-1].step == "oral_warning"
    # an appeal after the policy's days is refused
    vbot.clock.set(local(2026, 9, 22, 10, 0))
    press(vbot, AGENT, ids.VIOLATION_APPEAL_ACTION, str(entries(vbot)[-1].id))
    assert "申诉期已过" in answered(vbot, AGENT)


def test_nobody_outside_the_policy_group_can_list_see_search_or_record(vbot):
    submit(vbot, OFFICER, AGENT, SECRET_WORDS, "2026-09-10")
    opened = len(vbot.fake.of("views.open"))
    for user in OTHERS:
        for text in ("", "help", "list", "列表", f"<@{AGENT}|agent1>", f"<@{user}>", "search 吸烟"):
            answer = cmd(vbot, user, text)
            assert "只有部门负责人、副组长和安全专员" in answer["text"], (user, text, answer)
            assert SECRET_WORDS not in json.dumps(answer, ensure_ascii=False)
        forged = submit(vbot, user, AGENT2, "forged entry", "2026-09-14")
        assert forged["response_action"] == "errors"
        press(vbot, user, ids.VIOLATION_UPHOLD_ACTION, str(entries(vbot)[0].id))
        assert "只有部门负责人、副组长和安全专员" in answered(vbot, user)
    assert len(vbot.fake.of("views.open")) == opened
    assert [e.person_id for e in entries(vbot)] == [AGENT]
    assert entries(vbot)[0].appeal_status == ""
    # nothing the bot sent anyone outside the group (but the person's own DM) holds the entry
    vbot.drain()
    for c in vbot.fake.calls:
        target = c.params.get("user") or c.params.get("channel")
        if target in OTHERS and target != AGENT:
            assert SECRET_WORDS not in json.dumps(c.params, ensure_ascii=False), (c.method, target)
    # the three in the group may
    for user in (HEAD, DEPUTY, OFFICER):
        assert SECRET_WORDS in cmd(vbot, user, "list")["text"]
