"""Engine, sessions, migrations and the few queries that must be atomic."""

from __future__ import annotations

import contextlib
import functools
import threading
import time
import weakref
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import bindparam, event, func, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, InvalidatePoolError, OperationalError
from sqlalchemy.orm import Session as _SASession
from sqlalchemy.pool import NullPool
from sqlmodel import Session, SQLModel, create_engine

from storage import bulk, wakeup
from storage.errors import hide_user_text
from storage.models import Sequence
from storage.models.core import postgresql_conditions

MIGRATIONS = Path(__file__).with_name("migrations")
# What the database being away (or refusing) looks like to callers: answer "try again", store nothing.
STORAGE_ERRORS = (OperationalError, DBAPIError)
_MIGRATION_LOCK = 742_001  # pg_advisory_lock key: one replica migrates at a time
# A pooled PostgreSQL connection idle longer than this is pinged before use (a restart or a firewall may have
# closed it); one used more recently is not: pinging every checkout cost a round trip per transaction.
PING_AFTER_IDLE = 1.0  # seconds; not policy: how long a dead connection can go unnoticed is the driver's matter
_IDLE_SINCE = "safeshift_idle_since"


def _hide_row_values(context) -> None:
    """No row values (what people typed) in a database error's message (storage/errors.py)."""
    cut = hide_user_text(context.original_exception)
    wrapped = context.sqlalchemy_exception  # its message was made from the original text
    if cut is not None and wrapped is not None and wrapped.args and isinstance(wrapped.args[0], str):
        wrapped.args = (wrapped.args[0].replace(cut[0], cut[1]), *wrapped.args[1:])


