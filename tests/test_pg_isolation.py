"""PostgreSQL runs use a database of their own; the one SAFESHIFT_TEST_DATABASE_URL names is left alone."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import make_engine
from tests.conftest import PG_DATABASE_PREFIX, PG_URL, _truncate_pg

pytestmark = pytest.mark.skipif(not PG_URL, reason="only when SAFESHIFT_TEST_DATABASE_URL is set")


def test_the_run_has_a_database_of_its_own_and_never_empties_the_given_one(db_url, engine):
    given = make_url(PG_URL).database
    ours = make_url(db_url).database
    assert ours.startswith(PG_DATABASE_PREFIX) and ours != given
    sentinel = f"safeshift_sentinel_{uuid.uuid4().hex[:8]}"
    named = make_engine(PG_URL)
    try:
        with named.begin() as conn:
            conn.execute(text(f'CREATE TABLE "{sentinel}" (x int)'))
            conn.execute(text(f'INSERT INTO "{sentinel}" VALUES (1)'))
        _truncate_pg(engine)  # what every test's set-up does
        with named.connect() as conn:
            assert conn.execute(text(f'SELECT count(*) FROM "{sentinel}"')).scalar() == 1
    finally:
        with named.begin() as conn:
            conn.execute(text(f'DROP TABLE IF EXISTS "{sentinel}"'))
        named.dispose()
