"""What each role sees of the indicators (#22), through really signed HTTP and the fake Slack (every view and message
validated against the Block Kit schema): the Home tab's tiles, the month so far against target for the person's
scope (an agent: their own; a supervisor: their team; the leadership: the department), first on the Home tab; the
daily digest's line of yesterday's figures; the weekly summary's indicators and items to discuss.

Hand-computed on the October seed (tests/test_indicators.py) at 21 October 12:00 local, plus three pre-shift
self-checks of U0AGENT2 (two done on time, one missed):
* rectification items due by now: 10 Oct (closed on time, A), 12 Oct (closed late, A), 20 Oct (open, B), all
  assigned to U0AGENT1 → department 1/3 = 33.3%, Hotline A 1/2 = 50%, Hotline B 0/1 = 0%, U0AGENT1 1/3 = 33.3%;
  overdue now: the 20 Oct item (B, U0AGENT1's);
* pre-shift self-checks due by now: the seed's four of Hotline A (two on time) + U0AGENT2's three (two on time)
  → Hotline A and the department 4/7 = 57.1%, U0AGENT2 2/3 = 66.7%; Hotline B has none;
* scheduled checks (department only: they belong to no team): the patrol done, the UPS check missed → 50%;
* hazards reported this month (a group's member not counted): 4, all U0AGENT1's, Hotline A;
* level-1 time to acknowledge: 20, 40 (hazards) and 5 (the incident) → 21.7 min (department, Hotline A).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from bot import jobs
from bot.clock import FrozenClock
from storage.db import session_scope
from storage.models import CheckTask, RectItem, Report
from tests.conftest import org_from, start_bot, stop_bot, without_jobs_of
from tests.test_indicators import L, M, seed


@pytest.fixture(autouse=True)
def _only_ours(monkeypatch):
    without_jobs_of(monkeypatch, "checks", "drills", "incidents", "rectification", "indicators", "suggestions",
                    "training")  # the hazards' daily digest and weekly summary stay


@pytest.fixture
def ibot(db_url, fake_slack):
    # 07:00 on Monday 19 October: no digest nor weekly summary recent enough to be made up at start
    clock = FrozenClock(L(2026, 10, 19, 7, 0))
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock)
    bot.clock = clock
    seed(bot.ctx)
    with session_scope(bot.ctx.engine) as s:
        for n, late in ((1, False), (2, False), (3, None)):
            due = L(2026, 10, 12 + n, 9)
            s.add(CheckTask(key=f"own:{n}", kind="pre_shift", name="pre_shift", team="Hotline A",
                            day=dt.date(2026, 10, 12 + n), owners=["U0AGENT2"], issued_at=due - 60 * M, due_at=due,
                            status="pending" if late is None else "done",
                            done_at=None if late is None else due - 5 * M, done_by="U0AGENT2"))
    clock.set(L(2026, 10, 21, 12, 0))
    yield bot
    stop_bot(bot)


def home(bot, user: str) -> str:
    before = len([c for c in bot.fake.calls if c.method == "views.publish" and c.params.get("user_id") == user])
    status, _ = bot.event({"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"})
    assert status == 200
    published = bot.fake.wait_for(lambda c: c.method == "views.publish" and c.params.get("user_id") == user)
    assert len(published) > before
    return json.dumps(published[-1].params["view"]["blocks"], ensure_ascii=False)


def tile(view: str, name: str) -> str:
    """The tile line of indicator `name` (its words up to the line's end)."""
    at = view.index(f"*{name}*")
    return view[at:view.index("\\n", at) if "\\n" in view[at:] else None].split('"')[0].replace("* ", "").replace("*", "")


def test_home_tiles_per_role_hand_computed(ibot):
    head = home(ibot, "U0HEAD")
    assert "部门安全指标 · 2026-10（本月至今）" in head
    assert "隐患整改完成率：33.3%（目标值98%）" in tile(head, "隐患整改完成率")
    assert "班前自查完成率：57.1%" in tile(head, "班前自查完成率")
    assert "定期检查完成率：50%" in tile(head, "定期检查完成率")
    assert "超期整改项：1" in tile(head, "超期整改项")
    assert "上报隐患数：4" in tile(head, "上报隐患数")
    assert "一级响应时长：21.7分钟（目标值30分钟）" in tile(head, "一级响应时长")
    assert ":red_circle: *隐患整改完成率" in head and ":large_green_circle: *一级响应时长" in head
    # first on the Home tab: above what the person must do now (their score, their reports)
    assert head.index("部门安全指标") < head.index("月度考核 · 安全指标") < head.index("你上报的未处理隐患")

    sup_a = home(ibot, "U0SUPA")
    assert "Hotline A安全指标 · 2026-10（本月至今）" in sup_a
    assert "隐患整改完成率：50%" in tile(sup_a, "隐患整改完成率")
    assert "班前自查完成率：57.1%" in tile(sup_a, "班前自查完成率")
    assert "定期检查完成率：本月无可统计项" in tile(sup_a, "定期检查完成率")
    assert "超期整改项：0" in tile(sup_a, "超期整改项") and "上报隐患数：4" in tile(sup_a, "上报隐患数")

    sup_b = home(ibot, "U0SUPB")
    assert "Hotline B安全指标" in sup_b
    assert "隐患整改完成率：0%" in tile(sup_b, "隐患整改完成率")
    assert "班前自查完成率：本月无可统计项" in tile(sup_b, "班前自查完成率")  # a team with no shifts: never 0%
    assert "超期整改项：1" in tile(sup_b, "超期整改项") and "上报隐患数：0" in tile(sup_b, "上报隐患数")
    assert "一级响应时长：本月无可统计项" in tile(sup_b, "一级响应时长")

    agent1 = home(ibot, "U0AGENT1")
    assert "我的安全指标 · 2026-10（本月至今）" in agent1
    assert "隐患整改完成率：33.3%" in tile(agent1, "隐患整改完成率")
    assert "班前自查完成率：本月无可统计项" in tile(agent1, "班前自查完成率")
    assert "超期整改项：1" in tile(agent1, "超期整改项") and "上报隐患数：4" in tile(agent1, "上报隐患数")
    assert "一级响应时长" not in agent1  # an agent's own figures: no department's response time

    agent2 = home(ibot, "U0AGENT2")
    assert "班前自查完成率：66.7%" in tile(agent2, "班前自查完成率")
    assert "隐患整改完成率：本月无可统计项" in tile(agent2, "隐患整改完成率")
    assert "上报隐患数：0" in tile(agent2, "上报隐患数") and "超期整改项：0" in tile(agent2, "超期整改项")
    assert "33.3%" not in agent2 and "57.1%" not in agent2  # nobody else's figures


def posted(bot, channel: str, marker: str) -> str:
    bot.ctx.wake()
    found = bot.fake.wait_for(lambda c: c.method == "chat.postMessage" and c.params.get("channel") == channel
                              and marker in json.dumps(c.params.get("blocks"), ensure_ascii=False))
    return json.dumps(found[-1].params["blocks"], ensure_ascii=False).replace("* ", "").replace("*", "")


def test_the_daily_digest_shows_yesterdays_figures_beside_the_open_work(ibot):
    """Yesterday = 20 October: the Hotline B item due 18:00 not closed (0%, overdue at the day's end), a pre-shift
    self-check of Hotline A done on time (100%); no hazard reported, no level-1 report."""
    with session_scope(ibot.ctx.engine) as s:
        due = L(2026, 10, 20, 9)
        s.add(CheckTask(key="own:20", kind="pre_shift", name="pre_shift", team="Hotline A", day=dt.date(2026, 10, 20),
                        owners=["U0AGENT1"], issued_at=due - 60 * M, due_at=due, status="done", done_at=due - M))
    ibot.clock.set(L(2026, 10, 21, 8, 30))
    assert jobs.run_job(ibot.ctx, "daily_digest", L(2026, 10, 21, 8, 30)) is True
    dept = posted(ibot, "C0SAFETY", "昨日安全指标")
    assert "昨日安全指标（2026-10-20）" in dept
    assert "班前自查完成率：100%（目标值100%）" in dept and "隐患整改完成率：0%（目标值98%）" in dept
    assert "超期整改项：1" in dept and "上报隐患数：0" in dept and "一级响应时长：本月无可统计项" in dept
    assert "定期检查完成率：本月无可统计项" in dept
    team_b = posted(ibot, "C0TEAMB", "昨日安全指标")
    assert "隐患整改完成率：0%" in team_b and "超期整改项：1" in team_b and "班前自查完成率：本月无可统计项" in team_b
    team_a = posted(ibot, "C0TEAMA", "昨日安全指标")
    assert "班前自查完成率：100%" in team_a and "超期整改项：0" in team_a and "隐患整改完成率：本月无可统计项" in team_a


def test_the_weekly_summary_feeds_the_hazard_analysis_meeting(ibot):
    """The week before Monday 19 October 09:00: U0AGENT2's pre-shift self-checks of 13–15 October (2 of 3 on
    time), the UPS check of the 15th missed (0%), the item due 12 October closed late (0%), the level-1 incident
    of the 15th acknowledged in 5 min; to discuss: Hotline B's item due 20 October (within the coming week)."""
    with session_scope(ibot.ctx.engine) as s:
        number = s.execute(select(Report.number).join(RectItem, RectItem.report_id == Report.id).where(
            RectItem.team == "Hotline B", RectItem.due_at == L(2026, 10, 20, 18))).scalar_one()
    ibot.clock.set(L(2026, 10, 19, 9, 0))
    assert jobs.run_job(ibot.ctx, "weekly_summary", L(2026, 10, 19, 9, 0)) is True
    week = posted(ibot, "C0SAFETY", "周例会待讨论事项")
    assert "本周安全指标" in week and "班前自查完成率：66.7%" in week and "定期检查完成率：0%" in week
    assert "隐患整改完成率：0%" in week and "一级响应时长：5分钟" in week and "上报隐患数：0" in week
    assert f"{number} · 整改中 · 整改时限2026-10-20" in week and "超期" not in week.split("周例会待讨论事项")[1]
    assert week.count("整改时限") == 1  # the items closed, or due later than a week ahead, are not on the agenda
