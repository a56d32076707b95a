"""The appraisal's safety score (安全指标占绩效考核15%, #24; §3.6.3) against values worked by hand on seeded data,
through `/appraisal` over signed HTTP: one's own privately, another's only for the ledger's group.

Policy: parts rectification 40 · violations 40 · accidents 20; −50 per violation, −100 per accident, −25 per
flagged item of a supervisor's team; weight 15%. September 2026 (Shanghai):

* U0AGENT1: 5 items due in September, 3 on time, 2 late (one completed after its deadline, one completed before
  its extended deadline but overdue once: §4.3.2) → 60; 1 violation in September (one in August and one
  overturned do not count) → 50; no accident → 100. 0.4·60 + 0.4·50 + 0.2·100 = 64.0 → 9.60.
  (An item due in October and one of U0AGENT2's are not theirs for September.)
* U0AGENT2: 1 item due, not completed → 0; 1 violation that caused an accident → 50 and 0. 0 + 20 + 0 = 20.0 → 3.00.
* U0SUPA: no item of their own → 100, one flagged item of Hotline A → 75; nothing else. 30 + 40 + 20 = 90.0 → 13.50.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid
from zoneinfo import ZoneInfo

import pytest

from bot import ids
from bot.clock import FrozenClock
from storage.db import session_scope
from storage.models import RectItem, Report, Violation
from tests.conftest import org_from, start_bot, stop_bot, without_jobs_of

SH = ZoneInfo("Asia/Shanghai")
_seq = itertools.count(1)


def local(*a) -> dt.datetime:
    return dt.datetime(*a, tzinfo=SH).astimezone(dt.timezone.utc)


@pytest.fixture(autouse=True)
def _no_jobs(monkeypatch):
    without_jobs_of(monkeypatch, "checks", "drills", "suggestions")


@pytest.fixture
def abot(db_url, fake_slack):
    clock = FrozenClock(local(2026, 10, 2, 10, 0))
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock)
    bot.clock = clock
    yield bot
    stop_bot(bot)


def item(s, assigned: str, due: dt.datetime, done: dt.datetime | None = None, late: bool = False,
         flagged: bool = False, team: str = "Hotline A") -> None:
    n = next(_seq)
    report = Report(number=f"HZ-2026-{n:05d}", year=2026, seq=n, source_key=f"seed-{uuid.uuid4().hex}",
                    category="electrical", level=3, description="seed", reporter_id="U0AGENT3",
                    reported_at=local(2026, 8, 20, 9, 0), respond_due_at=local(2026, 8, 20, 9, 30),
                    resolve_due_at=local(2026, 8, 21, 9, 0), status="resolved", team=team)
    s.add(report)
    s.flush()
    s.add(RectItem(report_id=report.id, team=team, likelihood="low", impact="minor", risk="low", state="closed" if done
                   else "in_progress", accountable="U0SUPA", assigned=assigned, created_at=local(2026, 8, 20, 10, 0),
                   created_by="U0OFFICER", due_at=due, completed_at=done, was_overdue=late, overdue=late,
                   flagged=flagged))


def entry(s, person: str, day: dt.date, accident: bool = False, appeal: str = "") -> None:
    s.add(Violation(source_key=f"seed-{uuid.uuid4().hex}", person_id=person, what="seed", occurred_on=day,
                    caused_accident=accident, step="oral_warning", recorded_by="U0OFFICER",
                    recorded_at=local(2026, 9, 1, 9, 0), appeal_status=appeal))


def seed(bot) -> None:
    with session_scope(bot.ctx.engine) as s:
        a1 = "U0AGENT1"
        item(s, a1, local(2026, 9, 3, 18, 0), done=local(2026, 9, 3, 12, 0))
        item(s, a1, local(2026, 9, 10, 18, 0), done=local(2026, 9, 9, 12, 0))
        item(s, a1, local(2026, 9, 30, 23, 0), done=local(2026, 9, 29, 12, 0))  # the month's last evening
        item(s, a1, local(2026, 9, 15, 18, 0), done=local(2026, 9, 17, 12, 0), late=True)
        item(s, a1, local(2026, 9, 25, 18, 0), done=local(2026, 9, 24, 12, 0), late=True)  # overdue, then extended
        item(s, a1, local(2026, 10, 1, 0, 30), done=local(2026, 9, 20, 12, 0))  # due in October (Shanghai)
        item(s, "U0AGENT2", local(2026, 9, 20, 18, 0), late=True, flagged=True)  # Hotline A's flagged item
        item(s, "U0AGENT3", local(2026, 9, 20, 18, 0), flagged=True, team="Hotline B")
        entry(s, a1, dt.date(2026, 9, 8))
        entry(s, a1, dt.date(2026, 8, 31))  # August
        entry(s, a1, dt.date(2026, 9, 9), appeal="overturned")
        entry(s, "U0AGENT2", dt.date(2026, 9, 12), accident=True)


def appraisal(bot, user: str, text: str = "") -> str:
    status, body = bot.form({
        "token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": "C0TEAMA", "channel_name": "x",
        "user_id": user, "user_name": user.lower(), "command": ids.APPRAISAL_COMMAND, "text": text,
        "api_app_id": "A1", "is_enterprise_install": "false", "response_url": "http://127.0.0.1:9/hooks",
        "trigger_id": f"trig-{uuid.uuid4().hex[:10]}"})
    assert status == 200 and body["response_type"] == "ephemeral", body
    return body["text"]


def test_the_safety_score_against_hand_worked_values(abot):
    seed(abot)
    mine = appraisal(abot, "U0AGENT1", "2026-09")
    assert "64.0分" in mine and "折合绩效9.60分" in mine and "按时完成3/5项" in mine and "违规：1次 → 50分" in mine
    assert "因失职导致事故：0次 → 100分" in mine and "占绩效考核15%" in mine
    two = appraisal(abot, "U0AGENT2", "2026-09")
    assert "20.0分" in two and "折合绩效3.00分" in two and "按时完成0/1项" in two and "事故：1次 → 0分" in two
    sup = appraisal(abot, "U0SUPA", "2026-09")
    assert "90.0分" in sup and "13.50分" in sup and "记入业务主管月度考核1项 → 75.0分" in sup
    # the month defaults to the current one (October: only the October item, on time)
    assert "2026-10" in appraisal(abot, "U0AGENT1") and "100.0分" in appraisal(abot, "U0AGENT1")
    # another's score: the ledger's group may, nobody else
    assert "64.0分" in appraisal(abot, "U0OFFICER", "<@U0AGENT1|agent1> 2026-09")
    for user in ("U0AGENT2", "U0SUPA", "U0IT"):
        refused = appraisal(abot, user, "<@U0AGENT1|agent1> 2026-09")
        assert "本次操作未生效" in refused and "64.0" not in refused
    assert "用法" in appraisal(abot, "U0AGENT1", "2026-13")
    # per team, for the leadership: Hotline A = U0SUPA 90.0, U0AGENT1 64.0, U0AGENT2 20.0 → mean 58.0;
    # Hotline B = U0SUPB 0.4·75 + 40 + 20 = 90.0 (its team's flagged item), U0AGENT3 0.4·0 + 40 + 20 = 60.0 (its
    # item not done) → 75.0
    teams = appraisal(abot, "U0HEAD", "team 2026-09")
    assert "Hotline A：平均58.0分" in teams and "<@U0AGENT1> 64.0" in teams and "Hotline B：平均75.0分" in teams
    assert "<@U0SUPB> 90.0" in teams and "<@U0AGENT3> 60.0" in teams
    assert "本次操作未生效" in appraisal(abot, "U0SUPA", "team 2026-09")


def test_the_weights_come_from_the_policy(db_url, fake_slack):
    org = org_from("appraisal: {weight: 20, parts: {rectification: 50, violations: 50, accidents: 0}}")
    bot = start_bot(db_url, fake_slack, org, clock=FrozenClock(local(2026, 10, 2, 10, 0)))
    try:
        seed(bot)
        # U0AGENT1: 0.5·60 + 0.5·50 = 55.0 → 20% = 11.00
        mine = appraisal(bot, "U0AGENT1", "2026-09")
        assert "55.0分" in mine and "11.00分" in mine and "占绩效考核20%" in mine
    finally:
        stop_bot(bot)


def test_each_person_sees_their_own_score_on_their_home_tab(abot):
    seed(abot)
    abot.clock.set(local(2026, 9, 28, 10, 0))
    for user, shown in (("U0AGENT1", "64.0分"), ("U0AGENT2", "20.0分")):
        status, _ = abot.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
        assert status == 200
        published = abot.fake.wait_for(lambda c, u=user: c.method == "views.publish" and c.params.get("user_id") == u)
        view = json.dumps(published[-1].params["view"], ensure_ascii=False)
        assert shown in view and "2026-09" in view
        assert ("64.0分" if user == "U0AGENT2" else "20.0分") not in view
