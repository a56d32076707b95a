"""#21 incidents reach the partner departments at every level (§2.3.2, §5.2.1): the kind's `page:` people are told
by DM whatever the level, legal for an information leak, and security is due on site within 10 minutes of a
customer conflict (an On site press by security stops the clock, else the ladder climbs), on the injected clock."""

from __future__ import annotations

import datetime as dt

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
