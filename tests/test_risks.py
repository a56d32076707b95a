"""The risk register (§4.1) over signed HTTP: /risk add (level through the policy's matrix), the register by
level with the 3×3 matrix and its counts, /risk observe by any agent, /risk review, the quarterly reminder."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import select

from bot import ids, jobs
from bot.clock import FrozenClock
from storage.db import session_scope
from storage.models import AuditEvent, OutboxMessage, Risk
from tests.conftest import org_from, start_bot, stop_bot

T0 = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 Shanghai


@pytest.fixture
def rbot(db_url, fake_slack):
    clock = FrozenClock(T0)
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock)
    bot.clock = clock
    yield bot
    stop_bot(bot)


def risk(bot, user: str, text: str = ""):
    return bot.form({
        "token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": "C0TEAMA", "channel_name": "x",
        "user_id": user, "user_name": user.lower(), "command": "/risk", "text": text, "api_app_id": "A1",
        "is_enterprise_install": "false", "response_url": "http://127.0.0.1:9/hooks",
        "trigger_id": f"trig-{uuid.uuid4().hex[:10]}"})


def add(bot, user, likelihood, impact, description="wet floor by the pantry", kind="risk", **more):
    values = {"description": description, "likelihood": likelihood, "impact": impact, **more}
    status, body = bot.submit(user, values, callback_id=ids.RISK_VIEW, private_metadata=json.dumps({"kind": kind}))
    assert status == 200
    return body


def matrix(body) -> dict[tuple[str, str], tuple[int, str]]:
    """(likelihood row, impact column) → (count, level) from the register's matrix block."""
    text = next(b["text"]["text"] for b in body["blocks"] if b.get("block_id") == "risk_matrix")
    lines = text.split("```")[1].strip("\n").splitlines()
    impacts = lines[0].split()
    out = {}
    for line in lines[1:]:
        row, *cells = line.split()
        for impact, cell in zip(impacts, cells):
            n, level = cell.split("·")
            out[(row, impact)] = (int(n), level)
    return out


def refused(bot, user, action) -> int:
    with session_scope(bot.ctx.engine) as s:
        return len(s.execute(select(AuditEvent.id).where(AuditEvent.actor == user,
                                                         AuditEvent.action == f"refused_{action}")).all())


def test_risks_are_added_listed_by_level_and_counted_in_the_matrix(rbot):
    bot = rbot
    status, body = risk(bot, "U0AGENT1", "add")  # an agent may not add a risk
    assert status == 200 and "本次操作未生效" in body["text"] and refused(bot, "U0AGENT1", "add_risk") == 1
    assert add(bot, "U0AGENT1", "high", "severe") != "" and refused(bot, "U0AGENT1", "add_risk") == 2  # nor submit

    opened = len(bot.fake.of("views.open"))
    status, _ = risk(bot, "U0OFFICER", "add")
    assert len(bot.fake.of("views.open")) == opened + 1
    for likelihood, impact in (("high", "severe"), ("high", "general"), ("low", "minor"), ("low", "minor"),
                               ("medium", "minor")):
        body = add(bot, "U0OFFICER", likelihood, impact, controls="mop and sign", owner="U0SUPA")
        assert body["response_action"] == "update"
    with session_scope(bot.ctx.engine) as s:
        levels = [r.level for r in s.execute(select(Risk).order_by(Risk.id)).scalars()]
    assert levels == ["high", "medium", "low", "low", "medium"]  # the seed's rule: customer conflict → medium

    status, body = risk(bot, "U0AGENT2")
    assert status == 200 and body["response_type"] == "ephemeral"
    cells = matrix(body)
    assert cells[("高", "严重")] == (1, "高风险") and cells[("高", "一般")] == (1, "中风险")
    assert cells[("低", "轻微")] == (2, "低风险") and cells[("中", "轻微")] == (1, "中风险")
    assert cells[("中", "严重")] == (0, "中风险") and sum(n for n, _ in cells.values()) == 5
    text = json.dumps(body["blocks"], ensure_ascii=False)
    assert "风险清单（共5项）" in body["text"]
    assert "高风险（1项）" in text and "中风险（2项）" in text and "低风险（2项）" in text
    assert "mop and sign" in text and "<@U0SUPA>" in text and "尚未评审" in text


def test_observations_by_any_agent_and_reviews_by_the_leadership(rbot):
    bot = rbot
    opened = len(bot.fake.of("views.open"))
    risk(bot, "U0AGENT3", "observe")
    assert len(bot.fake.of("views.open")) == opened + 1
    body = add(bot, "U0AGENT3", None, None, description="headset cable frayed", kind="observation")
    assert body["response_action"] == "update"
    add(bot, "U0HEAD", "high", "severe")
    _, body = risk(bot, "U0AGENT1")
    assert "本周风险观察表1份" in json.dumps(body["blocks"], ensure_ascii=False)
    assert matrix(body)[("高", "严重")] == (1, "高风险")  # observations are not risks of the register

    _, body = risk(bot, "U0SUPA", "review 2")
    assert "本次操作未生效" in body["text"] and refused(bot, "U0SUPA", "review_risk") == 1
    bot.clock.set(T0 + dt.timedelta(hours=5))
    _, body = risk(bot, "U0DEPUTY", "review 2")
    assert "2026-11-28 15:00" in body["text"]  # in the organisation's zone
    _, body = risk(bot, "U0AGENT1")
    assert "上次评审：2026-11-28 15:00" in json.dumps(body["blocks"], ensure_ascii=False)


def test_the_quarterly_review_reminder_goes_to_the_leadership_group(rbot):
    bot = rbot
    add(bot, "U0OFFICER", "high", "severe")
    add(bot, "U0OFFICER", "low", "minor")
    risk(bot, "U0HEAD", "review 1")
    sh = dt.timezone(dt.timedelta(hours=8))
    times = jobs.fire_times(jobs.triggers(bot.ctx.org)["risk_review"], dt.datetime(2026, 1, 1, tzinfo=sh),
                            dt.datetime(2026, 12, 31, tzinfo=sh))
    assert [t.astimezone(sh).strftime("%m-%d %H:%M") for t in times] == ["01-01 09:00", "04-01 09:00",
                                                                        "07-01 09:00", "10-01 09:00"]
    assert jobs.run_job(bot.ctx, "risk_review", dt.datetime(2027, 1, 1, 9, tzinfo=sh))
    assert not jobs.run_job(bot.ctx, "risk_review", dt.datetime(2027, 1, 1, 9, tzinfo=sh))  # once
    with session_scope(bot.ctx.engine) as s:
        rows = s.execute(select(OutboxMessage).where(OutboxMessage.ordering_key == "job:risk_review")).scalars().all()
    to = sorted(r.payload["channel"] for r in rows)
    assert to == sorted(["U0HEAD", "U0DEPUTY", "U0OFFICER", "C0LEAD"])
    assert all("共2项" in r.payload["text"] and "其中1项" in r.payload["text"] for r in rows)


def test_the_matrix_is_the_organisations(db_url, fake_slack):
    org = org_from("rectification:\n  matrix:\n    high: {general: high}")
    bot = start_bot(db_url, fake_slack, org)
    try:
        add(bot, "U0OFFICER", "high", "general")
        _, body = risk(bot, "U0AGENT1")
        assert matrix(body)[("高", "一般")] == (1, "高风险")
    finally:
        stop_bot(bot)
