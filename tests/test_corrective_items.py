"""#21 §5.2.3: an investigation's corrective actions are rectification items in their own right — owner, deadline,
reminders, completion report, verification by the safety officer (never by whoever reported it done), the overdue
ladder — and the incident's card shows how far they are; over signed HTTP on the injected clock."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from bot import ids
from bot.clock import FrozenClock
from storage.db import session_scope
from storage.models import AuditEvent, CorrectiveAction, RectItem, Report
from tests.conftest import org_from, start_bot, stop_bot
from tests.test_incidents import incident, incidents, task
from tests.test_rectification import T0, dms, submit, sweep

# seconds work: the action is due 100 s after the investigation; the half-time reminder comes at 50 s
FAST = """
incident:
  corrective_action_within: 100s
"""
BASE = {"course": "坐席12旁电源线绊倒客服专员", "cause": "电源线未固定", "responsibility": "后勤未按月检查"}


@pytest.fixture
def cbot(db_url, fake_slack):
    clock = FrozenClock(T0)
    bot = start_bot(db_url, fake_slack, org_from(FAST), clock=clock)
    bot.clock = clock
    yield bot
    stop_bot(bot)


def said(bot, user, words) -> list[str]:
    return [t for t in dms(bot, user) if words in t]


def incident_card(bot, number) -> str:
    bot.drain()
    cards = [c.params for c in bot.fake.calls if c.method in ("chat.postMessage", "chat.update")
             and number in c.params.get("text", "") and "after_the_event" in json.dumps(c.params.get("blocks") or [])]
    return json.dumps(cards[-1]["blocks"], ensure_ascii=False) if cards else ""


def items_of(bot, incident_id) -> list[tuple[CorrectiveAction, Report, RectItem]]:
    with session_scope(bot.ctx.engine) as s:
        out = []
        for a in s.execute(select(CorrectiveAction).where(CorrectiveAction.report_id == incident_id)
                           .order_by(CorrectiveAction.id)).scalars():
            hz = s.get(Report, a.item_report_id) if a.item_report_id else None
            it = s.execute(select(RectItem).where(RectItem.report_id == hz.id)).scalar_one() if hz else None
            out.append((a, hz, it))
        return out


def test_each_corrective_action_is_an_item_chased_on_its_clock_and_verified_by_the_safety_officer(cbot):
    bot = cbot
    incident(bot, kind="fire", description="smoke in row 3")
    inc = incidents(bot)[0]
    status, answer = task(bot, "U0OFFICER", inc.number, "investigation",
                          dict(BASE, action_1="固定全部电源线", owner_1="U0AGENT1",
                               action_2="每月检查线缆", owner_2="U0OFFICER"))
    assert status == 200 and not answer
    (a1, hz1, it1), (a2, hz2, it2) = items_of(bot, inc.id)
    # each a hazard of the policy's level and category, answered at once, its item approved and due with the action
    assert hz1.kind == "hazard" and hz1.status == "resolved" and hz1.category == "other" and hz1.level == 3
    assert hz1.source_key == f"incident-action:{a1.id}" and inc.number in hz1.location
    assert (it1.state, it1.accountable, it1.assigned, it1.approved_by) == ("in_progress", "U0AGENT1", "U0AGENT1",
                                                                           "U0OFFICER")
    assert it1.due_at == a1.due_at == T0 + dt.timedelta(seconds=100) and it1.team == "Hotline A"
    assert it2.assigned == "U0OFFICER" and a1.status == a2.status == "open"
    assert said(bot, "U0AGENT1", hz1.number) and "整改项" in said(bot, "U0AGENT1", hz1.number)[0]  # told its number
    assert "已完成0/2项" in incident_card(bot, inc.number)

    # reminders at half-time, to the owner, not before
    sweep(bot, T0 + dt.timedelta(seconds=49))
    assert said(bot, "U0AGENT1", "整改提醒") == []
    sweep(bot, T0 + dt.timedelta(seconds=50))
    assert len(said(bot, "U0AGENT1", "整改提醒")) == 1 and hz1.number in said(bot, "U0AGENT1", "整改提醒")[0]

    # the deadline: rung 0 to the owner and their team's supervisor, not before; the card counts them overdue
    sweep(bot, T0 + dt.timedelta(seconds=99))
    assert said(bot, "U0AGENT1", "整改已超期") == [] and said(bot, "U0SUPA", "整改已超期") == []
    sweep(bot, T0 + dt.timedelta(seconds=100))
    assert len(said(bot, "U0AGENT1", "整改已超期")) == 1 and len(said(bot, "U0SUPA", "整改已超期")) == 1
    assert "超期2项" in incident_card(bot, inc.number)
    sweep(bot, T0 + dt.timedelta(seconds=100, hours=24) - dt.timedelta(seconds=1))
    assert said(bot, "U0HEAD", "整改已超期") == []
    sweep(bot, T0 + dt.timedelta(seconds=100, hours=24))  # rung 1: the department head and the deputy
    assert said(bot, "U0HEAD", hz1.number) and said(bot, "U0DEPUTY", hz2.number)

    # the owner's completion report; the owner may not verify it, the safety officer does: closed, the action done
    bot.click("U0AGENT1", ids.RECT_COMPLETE_ACTION, hz1.number)
    assert submit(bot, "U0AGENT1", hz1.number, "complete", completion="全部电源线已固定") == ""
    bot.click("U0AGENT1", ids.RECT_PASS_ACTION, hz1.number)
    assert items_of(bot, inc.id)[0][2].state == "verification"
    bot.click("U0OFFICER", ids.RECT_PASS_ACTION, hz1.number)
    (a1, _, it1), (a2, _, it2) = items_of(bot, inc.id)
    assert it1.state == "closed" and (a1.status, a1.done_by) == ("done", "U0OFFICER")
    card = incident_card(bot, inc.number)
    assert "已完成1/2项" in card and "超期1项" in card

    # the safety officer's own action: they report it done, so they may not verify it (`own_work`): the deputy does
    bot.click("U0OFFICER", ids.RECT_COMPLETE_ACTION, hz2.number)
    assert submit(bot, "U0OFFICER", hz2.number, "complete", completion="已纳入月度检查") == ""
    assert said(bot, "U0DEPUTY", "请验证")
    bot.click("U0OFFICER", ids.RECT_PASS_ACTION, hz2.number)
    assert items_of(bot, inc.id)[1][2].state == "verification"
    bot.click("U0DEPUTY", ids.RECT_PASS_ACTION, hz2.number)
    assert items_of(bot, inc.id)[1][0].status == "done"
    card = incident_card(bot, inc.number)
    assert "已完成2/2项" in card and "超期" not in card
    with session_scope(bot.ctx.engine) as s:
        done = s.execute(select(AuditEvent.actor).where(AuditEvent.action == "corrective_action_done",
                                                        AuditEvent.subject_id == inc.id)
                         .order_by(AuditEvent.id)).scalars().all()
    assert done == ["U0OFFICER", "U0DEPUTY"]  # on the incident's timeline


def test_the_english_catalog_names_the_item_too(db_url, fake_slack):
    clock = FrozenClock(T0)
    bot = start_bot(db_url, fake_slack, org_from(FAST, **{"locale: zh-CN": "locale: en"}), clock=clock)
    bot.clock = clock
    try:
        incident(bot, kind="fire", description="smoke in row 3")
        inc = incidents(bot)[0]
        status, answer = task(bot, "U0OFFICER", inc.number, "investigation",
                              dict(BASE, action_1="fix the cords", owner_1="U0AGENT1"))
        assert status == 200 and not answer
        (_, hz, _), = items_of(bot, inc.id)
        assert any(hz.number in t and "rectification item" in t for t in dms(bot, "U0AGENT1"))
        assert "0 of 1 done" in incident_card(bot, inc.number)
    finally:
        stop_bot(bot)
