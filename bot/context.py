"""What every use case needs: settings, the organisation, the database, the clock."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy.engine import Engine

from bot.directory import Directory
from bot.policy import Organisation
from bot.worker import Deferred, _deferral, wake_after_answer
from storage.db import STORAGE_ERRORS  # noqa: F401 - re-exported: what callers above bot/ catch


@dataclass
class Context:
    org: Organisation
    engine: Engine
    clock: object
    settings: object | None = None
    wakers: list[Callable[[], None]] = field(default_factory=list)
    # What depends only on the organisation file (rendered blank forms): it is read once per process.
    cache: dict = field(default_factory=dict)
    gate: object | None = None  # bot.worker.RequestGate of the process serving requests, if any

    def __post_init__(self) -> None:
        self.directory = Directory(self.org)

    def wake(self) -> None:
        """Tell the in-process sender and sweeper that new work was committed.

        Not needed after a write of timer or outbox rows: its commit wakes them (storage/wakeup.py, issue 26); the
        calls that remain are harmless. Inside `deferred_wake()` (a request being answered) the wake is only noted:
        a sender that starts at once competes with the answer for the interpreter and the write lock. The HTTP
        front wakes them once the answer is written.
        """
        for w in self.wakers:
            wake_after_answer(w)

    def after_answer(self, work: Callable[[], None]) -> None:
        """Run `work` once the answer to the request being served is written (the HTTP front runs it after the
        body is out, like the deferred wakes); outside a request, at once."""
        deferred = getattr(_deferral, "current", None)
        if deferred is not None:
            deferred.after.append(work)
            return
        work()

    @contextlib.contextmanager
    def deferred_wake(self):
        """Note wakes made in this thread instead of delivering them; `.pending` says whether any was, `.wakes`
        which to deliver, `.after` the work to run once the answer is written (`after_answer`)."""
        deferred = Deferred()
        _deferral.current = deferred
        try:
            yield deferred
        finally:
            _deferral.current = None
