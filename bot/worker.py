"""A background loop shared by the outbox sender and the deadline sweeper."""

from __future__ import annotations

import datetime as dt
import logging
import threading

log = logging.getLogger("safeshift.worker")

MAX_SLEEP = 1.0  # seconds: other processes' work is noticed within this, without minute-granularity polling
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


class Worker:
    """Calls `run_once()` again at once while busy, else at the next due moment (at most 1 s) or when woken."""

    name = "worker"

    def __init__(self, clock, gate: RequestGate | None = None):
        self.clock = clock
        self.gate = gate  # requests in flight go first (see RequestGate)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        raise NotImplementedError

    def busy(self, done: int) -> bool:
        return done > 0

    def next_due(self) -> dt.datetime | None:
        raise NotImplementedError

    def next_due_in(self) -> float:
        nxt = self.next_due()
        if nxt is None:
            return MAX_SLEEP
        return max(0.0, min(MAX_SLEEP, (nxt - self.clock.now()).total_seconds()))

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.gate is not None:
                self.gate.wait_idle()
            try:
                wait = 0.0 if self.busy(self.run_once()) else self.next_due_in()
            except Exception:  # noqa: BLE001 - the database may be away for a moment: try again
                log.exception("%s round failed; retrying", self.name)
                wait = MAX_SLEEP
            if wait > 0:
                self._wake.wait(wait)
                self._wake.clear()

    def start(self) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._loop, name=f"safeshift-{self.name}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
