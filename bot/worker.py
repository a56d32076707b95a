"""A background loop shared by the outbox sender and the deadline sweeper."""

from __future__ import annotations

import datetime as dt
import logging
import threading

log = logging.getLogger("safeshift.worker")

MAX_SLEEP = 1.0  # seconds: other processes' work is noticed within this, without minute-granularity polling


class Worker:
    """Calls `run_once()` again at once while busy, else at the next due moment (at most 1 s) or when woken."""

    name = "worker"

    def __init__(self, clock):
        self.clock = clock
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
