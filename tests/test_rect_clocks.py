"""#21 rectification before its clock starts (§4.1.3, §4.3.1–4.3.2): the plan is due from the assessment and the
approval from the plan's submission, each with reminders and the overdue ladder, on the injected clock."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from bot import ids
from bot.clock import FrozenClock
from storage.db import session_scope
from storage.models import Timer
from tests.conftest import org_from, start_bot, stop_bot
from tests.test_rectification import T0, dms, hazard, item, plan, start, submit, sweep

# seconds work in both keys, as everywhere
CLOCKS = """
rectification:
  plan_within: {high: 24h, medium: 90s, low: 2w}
  approve_within: 60s
"""


@pytest.fixture
def cbot(db_url, fake_slack):
    clock = FrozenClock(T0)
    bot = start_bot(db_url, fake_slack, org_from(CLOCKS), clock=clock)
    bot.clock = clock
    yield bot
    stop_bot(bot)


def said(bot, user, words) -> list[str]:
    return [t for t in dms(bot, user) if words in t]


def test_the_plan_then_the_approval_are_chased_when_their_clocks_run_out_and_not_before(cbot):
    bot = cbot
    number = hazard(bot)
    start(bot, number)  # high × general → medium risk at T0: the plan is due in 90 s, the supervisor owns it
    assert item(bot, number).state == "planning"
    assert said(bot, "U0SUPA", "方案提交时限 2026-11-28 10:01")  # told the due moment with the item

    sweep(bot, T0 + dt.timedelta(seconds=44))
    assert said(bot, "U0SUPA", "整改方案时限") == []
    sweep(bot, T0 + dt.timedelta(seconds=45))  # half-time reminder to the owner
    assert len(said(bot, "U0SUPA", "整改方案时限")) == 1

    sweep(bot, T0 + dt.timedelta(seconds=89))
    assert said(bot, "U0SUPA", "整改方案已超期") == []
    sweep(bot, T0 + dt.timedelta(seconds=90))  # the plan's deadline: rung 0, the owner and the team's supervisor
    assert len(said(bot, "U0SUPA", "整改方案已超期")) == 1 and said(bot, "U0HEAD", "已超期") == []
    sweep(bot, T0 + dt.timedelta(seconds=90, hours=24) - dt.timedelta(seconds=1))
    assert said(bot, "U0HEAD", "已超期") == []
    sweep(bot, T0 + dt.timedelta(seconds=90, hours=24))  # rung 1: department head and deputy
    assert len(said(bot, "U0HEAD", "整改方案已超期")) == 1 and len(said(bot, "U0DEPUTY", "整改方案已超期")) == 1

    t1 = T0 + dt.timedelta(days=2)
    bot.clock.set(t1)
    plan(bot, number)  # the plan's clock stops, the approval's starts (60 s)
    assert item(bot, number).state == "approval"
    assert said(bot, "U0HEAD", "审批时限 2026-11-30 10:01")
    sweep(bot, t1 + dt.timedelta(seconds=59))
    assert said(bot, "U0HEAD", "审批已超期") == []
    sweep(bot, t1 + dt.timedelta(seconds=60))  # rung 0 names `owner`: whoever holds the step, the approvers
    assert len(said(bot, "U0HEAD", "整改方案的审批已超期")) == 1
    assert len(said(bot, "U0DEPUTY", "整改方案的审批已超期")) == 1
    sweep(bot, T0 + dt.timedelta(days=30))  # the plan's last rung (72 h) never fires: its clock was stopped
    lead = [c for c in bot.fake.of("chat.postMessage") if c.params.get("channel") == "C0LEAD"
            and "整改方案已超期" in c.params["text"]]
    assert lead == []
    assert len(said(bot, "U0HEAD", "整改方案的审批已超期")) == 2  # approval rung 1 once, each rung once

    bot.click("U0HEAD", ids.RECT_APPROVE_ACTION, number)  # approved: the work's own clock, nothing of the phases
    assert item(bot, number).state == "in_progress"
    with session_scope(bot.ctx.engine) as s:
        pending = {p for (p,) in s.execute(select(Timer.purpose).where(Timer.status == "pending"))}
    assert pending <= {"rectify", "rect_remind"} and "rectify" in pending


def test_a_plan_sent_back_is_due_again_and_the_approvers_are_no_longer_chased(cbot):
    bot = cbot
    number = hazard(bot)
    start(bot, number)
    plan(bot, number)  # at T0: the approval is due at T0 + 60 s

    bot.click("U0HEAD", ids.RECT_SEND_BACK_ACTION, number)
    assert submit(bot, "U0HEAD", number, "send_back", comment="add a date for the tray") == ""
    assert item(bot, number).state == "planning"
    sweep(bot, T0 + dt.timedelta(seconds=89))
    assert said(bot, "U0HEAD", "审批已超期") == [] and said(bot, "U0SUPA", "整改方案已超期") == []
    sweep(bot, T0 + dt.timedelta(seconds=90))  # the revised plan's clock (90 s from the send-back), not approval's
    assert len(said(bot, "U0SUPA", "整改方案已超期")) == 1 and said(bot, "U0HEAD", "审批已超期") == []


def test_the_policy_refuses_working_days_for_the_plan_clocks():
    with pytest.raises(Exception, match="working days"):
        org_from("rectification:\n  approve_within: 2wd\n")


# --------------------------------------------------------------------------- the digest and the Home tab (#21)
def home_of(bot, user) -> str:
    import json

    bot.drain()
    status, _ = bot.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
    assert status == 200
    bot.drain()
    views = [c.params for c in bot.fake.of("views.publish") if c.params.get("user_id") == user]
    return json.dumps(views[-1]["view"], ensure_ascii=False) if views else ""


def test_open_and_overdue_items_in_the_digest_and_on_the_home_tab_of_whoever_must_act(cbot):
    import json

    from bot.hazards import digest

    bot = cbot
    number = hazard(bot)
    start(bot, number)  # planning: the supervisor must submit the plan within 90 s
    home = home_of(bot, "U0SUPA")
    assert "待我办理的整改" in home and number in home and "待提交整改方案" in home and "已超期" not in home
    assert "待我办理的整改" not in home_of(bot, "U0HEAD")  # the head holds nothing yet
    page = json.dumps(digest.daily_payload(bot.ctx, T0 + dt.timedelta(seconds=89), "C0SAFETY")["blocks"],
                      ensure_ascii=False)
    assert "未闭环1项，已超期0项" in page
    bot.clock.set(T0 + dt.timedelta(seconds=90))  # the plan's clock has run out
    assert "已超期" in home_of(bot, "U0SUPA")
    page = json.dumps(digest.daily_payload(bot.ctx, T0 + dt.timedelta(seconds=90), "C0SAFETY")["blocks"],
                      ensure_ascii=False)
    assert "未闭环1项，已超期1项" in page and number in page and "<@U0SUPA>" in page
    plan(bot, number)  # now the approvers must act, and the owner no longer
    assert number in home_of(bot, "U0HEAD") and "整改方案待审批" in home_of(bot, "U0HEAD")
    assert "待我办理的整改" not in home_of(bot, "U0SUPA")
