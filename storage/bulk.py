"""A transaction's many buffered rows of one table written in bulk (storage.db `_write_buffered`): COPY on PostgreSQL,
the driver's own executemany on SQLite, past SQLAlchemy's executemany and its events (the caller notes the write for
the wake-up, storage/wakeup.py)."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from storage.errors import raise_wrapped

# From this many rows of one table, a transaction's buffered rows skip SQLAlchemy's executemany: PostgreSQL takes them
# by COPY (psycopg's executemany sends one INSERT per row), SQLite by the driver's own executemany; each value is bound
# by its column type's processor, a moment once per batch (issue 26: 10,000 rungs due at once queue 32,000 rows, most
# stamped with the same moment). Not policy: it describes the bot.
COPY_FROM = 100


def write(session: Session, table, rows: list[dict]) -> bool:
    """Write `rows` by COPY (PostgreSQL) or the driver's executemany (SQLite), each value bound as the INSERT would
    bind it; False (nothing written) where SQLAlchemy's INSERT is needed: another engine, rows naming different
    columns, or a column left out that has a default of SQLAlchemy's own (the server's apply to these as to an
    INSERT)."""
    conn = session.connection()
    dialect = conn.dialect
    if dialect.name not in ("postgresql", "sqlite"):
        return False
    names = list(rows[0])
    named = set(names)
    if any(c.name not in named and (c.default is not None or c.onupdate is not None) for c in table.columns):
        return False
    if any(len(row) != len(names) or not named.issuperset(row) for row in rows):
        return False
    procs = [table.c[n].type.dialect_impl(dialect).bind_processor(dialect) for n in names]
    values = [[row[n] for n in names] for row in rows]
    for k, p in enumerate(procs):
        if p is None:
            continue
        bound: dict = {}  # a moment -> its bound value: a batch's rows share a few moments
        for row in values:
            v = row[k]
            if type(v) is dt.datetime:
                key = (v, v.tzinfo, v.fold)  # equal moments in other zones may bind otherwise
                if key not in bound:
                    bound[key] = p(v)
                row[k] = bound[key]
            else:
                row[k] = p(v)
    preparer = dialect.identifier_preparer
    columns = ", ".join(preparer.quote(n) for n in names)
    dbapi = conn.connection.dbapi_connection
    if dialect.name == "sqlite":
        statement = f"INSERT INTO {preparer.format_table(table)} ({columns}) VALUES ({', '.join('?' * len(names))})"
    else:
        statement = f"COPY {preparer.format_table(table)} ({columns}) FROM STDIN"
    try:
        if dialect.name == "sqlite":
            cur = dbapi.cursor()
            try:
                cur.executemany(statement, values)
            finally:
                cur.close()
        else:
            with dbapi.cursor() as cur:
                with cur.copy(statement) as copy:
                    for row in values:
                        copy.write_row(row)
    except Exception as error:  # noqa: BLE001 - the driver's own: raised as SQLAlchemy would, no row in it
        raise_wrapped(dialect, statement, error)
    return True
