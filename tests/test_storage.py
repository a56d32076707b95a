"""The migrations build exactly the schema the models describe, on this run's engine."""

import datetime as dt

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel, select

import storage.models  # noqa: F401
from storage.db import next_sequence, session_scope
from storage.models import AuditEvent


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), SQLModel.metadata) == []


def test_timestamps_come_back_aware_utc_and_naive_ones_are_refused(engine):
    moment = dt.datetime(2026, 3, 29, 2, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    with session_scope(engine) as s:
        s.add(AuditEvent(at=moment, actor="U1", action="x"))
    with session_scope(engine) as s:
        got = s.exec(select(AuditEvent)).one().at
    assert got == moment and got.tzinfo is not None and got.utcoffset() == dt.timedelta(0)
    with pytest.raises(Exception, match="naive"):
        with session_scope(engine) as s:
            s.add(AuditEvent(at=dt.datetime(2026, 1, 1), actor="U1", action="x"))


def test_sequences_count_per_name_and_year(engine):
    with session_scope(engine) as s:
        assert [next_sequence(s, "HZ", 2026) for _ in range(3)] == [1, 2, 3]
        assert next_sequence(s, "HZ", 2027) == 1
        assert next_sequence(s, "EV", 2026) == 1


def test_the_migrations_have_one_head():
    """Work done side by side may branch the migrations; they are merged again before landing."""
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config

    assert len(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()) == 1


def test_the_heads_read_without_alembic_are_alembics(engine):
    """`upgrade` skips Alembic when the database is at `migration_heads()`: they must be Alembic's own heads."""
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config, at_heads, migration_heads

    assert migration_heads() == set(ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads())
    assert at_heads(engine)
    (head,) = migration_heads()
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0013'"))
    try:
        assert not at_heads(engine)
    finally:  # on PostgreSQL the database serves this worker's next tests
        with engine.begin() as conn:
            conn.execute(text("UPDATE alembic_version SET version_num = :h"), {"h": head})


def test_partial_indexes_are_partial_in_the_models_and_in_the_database(engine):
    """`partial_index` (storage/models/core.py) gives PostgreSQL its condition when its engine is made, so a SQLite
    process never loads PostgreSQL's dialect (issue 26). Alembic's comparison ignores conditions: this checks them."""
    from sqlalchemy.schema import CreateIndex

    partial = [i for t in SQLModel.metadata.tables.values() for i in t.indexes if "where" in i.info]
    assert {i.name for i in partial} >= {"ix_report_open_figures", "ix_report_open_teams", "ix_report_group_id"}
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            live = dict(conn.execute(text("SELECT indexname, indexdef FROM pg_indexes")).all())
        else:
            live = dict(conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index'")).all())
    for index in partial:
        assert " WHERE " in str(CreateIndex(index).compile(dialect=engine.dialect)), index.name
        assert " WHERE " in live[index.name].upper(), index.name
