"""#21 the check log can be read and exported (§2.2.1 安全检查日志, §4.2.2, §6.1.1): `/safeshift checks [team] [month]`
over signed HTTP, scoped like `/safeshift schedule` (my own; my team's for its supervisor; everyone's for the
leadership group), and `safeshift export checks` as CSV and XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import openpyxl
import pytest

from bot import cli
from bot.checks import tasks
from bot.clock import FrozenClock
from storage.db import session_scope
from tests.conftest import SECRET, TOKEN, org_from, start_bot, stop_bot
from tests.slackschema import assert_valid_message
from tests.test_checks import BASE, ONLY_UPS, local
from tests.test_hostile_checks import slash


def _issue(ctx, key, kind, name, owners, team, due, day=dt.date(2026, 12, 2)):
    with session_scope(ctx.engine) as s:
        return tasks.issue(ctx, s, kind=kind, name=name, key=key, owners=owners, day=day, due_at=due,
                           now=ctx.clock.now(), team=team).id


@pytest.fixture
def logged(db_url, fake_slack, tmp_path, monkeypatch):
    """Four checks of December 2026: on time, late, a problem, not done; and one of November."""
    clock = FrozenClock(local(2026, 12, 2, 9, 0))
    bot = start_bot(db_url, fake_slack, org_from(ONLY_UPS, base=BASE), clock=clock)
    ctx = bot.ctx
    ups = _issue(ctx, "t:ups", "check", "ups_test", ["U0FAC"], None, local(2026, 12, 3, 10, 0))
    spot_a = _issue(ctx, "t:spot_a", "check", "workstation_spot_check", ["U0SUPA"], "Hotline A", local(2026, 12, 2, 12, 0))
    _issue(ctx, "t:spot_b", "check", "workstation_spot_check", ["U0SUPB"], "Hotline B", local(2026, 12, 2, 12, 0))
    pre = _issue(ctx, "t:pre", "pre_shift", "pre_shift", ["U0AGENT1"], "Hotline A", local(2026, 12, 2, 9, 30))
    _issue(ctx, "t:nov", "check", "ups_test", ["U0FAC"], None, local(2026, 11, 5, 10, 0), day=dt.date(2026, 11, 4))
    assert tasks.complete(ctx, str(ups), "U0FAC", True).ok
    assert tasks.complete(ctx, str(pre), "U0AGENT1", False, ["power_cords"]).ok
    clock.set(local(2026, 12, 2, 14, 0))
    assert tasks.complete(ctx, str(spot_a), "U0SUPA", True).ok
    bot.monkeypatch_env = (tmp_path, db_url)
    yield bot
    stop_bot(bot)


def said(bot, user: str, text: str) -> str:
    body = slash(bot, user, "/safeshift", text)
    assert body["response_type"] == "ephemeral", body
    assert_valid_message({"text": body["text"], "blocks": body["blocks"]})
    return json.dumps(body["blocks"], ensure_ascii=False) + body["text"]


def test_the_check_log_shows_who_did_what_when_scoped_by_role(logged):
    bot = logged
    head = said(bot, "U0HEAD", "checks")  # the leadership group: everyone's, this month
    assert "2026-12" in head and "共4项" in head and "按时完成1项" in head and "超期完成1项" in head
    assert "发现问题1项" in head and "未完成1项" in head
    assert "<@U0FAC>" in head and "按时完成" in head and "UPS测试" in head
    assert "Hotline B" in head and "未完成（截止" in head
    sup = said(bot, "U0SUPA", "checks")  # a supervisor: the team's, not the other team's, not the department's
    assert "共2项" in sup and "<@U0AGENT1>" in sup and "超期完成" in sup
    assert "Hotline B" not in sup.split("：共")[1] and "UPS" not in sup
    agent = said(bot, "U0AGENT1", "checks")  # an agent: only their own
    assert "共1项" in agent and "发现问题" in agent
    assert "共0项" in said(bot, "U0SUPA", "checks Hotline B")  # another team's: nothing the supervisor may not see
    assert "共1项" in said(bot, "U0HEAD", "checks hotline b 2026-12")  # team named in any case
    nov = said(bot, "U0HEAD", "checks 2026-11")
    assert "共1项" in nov and "未完成1项" in nov and "未完成（截止2026-11-05" in nov
    assert "YYYY-MM" in said(bot, "U0HEAD", "checks 2026-13")
    assert "不是组织架构文件中的团队" in said(bot, "U0HEAD", "checks Nowhere")


def test_export_checks_as_csv_and_xlsx(logged, monkeypatch):
    tmp_path, db_url = logged.monkeypatch_env
    monkeypatch.chdir(tmp_path)
    (tmp_path / "org.yaml").write_text(BASE, encoding="utf-8")
    for name, value in (("SLACK_BOT_TOKEN", TOKEN), ("SLACK_SIGNING_SECRET", SECRET), ("DATABASE_URL", db_url),
                        ("SAFESHIFT_CONFIG", "org.yaml")):
        monkeypatch.setenv(name, value)
    assert cli.main(["export", "checks", "--from", "2026-12-01", "--to", "2026-12-31", "--output", "c.csv"]) == 0
    rows = list(csv.reader(io.StringIO((tmp_path / "c.csv").read_text(encoding="utf-8-sig"))))
    assert rows[0][:7] == ["日期", "检查", "团队", "班次", "负责人", "截止时间", "结果"]
    by_owner = {r[4]: r for r in rows[1:]}
    assert len(rows) == 5 and set(by_owner) == {"U0FAC", "U0SUPA", "U0SUPB", "U0AGENT1"}
    assert by_owner["U0SUPA"][6] == "超期完成" and by_owner["U0SUPA"][8] == "2026-12-02 14:00"
    assert by_owner["U0AGENT1"][6] == "发现问题" and "电源线" in by_owner["U0AGENT1"][10]
    assert by_owner["U0FAC"][6] == "按时完成" and by_owner["U0SUPB"][7] == ""
    assert cli.main(["export", "checks", "--format", "xlsx", "--output", "c.xlsx"]) == 0
    ws = openpyxl.load_workbook(tmp_path / "c.xlsx").active
    assert ws.title == "安全检查日志" and ws.max_row == 6  # with November's
