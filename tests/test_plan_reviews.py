"""#21 §5.1.1 / §4.1.3: an emergency plan's review is recorded with who and when (`/plan review <plan>`, or Reviewed
on the safety officer's reminder), and the stale list counts from the last review; over signed HTTP on the injected
clock (the monthly summary is the clock that reaches the safety officer)."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from bot import ids, jobs
from bot.clock import FrozenClock
from storage.db import session_scope
from storage.models import AuditEvent, PlanReview
from tests.conftest import org_from, start_bot, stop_bot
from tests.test_plans import plan

KEYS = ("fire", "power_cut", "system_outage", "customer_harassment", "data_leak", "personal_injury", "network_failure",
        "public_health")
PLANS = "".join(f"  {k}: {{reviewed: 2026-10-01}}\n" for k in KEYS)
T0 = dt.datetime(2026, 12, 20, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 Shanghai


def org(**more):
    return org_from("", **{"teams:\n": "plans:\n" + PLANS + "teams:\n"}, **more)


def reminders(bot) -> list[dict]:
    bot.drain()
    return [c.params for c in bot.fake.of("chat.postMessage")
            if c.params.get("channel") == "U0OFFICER" and "未评审" in c.params.get("text", "")]


def monthly(bot, clock, year, month) -> dict | None:
    at = dt.datetime(year, month, 1, 9, 30, tzinfo=bot.ctx.org.tz)
    clock.set(at.astimezone(dt.timezone.utc))
    before = len(reminders(bot))
    assert jobs.run_job(bot.ctx, "incident_cases", at)
    got = reminders(bot)
    assert len(got) <= before + 1
    return got[-1] if len(got) > before else None


def reviews(bot) -> list[tuple]:
    with session_scope(bot.ctx.engine) as s:
        return [tuple(r) for r in s.execute(select(PlanReview.plan, PlanReview.reviewed_by, PlanReview.reviewed_at)
                                            .order_by(PlanReview.id))]


def test_a_recorded_review_restarts_the_plans_clock_and_the_reminder_comes_when_it_runs_out(db_url, fake_slack):
    clock = FrozenClock(T0)
    bot = start_bot(db_url, fake_slack, org(), clock=clock)
    try:
        # refused to whoever `review_plan` does not name, unknown plans: nothing stored, the person told
        body, _ = plan(bot, "U0AGENT1", "review 火灾")
        assert "只有" in body["text"] and "本次未记录" in body["text"]
        body, _ = plan(bot, "U0OFFICER", "review 月球预案")
        assert "没有名为“月球预案”的应急预案" in body["text"]
        assert reviews(bot) == []
        with session_scope(bot.ctx.engine) as s:
            assert s.execute(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "refused_review_plan")).scalar_one() == 1

        body, _ = plan(bot, "U0OFFICER", "review 火灾")  # by the safety officer, now
        assert "已记录应急预案 *火灾* 的评审" in body["text"] and "2027-03-21" in body["text"]
        assert reviews(bot) == [("fire", "U0OFFICER", T0)]
        with session_scope(bot.ctx.engine) as s:
            audit = s.execute(select(AuditEvent).where(AuditEvent.action == "plan_reviewed")).scalar_one()
            assert (audit.actor, audit.after["plan"], audit.before["reviewed"]) == ("U0OFFICER", "fire", "2026-10-01")
        _, shown = plan(bot, "U0AGENT1", "火灾")
        assert "2026-12-20" in shown  # /plan shows the last review

        # 1 January: the others are past 13 weeks from 1 October and listed, with a Reviewed button each; fire is not
        dm = monthly(bot, clock, 2027, 1)
        assert dm is not None and "停电" in dm["text"] and "火灾" not in dm["text"]
        blocks = json.dumps(dm["blocks"], ensure_ascii=False)
        assert blocks.count(ids.PLAN_REVIEWED_ACTION) == 7 and "已评审 · 停电" in blocks
        bot.click("U0OFFICER", ids.PLAN_REVIEWED_ACTION, "power_cut", channel="DOFFICER")
        assert reviews(bot)[-1][:2] == ("power_cut", "U0OFFICER")
        bot.click("U0AGENT1", ids.PLAN_REVIEWED_ACTION, "data_leak", channel="DAGENT")  # a stranger's press
        assert [r[0] for r in reviews(bot)] == ["fire", "power_cut"]

        dm = monthly(bot, clock, 2027, 3)  # 1 March: fire 71 days after its review, power_cut 59
        assert dm is not None and "火灾" not in dm["text"] and "停电" not in dm["text"] and "数据泄露" in dm["text"]
        dm = monthly(bot, clock, 2027, 4)  # 1 April: fire's 13 weeks ran out on 21 March; power_cut's not yet
        assert dm is not None and "火灾" in dm["text"] and "停电" not in dm["text"]
    finally:
        stop_bot(bot)


def test_the_review_is_answered_in_english_too(db_url, fake_slack):
    clock = FrozenClock(T0)
    bot = start_bot(db_url, fake_slack, org(**{"locale: zh-CN": "locale: en"}), clock=clock)
    try:
        body, _ = plan(bot, "U0OFFICER", "review fire")
        assert "Review of the emergency plan *Fire* recorded" in body["text"] and "2027-03-21" in body["text"]
        body, _ = plan(bot, "U0AGENT1", "review fire")
        assert body["text"].startswith("Only ") and "nothing was recorded" in body["text"]
    finally:
        stop_bot(bot)
