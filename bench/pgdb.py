"""A PostgreSQL database of the benchmark's own: created on the server SAFESHIFT_BENCH_PG names, dropped at exit.

The database the URL names is never dropped or emptied: another run may be using it.
"""

from __future__ import annotations

import atexit
import os
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

SERVER = os.environ.get("SAFESHIFT_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_made: list[str] = []


def own_database() -> str:
    """The URL of a new, empty database (dropped when the benchmark exits)."""
    name = f"safeshift_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    if not _made:
        atexit.register(_drop_all)
    _made.append(name)
    return make_url(SERVER).set(database=name).render_as_string(hide_password=False)


def _drop_all() -> None:
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in _made:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
