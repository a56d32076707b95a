"""Time is injected: production uses SystemClock, tests move a FrozenClock."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Callable


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.timezone.utc)


class FrozenClock:
    """A clock that moves only when told. Whoever sleeps until a moment of it (the workers) subscribes, and is
    woken each time it is moved: what became due fires without waiting for real time to pass."""

    def __init__(self, start: dt.datetime):
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs an aware datetime")
        self._now = start.astimezone(dt.timezone.utc)
        self._lock = threading.Lock()
        self._subscribers: list[Callable[[], None]] = []

    def now(self) -> dt.datetime:
        with self._lock:
            return self._now

    def subscribe(self, wake: Callable[[], None]) -> None:
        with self._lock:
            self._subscribers.append(wake)

    def unsubscribe(self, wake: Callable[[], None]) -> None:
        with self._lock:
            if wake in self._subscribers:
                self._subscribers.remove(wake)

    def _moved(self) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for wake in subscribers:
            wake()

    def set(self, moment: dt.datetime) -> None:
        with self._lock:
            self._now = moment.astimezone(dt.timezone.utc)
        self._moved()

    def advance(self, **delta) -> dt.datetime:
        with self._lock:
            self._now += dt.timedelta(**delta)
            now = self._now
        self._moved()
        return now
