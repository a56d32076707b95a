"""Wake the background workers when timer or outbox rows change, instead of polling (issue 26: idle costs nothing).

- In this process: every engine made by `storage.db.make_engine` notes its own INSERT, UPDATE and DELETE statements on
  a watched table (`WATCHED`); once a transaction that made one is committed (when its connection goes back to the
  pool, in the committing thread) the callbacks subscribed to that table of that database are called. No call site
  has to remember to wake anyone, whichever engine of the process wrote.
- Other processes, PostgreSQL: the same transaction runs `NOTIFY` (delivered at its commit, never if it is rolled
  back); each process with a subscriber keeps one connection that LISTENs, blocked on its socket (no statement, no
  transaction), and reconnects when it is lost, waking everyone once it is back (a change may have been missed).
- Other processes, SQLite: the database file and its `-wal` file are looked at (`os.stat`, no SQL, no lock) every
  `WATCH_EVERY` seconds; any change wakes every subscriber, who reads what is due.

Subscribers are cheap callables (they set an Event); they run in the committing or the watching thread.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import uuid
import weakref
from typing import Callable

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from storage.errors import raise_wrapped

log = logging.getLogger("safeshift.wakeup")

WATCHED = frozenset({"timer", "outbox"})  # the tables the sweeper and the outbox sender work from
CHANNEL = "safeshift_work"  # PostgreSQL's notification channel (per database)
# SQLite: how often another process's commit is looked for. Not policy: how late a timer written by another process
# on the same file can be noticed (a stat of two files, no SQL).
WATCH_EVERY = 0.5  # seconds
RECONNECT_AT_MOST = 5.0  # seconds between attempts to listen again on PostgreSQL (then everyone is woken)
_TOUCHED = "safeshift_wake_touched"  # connection info: watched tables written in the open transaction
_COMMITTED = "safeshift_wake_committed"  # … in a committed one, announced when the connection is checked in
_NONCE = uuid.uuid4().hex[:12]

_lock = threading.Lock()
_subscribers: dict[tuple, dict[int, tuple[frozenset, Callable[[], None]]]] = {}
_watchers: dict[tuple, object] = {}
_handles = itertools.count(1)
_writers: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> its `_written` (install)


def _me() -> str:
    """This process in a notification's payload (its own notifications are not heard twice)."""
    return f"{os.getpid()}-{_NONCE}"


def database_key(url) -> tuple | None:
    """What names one database whatever the engine: (backend, host, port, name), or the SQLite file's real path."""
    u = make_url(url) if isinstance(url, str) else url
    if u.get_backend_name() == "sqlite":
        if not u.database or u.database == ":memory:":
            return None  # no other process can see it
        return ("sqlite", os.path.realpath(u.database))
    return (u.get_backend_name(), u.host or "", u.port or 0, u.database or "")


def _psycopg(engine: Engine) -> bool:
    """PostgreSQL through psycopg 3 (what settings make of any PostgreSQL URL): NOTIFY and LISTEN are used."""
    return engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"


def install(engine: Engine) -> None:
    """Watch `engine`'s writes (storage.db.make_engine calls this for every engine)."""
    key = database_key(engine.url)
    if key is None:
        return
    postgres = _psycopg(engine)

    def notify(conn, tables) -> None:
        if postgres:  # on the connection itself (no SQLAlchemy events again), in its transaction
            try:
                conn.connection.dbapi_connection.execute("SELECT pg_notify(%s, %s)",
                                                         (CHANNEL, f"{_me()} {','.join(sorted(tables))}"))
            except Exception as error:  # noqa: BLE001 - raised as SQLAlchemy would (a lost connection: try again)
                raise_wrapped(conn.dialect, "SELECT pg_notify(%s, %s)", error)

    @event.listens_for(engine, "after_execute")
    def _executed(conn, clause, *_args) -> None:
        if getattr(clause, "is_dml", False):
            _written(conn, getattr(getattr(clause, "table", None), "name", None))

    def _written(conn, name) -> None:
        if name not in WATCHED:
            return
        if conn._is_autocommit_isolation():  # committed already: announce it now
            notify(conn, (name,))
            conn.info.setdefault(_COMMITTED, set()).add(name)
        else:
            conn.info.setdefault(_TOUCHED, set()).add(name)

    _writers[engine] = _written

    @event.listens_for(engine, "commit")
    def _commit(conn) -> None:  # just before the commit: NOTIFY is part of the transaction
        touched = conn.info.pop(_TOUCHED, None)
        if touched:
            notify(conn, touched)
            conn.info.setdefault(_COMMITTED, set()).update(touched)

    @event.listens_for(engine, "rollback")
    def _rollback(conn) -> None:
        conn.info.pop(_TOUCHED, None)

    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn, record) -> None:  # the commit is done: the rows are there for whoever reads now
        committed = record.info.pop(_COMMITTED, None)
        if committed:
            deliver(key, committed)


def note_write(conn, table: str) -> None:
    """A write to `table` that SQLAlchemy did not execute itself (storage.db's bulk rows: COPY, the driver's own
    executemany), noted as `after_execute` notes the others."""
    written = _writers.get(conn.engine)
    if written is not None:
        written(conn, table)


def deliver(key: tuple, tables) -> None:
    """Call the subscribers of `key` that watch any of `tables`."""
    subs = _subscribers.get(key)
    if not subs:
        return
    for watched, callback in list(subs.values()):
        if watched.intersection(tables):
            try:
                callback()
            except Exception:  # noqa: BLE001 - a wake must never fail the transaction that made it
                log.exception("a wake-up callback failed")


