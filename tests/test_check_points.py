"""#21 checks that record what was found (§2.2.2, §4.2.2, §6.1.1): a checklist's items are check points and a problem
names the points not met ("不符合项：", joined with "；"); a team with no shifts or no on-duty person gets no daily
checks, and `safeshift check` and start-up say so, naming the team and what it will not get."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

import pytest

from bot import cli
from bot.checks import tasks
from bot.clock import FrozenClock
from bot.context import Context
from tests.conftest import ORG_YAML, SECRET, TOKEN, org_from
from tests.test_checks import local, tasks_of
from tests.test_cli import workdir  # noqa: F401 - the fixture

EXAMPLE = Path(__file__).resolve().parents[1] / "safeshift.example.yaml"


def description(form: dict) -> str:
    return next(b for b in form["blocks"] if b.get("block_id") == "description")["element"]["initial_value"]


@pytest.mark.parametrize("locale, expected", [
    ("zh-CN", "不符合项：电源线、插座（完好、无裸露电线）；消防通道、安全出口（畅通）"),
    ("en", "Not met: Power cords and sockets (intact, no exposed wires); Fire exits and passages (clear)")])
def test_a_problem_names_the_check_points_not_met(engine, locale, expected):
    ctx = Context(org=org_from(), engine=engine, clock=FrozenClock(local(2026, 12, 2, 8, 0)))
    from storage.db import session_scope

    with session_scope(engine) as s:
        task = tasks.issue(ctx, s, kind="pre_shift", name="pre_shift", key="pre_shift:test", owners=["U0AGENT1"],
                           day=dt.date(2026, 12, 2), due_at=local(2026, 12, 2, 9, 0), now=ctx.clock.now())
        task_id = task.id
    out = tasks.complete(ctx, str(task_id), "U0AGENT1", False, ["power_cords", "fire_exits"], locale)
    assert out.ok and tasks_of(engine)[0].problems == ["power_cords", "fire_exits"]
    assert expected in description(out.form)


def test_a_problem_with_no_point_ticked_asks_what_is_wrong_and_does_not_read_as_fine(engine):
    ctx = Context(org=org_from(), engine=engine, clock=FrozenClock(local(2026, 12, 2, 8, 0)))
    from storage.db import session_scope

    with session_scope(engine) as s:
        task = tasks.issue(ctx, s, kind="pre_shift", name="pre_shift", key="pre_shift:test2", owners=["U0AGENT1"],
                           day=dt.date(2026, 12, 2), due_at=local(2026, 12, 2, 9, 0), now=ctx.clock.now())
        task_id = task.id
    text = description(tasks.complete(ctx, str(task_id), "U0AGENT1", False, [], "zh-CN").form)
    assert "请写明不符合的情况" in text and "电源线" not in text


def _env(workdir, org_text: str) -> None:  # noqa: F811
    (workdir / "org.yaml").write_text(org_text, encoding="utf-8")
    (workdir / ".env").write_text(f"SLACK_BOT_TOKEN={TOKEN}\nSLACK_SIGNING_SECRET={SECRET}\nSAFESHIFT_CONFIG=org.yaml\n",
                                  encoding="utf-8")


def test_safeshift_check_names_the_team_with_no_shifts_or_on_duty_person_and_what_it_will_not_get(workdir, capsys):  # noqa: F811
    _env(workdir, EXAMPLE.read_text(encoding="utf-8"))
    assert cli.main(["check"]) == 0
    out = [line for line in capsys.readouterr().out.splitlines() if line.startswith("warning: team")]
    assert any("'热线B组' has no shifts" in line and "pre-shift self-check" in line and "briefing" in line
               for line in out), out
    assert any("'热线B组' has no on-duty person" in line and "end-of-day check" in line for line in out), out
    assert not any("热线A组" in line for line in out)  # it has both


def test_start_up_logs_the_same_warnings(workdir, caplog):  # noqa: F811
    org = cli.load_org(EXAMPLE)
    with caplog.at_level(logging.WARNING):
        cli._warn_calendar(org)
    assert any("'热线B组' has no shifts" in r.getMessage() for r in caplog.records)
    full = ORG_YAML.replace(
        "members: [U0AGENT3]}",
        "members: [U0AGENT3], on_duty: [U0AGENT3], shifts: [{name: Day, start: '08:00', end: '16:00', days: every_day}]}")
    full = full.replace("members: [U0AGENT1, U0AGENT2]}", "members: [U0AGENT1, U0AGENT2], on_duty: [U0AGENT1], "
                        "shifts: [{name: Day, start: '08:00', end: '16:00', days: every_day}]}")
    _env(workdir, full)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        cli._warn_calendar(cli.load_org(workdir / "org.yaml"))
    assert not any("has no" in r.getMessage() for r in caplog.records)
