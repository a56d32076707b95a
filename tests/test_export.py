"""`safeshift export` (#11): rectification items, the risk register and hazards as CSV and XLSX, with every
date and actor, headers in the organisation's language, dates (and --from/--to days) in its time zone."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import openpyxl
import pytest

from bot import cli, ids
from bot.clock import FrozenClock
from bot.rectification import steps, work
from tests.conftest import ORG_YAML, SECRET, TOKEN, org_from, start_bot, stop_bot

T0 = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 Shanghai


@pytest.fixture
def data(db_url, fake_slack, tmp_path, monkeypatch):
    """Hazards around local midnight, one rectification item closed through its loop, two risks."""
    clock = FrozenClock(T0)
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock)
    try:
        bot.report("U0AGENT1", location="row 3 desk 12", description="=HYPERLINK(\"http://x\") cord")
        ctx = bot.ctx
        number = "HZ-2026-00001"
        bot.click("U0SUPA", ids.RECT_START_ACTION, number)
        bot.submit("U0SUPA", {"likelihood": "high", "impact": "general"}, callback_id=ids.RECT_VIEW,
                   private_metadata=json.dumps({"number": number, "step": "assess"}))
        assert steps.submit_plan(ctx, number, "U0SUPA", {"measures": "tray", "target": "2026-12-01"}, "zh-CN").ok
        assert steps.decide_plan(ctx, number, "U0HEAD", True, locale="zh-CN").ok
        clock.set(dt.datetime(2026, 11, 28, 15, 50, tzinfo=dt.timezone.utc))  # 23:50 Shanghai, the 28th
        bot.report("U0AGENT2", location="pantry")
        clock.set(dt.datetime(2026, 11, 28, 16, 10, tzinfo=dt.timezone.utc))  # 00:10 Shanghai, the 29th
        bot.report("U0AGENT3", location="server room", category="fire")
        for li, im in (("high", "severe"), ("low", "minor")):
            bot.submit("U0OFFICER", {"description": "wet floor", "likelihood": li, "impact": im},
                       callback_id=ids.RISK_VIEW, private_metadata=json.dumps({"kind": "risk"}))
        clock.set(T0 + dt.timedelta(hours=30))
        assert work.complete(ctx, number, "U0SUPA", "done", [], "zh-CN").ok
        assert work.verify(ctx, number, "U0OFFICER", True, locale="zh-CN").ok
    finally:
        stop_bot(bot)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "org.yaml").write_text(ORG_YAML, encoding="utf-8")
    for name, value in (("SLACK_BOT_TOKEN", TOKEN), ("SLACK_SIGNING_SECRET", SECRET), ("DATABASE_URL", db_url),
                        ("SAFESHIFT_CONFIG", "org.yaml")):
        monkeypatch.setenv(name, value)
    return tmp_path


def test_rectifications_as_xlsx_with_every_date_and_actor_in_the_organisations_zone(data):
    assert cli.main(["export", "rectifications", "--format", "xlsx", "--output", "r.xlsx"]) == 0
    ws = openpyxl.load_workbook(data / "r.xlsx").active
    assert ws.title == "整改台账"
    rows = list(ws.iter_rows(values_only=True))
    row = dict(zip(rows[0], rows[1]))
    assert len(rows) == 2
    assert row["隐患编号"] == "HZ-2026-00001" and row["风险等级"] == "中风险" and row["当前步骤"] == "已闭环"
    assert row["评估人"] == "U0SUPA" and row["方案批准人"] == "U0HEAD" and row["验证人"] == "U0OFFICER"
    assert row["责任人"] == "U0SUPA" and row["执行人"] == "U0SUPA"
    assert row["方案批准时间"] == dt.datetime(2026, 11, 28, 10, 0)  # local time of the zone, not UTC
    assert row["整改时限"] == dt.datetime(2026, 12, 5, 10, 0) == row["原整改时限"]
    assert row["闭环时间"] == dt.datetime(2026, 11, 29, 16, 0) and row["闭环用时（小时）"] == 30
    assert row["曾超期"] == "否" and row["督办事项"] == "否"
    assert ws["K2"].number_format == "yyyy-mm-dd hh:mm"


def test_hazards_as_csv_cut_at_the_organisations_midnight(data, capsysbinary):
    assert cli.main(["export", "hazards", "--format", "csv", "--from", "2026-11-28", "--to", "2026-11-28"]) == 0
    raw = capsysbinary.readouterr().out
    assert raw.startswith("\ufeff".encode())  # spreadsheets read it as UTF-8
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["隐患编号", "等级", "类别"]
    got = {r[0]: dict(zip(rows[0], r)) for r in rows[1:]}
    assert sorted(got) == ["HZ-2026-00001", "HZ-2026-00002"]  # 23:50 is the 28th; 00:10 (the 29th) is not
    assert got["HZ-2026-00002"]["上报时间"] == "2026-11-28 23:50"
    assert got["HZ-2026-00001"]["隐患描述"].startswith("'=HYPERLINK")  # never run as a formula
    assert got["HZ-2026-00001"]["上报人"] == "U0AGENT1"


def test_risks_as_csv_and_xlsx(data, capsysbinary):
    assert cli.main(["export", "risks", "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsysbinary.readouterr().out.decode("utf-8-sig"))))
    assert [r[5] for r in rows] == ["风险等级", "高风险", "低风险"] and rows[1][9] == "2026-11-29 00:10"
    assert cli.main(["export", "risks", "--format", "xlsx", "-o", "k.xlsx", "--from", "2026-11-30"]) == 0
    assert list(openpyxl.load_workbook(data / "k.xlsx").active.iter_rows(values_only=True))[1:] == []


def test_xlsx_keeps_text_as_typed_in_string_cells_never_a_formula(data):
    """Issue 19: the XLSX shows the text as typed (no apostrophe) in a string cell; the CSV still quotes it."""
    assert cli.main(["export", "hazards", "--format", "xlsx", "--output", "h.xlsx"]) == 0
    ws = openpyxl.load_workbook(data / "h.xlsx").active
    header = [c.value for c in ws[1]]
    cell = ws.cell(row=2, column=header.index("隐患描述") + 1)
    assert cell.value == "=HYPERLINK(\"http://x\") cord" and cell.data_type == "s"
    texts = [c for row in ws.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]
    assert texts and all(c.data_type == "s" for c in texts)


@pytest.mark.parametrize("option, day", [("--from", "0001-01-01"), ("--to", "9999-12-31"),
                                         ("--from", "0001-01-02"), ("--to", "9999-12-30")])
def test_a_day_at_the_ends_of_the_calendar_is_one_line_naming_the_option(data, option, day):
    """Issue 19: `--from 0001-01-01` (or `--to 9999-12-31`) was a traceback; now one line, exit status 2."""
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "bot.cli", "export", "hazards", option, day], capture_output=True,
                          text=True, timeout=120, env=dict(os.environ, SAFESHIFT_LOG_LEVEL="WARNING"), cwd=data)
    if day in ("0001-01-02", "9999-12-30"):  # the zone's moment exists: exported
        assert done.returncode == 0, done.stderr
        return
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and option in lines[0] and day in lines[0], done.stderr
