"""Migration 0009 (#18): timers and audit rows of every kind move to (subject_type, subject_id) without loss, and back.

A database is made at revision 0008 holding a report, a check task, a drill and a risk, with timers of the report
(its ladder and its rectification item's deadline) and of the check task, and audit rows of each kind (the check's
and the drill's ids hidden in JSON, the risk's in the note, a person's own setting with no subject). It is upgraded
to the newest revision and every row is found under its subject; downgraded, the old keys come back.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import text

from storage.db import alembic_config, make_engine
from tests.conftest import PG_DATABASE_PREFIX, PG_URL, _pg_admin_engine, _pg_server_url

pytestmark = pytest.mark.storage  # its own database on the server under test (fresh_url), not db_url's

T0 = dt.datetime(2026, 11, 30, 2, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def fresh_url(tmp_path):
    """A database of this test's own (never the shared one): created here and dropped here."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    name = f"{PG_DATABASE_PREFIX}mig_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield _pg_server_url().set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _dummy(column: sa.Column):
    t = column.type
    if isinstance(t, sa.Boolean):
        return False
    if isinstance(t, (sa.Integer, sa.BigInteger)):
        return 1
    if isinstance(t, sa.JSON):
        return [] if column.name in ("photos", "owners", "problems", "notices", "sample", "evidence") else {}
    if isinstance(t, sa.Date):
        return T0.date()
    if isinstance(t, (sa.DateTime,)) or "UTCDateTime" in type(t).__name__ or "TIMESTAMP" in str(t).upper():
        return T0
    return "x"


def _insert(conn, table_name: str, **values) -> int:
    """Insert a row filling every required column the test does not care about (the 0008 schema, reflected)."""
    table = sa.Table(table_name, sa.MetaData(), autoload_with=conn)
    row = {}
    for c in table.columns:
        if c.name in values:
            row[c.name] = values[c.name]
        elif not c.nullable and not c.primary_key and c.server_default is None:
            row[c.name] = _dummy(c)
    if isinstance(table.c.get("at"), sa.Column) and "at" not in values:
        row["at"] = T0
    result = conn.execute(table.insert().values(**row))
    return result.inserted_primary_key[0] if result.inserted_primary_key else 0


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def test_every_kinds_timers_and_audit_rows_move_to_subjects_and_back(fresh_url):
    engine = make_engine(fresh_url)
    cfg = alembic_config(fresh_url)
    try:
        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "0008")
            conn.commit()
        with engine.begin() as conn:
            rid = _insert(conn, "report", number="HZ-2026-0001", kind="hazard", seq=1, source_key="V1", category="fire",
                          level=2, description="d", reporter_id="U0A", status="open")
            task = _insert(conn, "check_task", key="k1", kind="shift", name="pre_shift", day=T0.date(), owners=["U0A"],
                           status="pending")
            drill = _insert(conn, "drill", kind="fire", period="2026-Q4", planned_at=T0, status="planned")
            risk = _insert(conn, "risk", kind="risk")
            timers = [(rid, None, "acknowledge", 0), (rid, None, "rectify", -1), (None, task, "check", -1),
                      (None, task, "check_remind", 0)]
            for report_id, task_id, purpose, step in timers:
                _insert(conn, "timer", report_id=report_id, task_id=task_id, purpose=purpose, step=step, cycle=1,
                        due_at=T0, fire_at=T0, status="pending")
            audits = [("reported", rid, None, None, ""), ("check_done", None, None, {"task": task}, "k1"),
                      ("drill_notice", None, None, {"drill": drill, "sent": "d7"}, ""),
                      ("drill_moved", None, {"drill": drill}, {"drill": drill}, ""),
                      ("risk_added", None, None, None, f"risk:{risk}"),
                      ("set_locale", None, {"locale": "en"}, {"locale": "zh-CN"}, ""),
                      ("check_missing", None, None, None, "shift:Hotline A::2026-11-30")]
            for action, report_id, before, after, note in audits:
                _insert(conn, "audit_event", action=action, actor="U0A", report_id=report_id, before=before,
                        after=after, note=note, at=T0)

        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")
            conn.commit()
        with engine.connect() as conn:
            got_timers = sorted(conn.execute(text(
                "SELECT subject_type, subject_id, purpose, step FROM timer")).all())
            got_audits = dict((a, (t, i)) for a, t, i in conn.execute(text(
                "SELECT action, subject_type, subject_id FROM audit_event")).all())
            timer_cols = {c["name"] for c in sa.inspect(conn).get_columns("timer")}
            audit_cols = {c["name"] for c in sa.inspect(conn).get_columns("audit_event")}
        assert got_timers == sorted([("report", rid, "acknowledge", 0), ("report", rid, "rectify", -1),
                                     ("check_task", task, "check", -1), ("check_task", task, "check_remind", 0)])
        assert got_audits == {"reported": ("report", rid), "check_done": ("check_task", task),
                              "drill_notice": ("drill", drill), "drill_moved": ("drill", drill),
                              "risk_added": ("risk", risk), "set_locale": (None, None),
                              "check_missing": (None, None)}
        assert not {"report_id", "task_id"} & timer_cols and "report_id" not in audit_cols

        with engine.connect() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0008")
            conn.commit()
        with engine.connect() as conn:
            back = sorted(conn.execute(text("SELECT report_id, task_id, purpose FROM timer")).all(),
                          key=lambda r: r[2])
            reported = conn.execute(text("SELECT report_id FROM audit_event WHERE action = 'reported'")).scalar()
        assert back == sorted([(rid, None, "acknowledge"), (rid, None, "rectify"), (None, task, "check"),
                               (None, task, "check_remind")], key=lambda r: r[2])
        assert reported == rid
    finally:
        engine.dispose()
