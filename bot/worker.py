"""A background loop shared by the outbox sender and the deadline sweeper."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from typing import Callable

from storage import wakeup

log = logging.getLogger("safeshift.worker")

# A worker sleeps until its next due moment, or until it is woken: by a committed write to the rows it works from
# (storage/wakeup.py, any engine of this process; another process's through PostgreSQL's NOTIFY or SQLite's -wal
# file), or by the test clock moving. This is the longest it sleeps even so: the worst case for a wake that was lost
# (a NOTIFY while the listening connection was being re-made). Not policy: a bound on the bot's own lateness.
IDLE_AT_MOST = 60.0  # seconds
RETRY_AFTER_ERROR = 1.0  # seconds: the database may be away for a moment
# How long background work waits for the requests in flight to be answered before it goes anyway:
# Slack gives a request 3 s, a queued message has no such clock; a long wait would delay urgent cards.
YIELD_AT_MOST = 0.05


class RequestGate:
    """Counts the requests being answered in this process, so background work can let them go first.

    The sender and the sweeper share the interpreter with the HTTP front: a delivery started while a
    request is answered makes that answer wait (measured: most of a submission's tail latency).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._idle = threading.Event()
        self._idle.set()

    def enter(self) -> None:
        with self._lock:
            self._count += 1
            self._idle.clear()

    def leave(self) -> None:
        with self._lock:
            self._count = max(0, self._count - 1)
            if self._count == 0:
                self._idle.set()

    def wait_idle(self, timeout: float = YIELD_AT_MOST) -> bool:
        return self._idle.wait(timeout)


_deferral = threading.local()  # the request this thread is answering, if any (bot.context.Context.deferred_wake)


class Deferred:
    """What a request being answered left for after its answer: wakes (`wakes`, `pending`) and work (`after`)."""

    def __init__(self) -> None:
        self.pending = False
        self.wakes: dict[Callable[[], None], None] = {}  # an ordered set
        self.after: list = []


def wake_after_answer(wake: Callable[[], None]) -> None:
    """Call `wake` now, or, in a thread answering a request, once the answer is written (the HTTP front calls
    `Deferred.wakes` then): a worker that starts at once competes with the answer for the interpreter and the
    write lock."""
    deferred = getattr(_deferral, "current", None)
    if deferred is None:
        wake()
        return
    deferred.pending = True
    deferred.wakes[wake] = None


class Worker:
    """Calls `run_once()` again at once while busy, else at the next due moment (at most IDLE_AT_MOST) or when
    woken: by `wake()`, by a committed write to the tables it `watch`es, or by its clock moving (FrozenClock)."""

    name = "worker"

    def __init__(self, clock, gate: RequestGate | None = None):
        self.clock = clock
        self.gate = gate  # requests in flight go first (see RequestGate)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watch: tuple = ()  # (engine, tables) whose committed writes wake this worker
        self._watching = None
        self.rounds_idle = 0  # rounds that found nothing to do
        # One round at a time per worker: a round called directly (a CLI command, a test that moved its clock) waits
        # for the thread's round, woken by the same move, to commit, instead of skipping the rows it holds.
        self._round = threading.RLock()
        run_once = self.run_once

        @functools.wraps(run_once)
        def one_at_a_time(*args, **kwargs):
            with self._round:
                return run_once(*args, **kwargs)

        self.run_once = one_at_a_time
        self.sleeping = False  # waiting for its next due moment or a wake (with `_wake` unset: nothing pending)

    def watch(self, engine, *tables: str) -> None:
        """Be woken by any committed write to `tables` of `engine`'s database, in this process or another, while
        running (storage/wakeup.py); a write in a thread answering a request wakes it once the answer is out."""
        self._watch = (engine, tables)

    def run_once(self) -> int:
        raise NotImplementedError

    def busy(self, done: int) -> bool:
        return done > 0

    def next_due(self) -> dt.datetime | None:
        raise NotImplementedError

    def next_due_in(self) -> float:
        nxt = self.next_due()
        if nxt is None:
            return IDLE_AT_MOST
        return max(0.0, min(IDLE_AT_MOST, (nxt - self.clock.now()).total_seconds()))

    def wake(self) -> None:
        self._wake.set()

    def _committed(self) -> None:
        wake_after_answer(self.wake)

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.gate is not None:
                self.gate.wait_idle()
            # Cleared before the round reads: a write committed from here on wakes the wait below.
            self._wake.clear()
            try:
                with self._round:
                    busy = self.busy(self.run_once())
                    wait = 0.0 if busy else self.next_due_in()
            except Exception:  # noqa: BLE001 - the database may be away for a moment: try again
                log.exception("%s round failed; retrying", self.name)
                busy, wait = False, RETRY_AFTER_ERROR
            if not busy:
                self.rounds_idle += 1
            if wait > 0:
                self.sleeping = True
                self._wake.wait(wait)
                self.sleeping = False

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            if self._watch:
                engine, tables = self._watch
                self._watching = wakeup.subscribe(engine, tables, self._committed)
            subscribe = getattr(self.clock, "subscribe", None)
            if subscribe is not None:  # a test clock: moving it wakes this worker
                subscribe(self.wake)
            self._thread = threading.Thread(target=self._loop, name=f"safeshift-{self.name}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
            unsubscribe = getattr(self.clock, "unsubscribe", None)
            if unsubscribe is not None:
                unsubscribe(self.wake)
            if self._watch:
                wakeup.unsubscribe(self._watch[0], self._watching)
                self._watching = None
