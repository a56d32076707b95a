"""The year-end rule (§3.6.3, #24): "annual appraisal failed → no promotion; two years running → moved off the
hotline", listed for the leadership channel in January (once, a claimed job) without anyone's score, and by
`safeshift report yearly` with the scores; the pass mark from the policy.

Hand-worked with `appraisal.year_end.pass_mark: 99`: a month with one violation scores 0.4·100 + 0.4·50 + 0.2·100
= 80, the other eleven 100 → the year's mean (11·100 + 80)/12 = 98.3 < 99: failed.
* U0AGENT1: a violation in March 2026 and one in June 2025 → failed two years running → moved off the hotline;
* U0AGENT3: a violation in May 2026 only → failed this year → no promotion;
* U0AGENT2: a violation in 2025 only → passed 2026; U0SUPA, U0SUPB: nothing → passed. 3 of 5 passed.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from bot import jobs
from bot.clock import FrozenClock
from bot.violations import yearly
from storage.db import session_scope
from storage.models import Violation
from tests.conftest import ORG_YAML, org_from, start_bot, stop_bot, without_jobs_of
from tests.test_indicators import L


@pytest.fixture(autouse=True)
def _only_ours(monkeypatch):
    without_jobs_of(monkeypatch, "checks", "drills", "incidents", "hazards", "rectification", "indicators",
                    "suggestions", "training")


@pytest.fixture
def ybot(db_url, fake_slack):
    clock = FrozenClock(L(2027, 1, 5, 8, 0))  # before the list's time: nothing to make up at start
    bot = start_bot(db_url, fake_slack, org_from("appraisal: {year_end: {pass_mark: 99}}"), clock=clock)
    bot.clock = clock
    with session_scope(bot.ctx.engine) as s:
        for n, (person, day) in enumerate((("U0AGENT1", dt.date(2026, 3, 9)), ("U0AGENT1", dt.date(2025, 6, 2)),
                                           ("U0AGENT3", dt.date(2026, 5, 20)), ("U0AGENT2", dt.date(2025, 8, 8)))):
            s.add(Violation(source_key=f"y{n}", person_id=person, what="w", occurred_on=day, step="oral_warning",
                            recorded_by="U0HEAD", recorded_at=L(day.year, day.month, day.day, 12)))
    yield bot
    stop_bot(bot)


def test_the_year_end_list_to_the_leadership_once_without_scores(ybot, fake_slack):
    with session_scope(ybot.ctx.engine) as s:
        rows = {r.person: r for r in yearly.year_end(ybot.ctx, s, 2026)}
    assert (rows["U0AGENT1"].score, rows["U0AGENT1"].before, rows["U0AGENT1"].outcome) == (98.3, 98.3, "off_hotline")
    assert (rows["U0AGENT3"].score, rows["U0AGENT3"].before, rows["U0AGENT3"].outcome) == (98.3, 100.0, "no_promotion")
    assert (rows["U0AGENT2"].score, rows["U0AGENT2"].outcome) == (100.0, "")
    assert {p for p, r in rows.items() if not r.outcome} == {"U0AGENT2", "U0SUPA", "U0SUPB"}

    ybot.clock.set(L(2027, 1, 5, 9, 0))
    assert jobs.run_job(ybot.ctx, yearly.JOB, L(2027, 1, 5, 9, 0)) is True
    assert jobs.run_job(ybot.ctx, yearly.JOB, L(2027, 1, 5, 9, 0)) is False  # a second replica: nothing
    ybot.ctx.wake()
    posts = fake_slack.wait_for(lambda c: c.method == "chat.postMessage" and c.params.get("channel") == "C0LEAD")
    assert len(posts) == 1
    text = json.dumps(posts[0].params["blocks"], ensure_ascii=False)
    assert "2026年度考核（§3.6.3）：年度安全指标得分低于99分为不合格" in text
    assert "<@U0AGENT1>（Hotline A）：连续两年考核不合格，调离热线岗位" in text
    assert "<@U0AGENT3>（Hotline B）：年度考核不合格，不得晋升" in text
    assert "5人中3人合格" in text and "98.3" not in text and "U0AGENT2" not in text  # no score in a channel
    assert text.index("U0AGENT1") < text.index("U0AGENT3")  # moved off the hotline first


def test_report_yearly_prints_the_scores(ybot, tmp_path, monkeypatch, db_url, capsys):
    from bot import cli

    org_file = tmp_path / "org.yaml"
    org_file.write_text(ORG_YAML + "policy:\n  appraisal: {year_end: {pass_mark: 99}}\n", encoding="utf-8")
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-x")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "s")
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SAFESHIFT_CONFIG", str(org_file))
    assert cli.main(["report", "yearly", "--year", "2026"]) == 0
    out = capsys.readouterr().out
    assert "U0AGENT1（Hotline A）：连续两年考核不合格，调离热线岗位 · 本年98.3分，2025年98.3分" in out
    assert "U0AGENT3（Hotline B）：年度考核不合格，不得晋升 · 本年98.3分，2025年100.0分" in out


def test_without_a_leadership_channel_the_list_goes_to_the_leadership_group_never_the_safety_channel(db_url,
                                                                                                     fake_slack):
    org = org_from("appraisal: {year_end: {pass_mark: 99}}",
                   base=ORG_YAML.replace("channels: {safety: C0SAFETY, leadership: C0LEAD}", "channels: {safety: C0SAFETY}"))
    bot = start_bot(db_url, fake_slack, org, clock=FrozenClock(L(2027, 1, 5, 8, 0)))
    try:
        with session_scope(bot.ctx.engine) as s:
            sent = yearly.run(bot.ctx, s, yearly.JOB, L(2027, 1, 5, 9, 0))
        assert sorted(p["channel"] for p in sent) == sorted(bot.ctx.directory.people("leadership"))
        assert "U0HEAD" in {p["channel"] for p in sent} and "C0SAFETY" not in {p["channel"] for p in sent}
    finally:
        stop_bot(bot)