def subscribe(engine: Engine, tables, callback: Callable[[], None]) -> int | None:
    """Call `callback` whenever rows of `tables` change in `engine`'s database (any engine, any process); starts the
    process's watcher of that database with its first subscriber. Returns a handle for `unsubscribe`."""
    key = database_key(engine.url)
    if key is None:
        return None
    handle = next(_handles)
    with _lock:
        subs = _subscribers.setdefault(key, {})
        subs[handle] = (frozenset(tables), callback)
        if key not in _watchers:
            if _psycopg(engine):
                watcher = _PgListener(engine, key)
            elif key[0] == "sqlite":
                watcher = _FileWatcher(key)
            else:  # another driver: other processes' writes are seen within IDLE_AT_MOST (bot/worker.py)
                watcher = _Watcher(key)
            _watchers[key] = watcher
            watcher.start()
    return handle


def unsubscribe(engine: Engine, handle: int | None) -> None:
    """Forget a subscriber; the last one of a database stops its watcher (thread joined, connection closed)."""
    key = database_key(engine.url)
    if key is None or handle is None:
        return
    with _lock:
        subs = _subscribers.get(key, {})
        subs.pop(handle, None)
        watcher = _watchers.pop(key, None) if not subs else None
        if not subs:
            _subscribers.pop(key, None)
    if watcher is not None:
        watcher.stop()


def ready(engine: Engine, timeout: float = 10.0) -> bool:
    """Wait until this process hears other processes' writes to `engine`'s database (tests, before writing)."""
    with _lock:
        watcher = _watchers.get(database_key(engine.url))
    return watcher is not None and watcher.ready.wait(timeout)


def watchers() -> int:
    """How many databases this process watches (tests: none is left running)."""
    with _lock:
        return len(_watchers)


class _Watcher:
    name = "watcher"

    def __init__(self, key: tuple) -> None:
        self.key = key
        self._stop = threading.Event()
        self.ready = threading.Event()  # it hears other processes from now on
        self._thread = threading.Thread(target=self._run, name=f"safeshift-wake-{self.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._interrupt()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def _interrupt(self) -> None:
        pass

    def _run(self) -> None:
        self.ready.set()

    def _everyone(self) -> None:
        deliver(self.key, WATCHED)


class _FileWatcher(_Watcher):
    """SQLite: another process's commit changes the -wal file (or, checkpointed, the database file)."""

    name = "sqlite"

    def _signature(self) -> tuple:
        out = []
        for path in (self.key[1], self.key[1] + "-wal"):
            try:
                st = os.stat(path)
                out.append((st.st_ino, st.st_size, st.st_mtime_ns))
            except OSError:
                out.append(None)
        return tuple(out)

    def _run(self) -> None:
        seen = self._signature()
        self.ready.set()
        while not self._stop.wait(WATCH_EVERY):
            now = self._signature()
            if now != seen:
                seen = now
                self._everyone()


class _PgListener(_Watcher):
    """PostgreSQL: LISTEN on a connection of its own, waiting on its socket and on a pipe that stops it."""

    name = "postgres"

    def __init__(self, engine: Engine, key: tuple) -> None:
        super().__init__(key)
        cargs, cparams = engine.dialect.create_connect_args(engine.url)
        # a dead server or network is noticed by TCP keepalives while nothing is said
        self._args = (cargs, {"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 30,
                              "keepalives_interval": 10, "keepalives_count": 3, **cparams, "autocommit": True})
        self._dbapi = engine.dialect.loaded_dbapi
        self._r, self._w = os.pipe()

    def _interrupt(self) -> None:
        try:
            os.write(self._w, b"x")
        except OSError:
            pass

    def stop(self) -> None:
        super().stop()
        for fd in (self._r, self._w):
            try:
                os.close(fd)
            except OSError:
                pass

    def _run(self) -> None:
        import selectors  # not select.select: it refuses a descriptor past 1024 (a busy process)

        wait = 0.5
        while not self._stop.is_set():
            conn = None
            try:
                conn = self._dbapi.connect(*self._args[0], **self._args[1])
                conn.execute(f"LISTEN {CHANNEL}")
                self._everyone()  # something may have changed while nobody listened (or before the first LISTEN)
                self.ready.set()
                wait = 0.5
                pgconn = conn.pgconn
                with selectors.DefaultSelector() as selector:
                    selector.register(pgconn.socket, selectors.EVENT_READ, "db")
                    selector.register(self._r, selectors.EVENT_READ, "stop")
                    self._listen(pgconn, selector)
            except Exception as exc:  # noqa: BLE001 - the database is away: listen again later
                self.ready.clear()
                if not self._stop.is_set():
                    log.warning("listening for other processes' work failed (%s); again in %.0f s",
                                type(exc).__name__, wait)
                    self._stop.wait(wait)
                    wait = min(RECONNECT_AT_MOST, wait * 2)
            finally:
                if conn is not None:
                    try:
                        conn.close()
                    except Exception:  # noqa: BLE001
                        pass

    def _listen(self, pgconn, selector) -> None:
        """Deliver other processes' notices until stopped (returns) or the connection is lost (raises)."""
        while not self._stop.is_set():
            if any(key.data == "stop" for key, _ in selector.select()):
                return
            pgconn.consume_input()  # raises when the connection is lost
            tables: set[str] = set()
            while (n := pgconn.notifies()) is not None:
                who, _, what = n.extra.decode().partition(" ")
                if who != _me():
                    tables.update(what.split(","))
            if tables:
                deliver(self.key, tables)


