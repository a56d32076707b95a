"""Migration 0015 (#21, §5.2.3): corrective actions still open when it runs are carried over into rectification items.

A database is made at revision 0014 holding an incident with two open corrective actions and one done. Upgraded,
each open one has a carry-over row (the migration cannot read the policy); downgraded, those rows and the column
go. Upgraded again, the bot's sweeper makes each open action an item of its own, once, due when the action was, its
owner told; an item closed meanwhile reads `done` after a downgrade.
"""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import select, text

from bot.clock import FrozenClock
from storage.db import alembic_config, make_engine, session_scope
from storage.models import CorrectiveAction, RectItem, Report
from tests.conftest import org_from, start_bot, stop_bot
from tests.test_migration_subjects import _insert, fresh_url  # noqa: F401 - fresh_url is a fixture

pytestmark = pytest.mark.storage  # its own database on the server under test (fresh_url)

T0 = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.timezone.utc)


def _migrate(engine, cfg, how: str, to: str) -> None:
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, how)(cfg, to)
        conn.commit()


def _carry_rows(engine) -> list[tuple]:
    with engine.connect() as conn:
        return sorted(conn.execute(text("SELECT subject_type, subject_id, purpose, status FROM timer "
                                        "WHERE purpose = 'carry_over'")).all())


def test_open_corrective_actions_are_carried_over_into_items_and_back(fresh_url, fake_slack):
    engine = make_engine(fresh_url)
    cfg = alembic_config(fresh_url)
    try:
        _migrate(engine, cfg, "upgrade", "0014")
        due = T0 + dt.timedelta(days=3)
        with engine.begin() as conn:
            inc = _insert(conn, "report", number="INC-2026-00001", kind="incident", year=2026, seq=1,
                          source_key="V1", category="fire", level=1, description="smoke", reporter_id="U0AGENT1",
                          status="resolved", reported_at=T0, investigation_at=T0, investigation_by="U0OFFICER")
            acts = [_insert(conn, "corrective_action", report_id=inc, description=d, owner=o, due_at=due,
                            status=st, created_at=T0, created_by="U0OFFICER", done_at=None)
                    for d, o, st in (("固定全部电源线", "U0AGENT1", "open"), ("每月检查线缆", "U0SUPA", "open"),
                                     ("门禁常闭", "U0SEC", "done"))]

        _migrate(engine, cfg, "upgrade", "heads")
        assert _carry_rows(engine) == [("corrective_action", acts[0], "carry_over", "pending"),
                                       ("corrective_action", acts[1], "carry_over", "pending")]
        _migrate(engine, cfg, "downgrade", "0014")
        with engine.connect() as conn:
            assert "item_report_id" not in {c["name"] for c in sa.inspect(conn).get_columns("corrective_action")}
        assert _carry_rows(engine) == []
        _migrate(engine, cfg, "upgrade", "heads")
        assert len(_carry_rows(engine)) == 2

        clock = FrozenClock(T0 + dt.timedelta(hours=1))
        bot = start_bot(fresh_url, fake_slack, org_from(), clock=clock, background=False)
        try:
            assert bot.runtime.sweeper.run_once() == 2
            bot.runtime.start_background()  # the sender delivers what it queued
            bot.drain()
            assert bot.runtime.sweeper.run_once() == 0  # once only
            with session_scope(bot.ctx.engine) as s:
                rows = list(s.execute(select(CorrectiveAction).order_by(CorrectiveAction.id)).scalars())
                hazards = {a.id: s.get(Report, a.item_report_id) for a in rows if a.item_report_id}
                items = {a.id: s.execute(select(RectItem).where(RectItem.report_id == a.item_report_id)).scalar_one()
                         for a in rows if a.item_report_id}
            assert set(hazards) == {acts[0], acts[1]}  # the done one stays as it was
            first = items[acts[0]]
            assert (first.state, first.assigned, first.due_at) == ("in_progress", "U0AGENT1", due)
            assert items[acts[1]].assigned == "U0SUPA"
            told = [c.params["text"] for c in bot.fake.of("chat.postMessage") if c.params.get("channel") == "U0AGENT1"]
            assert any(hazards[acts[0]].number in t and "INC-2026-00001" in t for t in told)
            assert _carry_rows(engine) == [("corrective_action", acts[0], "carry_over", "fired"),
                                           ("corrective_action", acts[1], "carry_over", "fired")]
            with session_scope(bot.ctx.engine) as s:
                s.execute(sa.update(RectItem).where(RectItem.id == first.id)
                          .values(state="closed", closed_at=T0 + dt.timedelta(days=1), verified_by="U0OFFICER"))
        finally:
            stop_bot(bot)

        _migrate(engine, cfg, "downgrade", "0014")
        with engine.connect() as conn:
            back = dict((i, (st, by)) for i, st, by in conn.execute(text(
                "SELECT id, status, done_by FROM corrective_action")).all())
        assert back == {acts[0]: ("done", "U0OFFICER"), acts[1]: ("open", None), acts[2]: ("done", None)}
    finally:
        engine.dispose()