def make_engine(url: str, **kwargs) -> Engine:
    # No statement parameters (what people typed) in exception messages, logs or tracebacks.
    kwargs.setdefault("hide_parameters", True)
    u = make_url(url)
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10},
            poolclass=NullPool if kwargs.pop("nullpool", False) else None,
            **kwargs,
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # pragma: no cover - exercised by every test
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=10000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        wakeup.install(engine)  # committed timer and outbox rows wake the workers (storage/wakeup.py)

        @event.listens_for(engine, "begin")
        def _begin(conn):
            # Writers take the write lock at BEGIN (queueing instead of failing to upgrade a read lock);
            # read-only work (read_scope) never takes it, so it never waits behind a writer.
            conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get(_READ_ONLY) else "BEGIN IMMEDIATE")

        return engine
    postgresql_conditions(SQLModel.metadata)  # the partial indexes' conditions (storage/models/core.py)
    # A database that does not answer must fail fast: Slack wants its answer within 3 s.
    engine = create_engine(url, pool_size=10, max_overflow=20, pool_timeout=2,
                           connect_args={"connect_timeout": 2}, **kwargs)
    event.listen(engine, "handle_error", _hide_row_values)
    _ping_when_idle(engine)
    wakeup.install(engine)  # committed timer and outbox rows wake the workers (storage/wakeup.py)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """`pool_pre_ping`, but only for connections idle more than PING_AFTER_IDLE seconds.

    A dead connection found by the ping is replaced, and every connection older than it is dropped
    (as `pool_pre_ping` does); one that dies while in use fails that transaction ("try again") and
    SQLAlchemy then drops the pool's older connections, exactly as before.
    """
    dialect = engine.dialect

    @event.listens_for(engine, "checkin")
    def _idle(dbapi_conn, record):
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn, record, _proxy):
        since = record.info.pop(_IDLE_SINCE, None)
        if since is None or time.monotonic() - since < PING_AFTER_IDLE:
            return  # new, or used a moment ago
        try:
            dialect.do_ping(dbapi_conn)
        except dialect.loaded_dbapi.Error as err:
            if dialect.is_disconnect(err, dbapi_conn, None):
                raise InvalidatePoolError() from err  # the pool connects afresh (up to twice more)
            raise


_BUFFER = "safeshift_buffered_rows"


def buffer_insert(session: Session, table, row: dict) -> None:
    """Queue a row for `table`, written with one executemany per table just before the commit.

    Used for append-only rows (outbox, audit) that nothing reads back inside the transaction:
    it saves a round trip and a statement compile per row.
    """
    rows = session.info.setdefault(_BUFFER, {})
    rows.setdefault(table, []).append(row)


def buffer_mark(session: Session) -> dict:
    return {table: len(rows) for table, rows in session.info.get(_BUFFER, {}).items()}


def buffer_rollback(session: Session, mark: dict) -> None:
    """Forget rows buffered since `mark` (a step that failed half way leaves nothing behind)."""
    for table, rows in session.info.get(_BUFFER, {}).items():
        del rows[mark.get(table, 0):]


@event.listens_for(_SASession, "before_commit")
def _write_buffered(session) -> None:
    buffered = session.info.pop(_BUFFER, None)
    if not buffered:
        return
    session.flush()  # the records these rows describe go first
    conn = session.connection()  # plain Core executemany: these rows are no ORM objects
    for table, rows in buffered.items():
        if len(rows) < bulk.COPY_FROM or not bulk.write(session, table, rows):
            conn.execute(table.insert(), rows)
        else:
            wakeup.note_write(conn, table.name)  # written past SQLAlchemy's events



@event.listens_for(_SASession, "after_rollback")
def _drop_buffered(session) -> None:
    session.info.pop(_BUFFER, None)


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


_READ_ONLY = "safeshift_read_only"
_engine_extras: "weakref.WeakKeyDictionary[Engine, tuple]" = weakref.WeakKeyDictionary()


def _extras(engine: Engine) -> tuple:
    """(read-only engine, in-process writer lock, autocommit engine) of `engine`, made once.

    On PostgreSQL read-only work runs in autocommit: each statement sees its own snapshot, which is what
    READ COMMITTED (the server's default, which this application keeps) gives inside a transaction too,
    without the BEGIN and ROLLBACK round trips. SQLite keeps a (deferred, lock-free) read transaction.
    """
    extras = _engine_extras.get(engine)
    if extras is None:
        sqlite = engine.dialect.name == "sqlite"
        lock = threading.RLock() if sqlite else None
        autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        read_only = engine.execution_options(**{_READ_ONLY: True}) if sqlite else autocommit
        extras = _engine_extras[engine] = (read_only, lock, autocommit)
    return extras


@contextlib.contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: commit on success, roll back on any error.

    On SQLite the writers of this process also queue on one in-process lock: a thread waiting there
    is woken the moment the writer before it commits, where SQLite's own busy handler sleeps in
    steps of 1–15 ms (measured: that sleeping was most of a request's lock wait).
    """
    lock = _extras(engine)[1]
    if lock is not None:
        lock.acquire()
    try:
        with Session(engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        if lock is not None:
            lock.release()


@contextlib.contextmanager
def read_scope(engine: Engine) -> Iterator[Session]:
    """Read-only work: never takes SQLite's write lock (nor the in-process writer lock); on PostgreSQL each
    statement runs on its own (autocommit, see `_extras`)."""
    # Closing ends the transaction without expiring what was read (a rollback would).
    with Session(_extras(engine)[0], expire_on_commit=False) as session:
        yield session


@functools.lru_cache(maxsize=64)
def _insert_ignoring(dialect: str, table, columns: tuple[str, ...], durable: bool = True):
    """INSERT … ON CONFLICT DO NOTHING RETURNING key, with a bound parameter per column: built once, reused.

    RETURNING, not rowcount: SQLAlchemy keeps rowcount for UPDATE and DELETE only. Not durable (PostgreSQL):
    `set_config(..., true)` is SET LOCAL as an expression; it holds for the statement's own transaction (in
    autocommit), whose commit reads it: one round trip instead of BEGIN, SET LOCAL, INSERT and COMMIT.
    """
    key = list(table.primary_key)[0]
    params = [bindparam(c, type_=table.c[c].type) for c in columns]
    if dialect != "postgresql" or durable:
        return dialect_insert(table, dialect).values(dict(zip(columns, params))).on_conflict_do_nothing().returning(key)
    relaxed = select(func.set_config("synchronous_commit", "off", True)).cte("relaxed")
    return (dialect_insert(table, dialect).from_select(list(columns), select(*params).select_from(relaxed))
            .on_conflict_do_nothing().returning(key))


def insert_or_ignore(conn, table, row: dict) -> bool:
    """INSERT … ON CONFLICT DO NOTHING on `conn` (a Connection), in its transaction: True if the row was inserted."""
    return conn.execute(_insert_ignoring(conn.dialect.name, table, tuple(row)), row).first() is not None


def insert_once(engine: Engine, table, row: dict, *, durable: bool = True) -> bool:
    """Insert `row` into `table` unless a row with its key is there already: True if it was inserted.

    One statement in a transaction of its own, no ORM. `durable=False` (PostgreSQL): the commit does not wait
    for the WAL flush (`synchronous_commit` off for this transaction only; a crash of the server may lose the
    last ~0.6 s of such rows, never a partial one). SQLite's commits already do not wait (WAL, synchronous=NORMAL).
    """
    lock = _extras(engine)[1]
    if lock is not None:  # SQLite: queue on the writer lock, not on SQLite's sleeping busy handler
        with lock, engine.begin() as conn:
            return insert_or_ignore(conn, table, row)
    with _extras(engine)[2].connect() as conn:  # autocommit: the INSERT is the whole transaction
        return conn.execute(_insert_ignoring("postgresql", table, tuple(row), durable), row).first() is not None


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


@functools.lru_cache(maxsize=1)
def migration_heads() -> frozenset[str]:
    """The newest revisions of storage/migrations/versions, read from the files' `revision` and `down_revision`
    (without Alembic: a process whose database is current never loads it; tests/test_storage.py compares)."""
    import ast

    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                    and node.targets[0].id in ("revision", "down_revision"):
                found[node.targets[0].id] = ast.literal_eval(node.value)
        if found.get("revision"):
            revisions.add(found["revision"])
            down = found.get("down_revision")
            parents.update(down if isinstance(down, (tuple, list)) else [down] if down else [])
    return frozenset(revisions - parents)


def at_heads(engine: Engine) -> bool:
    """True if the database is already at the newest migration (one read; False if it has no version table)."""
    try:
        with _extras(engine)[0].connect() as conn:  # read-only: never SQLite's write lock
            current = {r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))}
    except DBAPIError:
        return False
    return current == migration_heads()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (under an advisory lock on PostgreSQL).

    A database already there is only read (every start of `serve`, every test's runtime): Alembic is loaded
    only when there is something to migrate."""
    if at_heads(engine):
        return
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.connect() as conn:
        if is_postgres(engine):
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _MIGRATION_LOCK})
            conn.commit()
        try:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "heads")  # work on two branches may add migrations side by side
            conn.commit()
        finally:
            if is_postgres(engine):
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _MIGRATION_LOCK})
                conn.commit()


def dialect_insert(table, dialect: str):
    """The dialect's INSERT (with ON CONFLICT). PostgreSQL's is imported only where it is the engine: importing
    SQLAlchemy's PostgreSQL dialect loads its five drivers' modules, ~2.3 MB in every SQLite process (issue 26)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


@functools.lru_cache(maxsize=2)
def _next_sequence_stmt(dialect: str):
    """`next_sequence`'s upsert with bound parameters: built once per dialect (building and keying it anew for every
    report was most of its cost; issue 26)."""
    return (
        dialect_insert(Sequence, dialect).values(name=bindparam("name"), year=bindparam("year"), value=1)
        .on_conflict_do_update(index_elements=["name", "year"], set_={"value": Sequence.value + 1})
        .returning(Sequence.value)
    )


def next_sequence(session: Session, name: str, year: int) -> int:
    """Atomically take the next number of (name, year); concurrent callers never share one.

    One statement (INSERT … ON CONFLICT DO UPDATE … RETURNING: no read before the write), on the session's
    connection: a Core statement needs none of the ORM's execution around it."""
    conn = session.connection()
    return int(conn.execute(_next_sequence_stmt(conn.dialect.name), {"name": name, "year": year}).scalar_one())


def ping(engine: Engine) -> bool:
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means unhealthy
        return False
