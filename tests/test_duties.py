"""Separation of duties (§4.3.1 领导小组审批, §4.3.3 安全专员复查), over signed HTTP: nobody approves or verifies their
own work. The author of a plan, an extension request or a completion report is refused (ephemeral, operation-log
row, nothing changed); another permitted person takes the step, or, when the author is the only one the policy
permits, the next rung of `rectification.own_work` (deputy, then the leadership group), and the card says who."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot import ids
from bot.clock import FrozenClock
from storage.db import session_scope
from storage.models import AuditEvent
from tests.conftest import ORG_YAML, org_from, start_bot, stop_bot
from tests.test_rectification import (
    T0,
    buttons,
    card_text,
    ephemerals,
    hazard,
    item,
    last_card,
    next_refusal,
    opened,
    plan,
    start,
    submit,
)


def _bot(db_url, fake_slack, org):
    clock = FrozenClock(T0)
    bot = start_bot(db_url, fake_slack, org, clock=clock)
    bot.clock = clock
    return bot


@pytest.fixture
def rbot(db_url, fake_slack):
    bot = _bot(db_url, fake_slack, org_from())
    yield bot
    stop_bot(bot)


@pytest.fixture
def nodeputy(db_url, fake_slack):
    bot = _bot(db_url, fake_slack, org_from(base=ORG_YAML.replace("  deputy: [U0DEPUTY]\n", "")))
    yield bot
    stop_bot(bot)


def refused(bot, user, action) -> int:
    with session_scope(bot.ctx.engine) as s:
        return len(s.execute(select(AuditEvent.id).where(AuditEvent.actor == user,
                                                         AuditEvent.action == f"refused_{action}")).all())


def own_refusal(bot, user, action_id, number, action) -> str:
    """Press `action_id` as its author: refused, one ephemeral, one operation-log row; returns the answer."""
    before, seen, views, state = refused(bot, user, action), len(ephemerals(bot, user)), opened(bot), item(bot, number)
    next_refusal(bot)
    bot.click(user, action_id, number)
    said = ephemerals(bot, user)[seen:]
    assert refused(bot, user, action) == before + 1
    assert len(said) == 1 and "本次操作未生效" in said[0] and "你提交的" in said[0], said
    assert opened(bot) == views
    after = item(bot, number)
    assert (after.state, after.due_at, after.ext_due_at, after.version) == \
        (state.state, state.due_at, state.ext_due_at, state.version)
    return said[0]


def holder(card: dict) -> str:
    text = card_text(card)
    return text[text.index("办理人"):][:80]


def test_the_department_head_neither_approves_his_own_plan_nor_grants_his_own_extension(rbot):
    bot = rbot
    number = hazard(bot)
    start(bot, number, "high", "severe", who="U0OFFICER")  # high risk: the department head owns it
    assert item(bot, number).accountable == "U0HEAD"
    plan(bot, number, who="U0HEAD")
    # the plan's approvers are the head and the deputy: the head wrote it, so the deputy is expected
    assert "U0DEPUTY" in holder(last_card(bot)) and "U0HEAD" not in holder(last_card(bot))
    answer = own_refusal(bot, "U0HEAD", ids.RECT_APPROVE_ACTION, number, "approve_plan")
    assert "<@U0DEPUTY>" in answer
    # sending it back is the same decision: the head's form does not open either
    own_refusal(bot, "U0HEAD", ids.RECT_SEND_BACK_ACTION, number, "approve_plan")
    assert "errors" in str(submit(bot, "U0HEAD", number, "send_back", comment="no"))
    assert item(bot, number).state == "approval"
    bot.click("U0DEPUTY", ids.RECT_APPROVE_ACTION, number)
    assert item(bot, number).state == "in_progress" and item(bot, number).approved_by == "U0DEPUTY"

    # the extension: only the head may approve one (policy), and he asked for it → the deputy's rung
    bot.click("U0HEAD", ids.RECT_EXTENSION_ACTION, number)
    due = item(bot, number).due_at
    assert submit(bot, "U0HEAD", number, "extension", reason="parts", new_date="2026-12-07") == ""
    card = last_card(bot)
    assert ids.RECT_EXT_APPROVE_ACTION in buttons(card)
    assert "U0DEPUTY" in holder(card) and "U0HEAD" not in holder(card)
    assert "<@U0DEPUTY>" in own_refusal(bot, "U0HEAD", ids.RECT_EXT_APPROVE_ACTION, number, "approve_extension")
    own_refusal(bot, "U0HEAD", ids.RECT_EXT_DENY_ACTION, number, "approve_extension")
    assert item(bot, number).due_at == due and item(bot, number).extensions == 0
    assert any("请审批" in t for t in _dms(bot, "U0DEPUTY"))
    bot.click("U0DEPUTY", ids.RECT_EXT_APPROVE_ACTION, number)
    it = item(bot, number)
    assert it.due_at != due and it.extensions == 1 and it.ext_due_at is None
    # someone who is neither permitted nor on the rung is refused as before (not as the author)
    bot.click("U0HEAD", ids.RECT_EXTENSION_ACTION, number)
    assert submit(bot, "U0HEAD", number, "extension", reason="more parts", new_date="2026-12-20") == ""
    before = refused(bot, "U0OFFICER", "approve_extension")
    bot.click("U0OFFICER", ids.RECT_EXT_APPROVE_ACTION, number)
    assert refused(bot, "U0OFFICER", "approve_extension") == before + 1 and item(bot, number).extensions == 1


def test_the_safety_officer_does_not_verify_his_own_completion_report(rbot):
    bot = rbot
    number = hazard(bot)
    start(bot, number)
    plan(bot, number)
    bot.click("U0HEAD", ids.RECT_APPROVE_ACTION, number)
    bot.click("U0HEAD", ids.RECT_REASSIGN_ACTION, number)
    assert submit(bot, "U0HEAD", number, "reassign", accountable="U0OFFICER", assigned="U0OFFICER") == ""
    bot.click("U0OFFICER", ids.RECT_COMPLETE_ACTION, number)
    assert submit(bot, "U0OFFICER", number, "complete", completion="tray fitted") == ""
    assert item(bot, number).state == "verification"
    card = last_card(bot)
    assert "U0DEPUTY" in holder(card) and "U0OFFICER" not in holder(card)  # verify: only the officer → the deputy
    assert any("请验证" in t for t in _dms(bot, "U0DEPUTY")) and not any("请验证" in t for t in _dms(bot, "U0OFFICER"))
    own_refusal(bot, "U0OFFICER", ids.RECT_PASS_ACTION, number, "verify")
    own_refusal(bot, "U0OFFICER", ids.RECT_FAIL_ACTION, number, "verify")
    assert "errors" in str(submit(bot, "U0OFFICER", number, "verify_fail", reason="no"))
    assert item(bot, number).state == "verification"
    bot.click("U0DEPUTY", ids.RECT_PASS_ACTION, number)
    it = item(bot, number)
    assert it.state == "closed" and it.verified_by == "U0DEPUTY"


def test_without_a_deputy_the_step_goes_to_the_leadership_group(nodeputy):
    bot = nodeputy
    number = hazard(bot)
    start(bot, number, "high", "severe", who="U0OFFICER")
    plan(bot, number, who="U0HEAD")
    # approvers: the head only (no deputy) → the deputy rung is empty → the leadership group but the head
    card = last_card(bot)
    assert "U0OFFICER" in holder(card) and "U0HEAD" not in holder(card)
    assert "<@U0OFFICER>" in own_refusal(bot, "U0HEAD", ids.RECT_APPROVE_ACTION, number, "approve_plan")
    bot.click("U0SUPA", ids.RECT_APPROVE_ACTION, number)  # not on the rung: refused as before
    assert item(bot, number).state == "approval"
    bot.click("U0OFFICER", ids.RECT_APPROVE_ACTION, number)
    assert item(bot, number).state == "in_progress" and item(bot, number).approved_by == "U0OFFICER"


def _dms(bot, user) -> list[str]:
    bot.drain()
    return [c.params["text"] for c in bot.fake.of("chat.postMessage") if c.params.get("channel") == user]


def test_the_rungs_are_policy(db_url, fake_slack):
    """The same case with `own_work.approve_plan: [safety_officer]`: the officer is expected, not the deputy."""
    bot = _bot(db_url, fake_slack, org_from("rectification:\n  own_work: {approve_plan: [safety_officer]}",
                                           base=ORG_YAML.replace("  deputy: [U0DEPUTY]\n", "")))
    try:
        number = hazard(bot)
        start(bot, number, "high", "severe", who="U0OFFICER")
        plan(bot, number, who="U0HEAD")
        assert "U0OFFICER" in holder(last_card(bot))
        bot.clock.set(T0 + dt.timedelta(minutes=1))
        bot.click("U0OFFICER", ids.RECT_APPROVE_ACTION, number)
        assert item(bot, number).state == "in_progress"
    finally:
        stop_bot(bot)
