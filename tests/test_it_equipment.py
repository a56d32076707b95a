"""#21 §3.1.3 / §4.2.3: IT answers an equipment hazard within 4 h and holds it with the level's responders (a level-3
one is fixed within 48 h): IT is among its responders and on its ladders, policy-driven (`hazard.categories.equipment:
responders, answer_within`; `escalation.answer`); over signed HTTP on the injected clock."""

from __future__ import annotations

import datetime as dt

import pytest

from bot import ids
from bot.clock import FrozenClock
from tests.conftest import org_from, start_bot, stop_bot
from tests.test_rectification import T0, dms, sweep
from tests.test_thread_work import _audit, _report, reply

H = dt.timedelta(hours=1)
S = dt.timedelta(seconds=1)


@pytest.fixture
def cbot(db_url, fake_slack):
    clock = FrozenClock(T0)  # 10:00 in Shanghai: every moment below is within working hours
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock)
    bot.clock = clock
    yield bot
    stop_bot(bot)


def said(bot, user, words) -> list[str]:
    return [t for t in dms(bot, user) if words in t]


def test_it_is_chased_when_its_four_hours_run_out_and_not_before_and_holds_the_level_3_fix(cbot):
    bot = cbot
    report, _ = _report(bot, level=3, category="equipment", description="headset amplifier dead at desk 12")
    assert report.partner_due_at == T0 + 4 * H
    assert said(bot, "U0IT", report.number)  # IT is told at once, as a responder
    bot.click("U0SUPA", ids.ACK_ACTION, report.number)  # the supervisor's acknowledgement does not answer for IT

    sweep(bot, T0 + 4 * H - S)
    assert said(bot, "U0IT", "信息技术部响应") == [] and said(bot, "U0OFFICER", "信息技术部响应") == []
    sweep(bot, T0 + 4 * H)  # rung 0: IT and the safety officer
    assert len(said(bot, "U0IT", "尚未信息技术部响应")) == 1 and len(said(bot, "U0OFFICER", "尚未信息技术部响应")) == 1
    sweep(bot, T0 + 8 * H - S)
    assert said(bot, "U0HEAD", "信息技术部响应") == []
    sweep(bot, T0 + 8 * H)  # rung 1: the department head and the deputy
    assert len(said(bot, "U0HEAD", "尚未信息技术部响应")) == 1

    # the level-3 fix within 48 h: the resolve ladder's `responders` rung names IT with the supervisor
    sweep(bot, T0 + 48 * H - S)
    assert said(bot, "U0IT", "尚未处理") == []
    sweep(bot, T0 + 48 * H)
    assert len(said(bot, "U0IT", "尚未处理")) == 1 and len(said(bot, "U0SUPA", "尚未处理")) == 1


def test_its_reply_in_the_thread_answers_and_the_clock_stops(cbot):
    bot = cbot
    report, ts = _report(bot, level=3, category="equipment", description="monitor flickers at desk 7")
    bot.click("U0SUPA", ids.ACK_ACTION, report.number)
    bot.clock.set(T0 + H)
    reply(bot, ts, "U0IT", "on my way with a spare")
    assert [a.actor for a in _audit(bot, "answered")] == ["U0IT"]
    sweep(bot, T0 + 30 * H)
    assert said(bot, "U0IT", "尚未信息技术部响应") == [] and said(bot, "U0OFFICER", "尚未信息技术部响应") == []


def test_it_may_acknowledge_an_equipment_hazard_and_that_answers_too(cbot):
    bot = cbot
    report, _ = _report(bot, level=3, category="equipment", description="phone line dead at desk 3")
    other, _ = _report(bot, level=3, category="electrical", description="loose socket at desk 4",
                       location="row 4 desk 4")
    assert other.partner_due_at is None  # only the categories that say so
    bot.click("U0IT", ids.ACK_ACTION, other.number)
    assert not _audit(bot, "acknowledged", "U0IT")  # not IT's to hold
    bot.click("U0IT", ids.ACK_ACTION, report.number)
    assert [a.actor for a in _audit(bot, "acknowledged")] == ["U0IT"]
    assert [a.actor for a in _audit(bot, "answered")] == ["U0IT"]
    sweep(bot, T0 + 5 * H)
    assert said(bot, "U0OFFICER", "尚未信息技术部响应") == []


def test_the_english_catalog_names_its_answer(db_url, fake_slack):
    clock = FrozenClock(T0)
    bot = start_bot(db_url, fake_slack, org_from("", **{"locale: zh-CN": "locale: en"}), clock=clock)
    bot.clock = clock
    try:
        report, _ = _report(bot, level=3, category="equipment", description="headset dead")
        sweep(bot, T0 + 4 * H)
        assert any(report.number in t and "has no answer from IT yet" in t for t in dms(bot, "U0IT"))
    finally:
        stop_bot(bot)
