"""What every use case needs: settings, the organisation, the database, the clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sqlalchemy.engine import Engine

from bot.directory import Directory
from bot.policy import Organisation
from storage.db import STORAGE_ERRORS  # noqa: F401 - re-exported: what callers above bot/ catch


@dataclass
class Context:
    org: Organisation
    engine: Engine
    clock: object
    settings: object | None = None
    wakers: list[Callable[[], None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.directory = Directory(self.org)

    def wake(self) -> None:
        """Tell the in-process sender and sweeper that new work was committed."""
        for w in self.wakers:
            w()
