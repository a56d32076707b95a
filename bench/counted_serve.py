"""`safeshift serve`, with every SQL statement and transaction it makes counted (bench/load.py idle).

    SAFESHIFT_BENCH_COUNTS=/tmp/counts.json python bench/counted_serve.py serve --http ...

On SIGUSR1 the counts so far (per thread) are written to the file SAFESHIFT_BENCH_COUNTS names, as JSON. The
counting is SQLAlchemy events on every engine of the process: nothing of the product is changed.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402

_counts: dict[str, dict[str, int]] = {}
_lock = threading.Lock()


def _count(what: str) -> None:
    name = threading.current_thread().name
    with _lock:
        per = _counts.setdefault(name, {"statements": 0, "transactions": 0})
        per[what] += 1


@event.listens_for(Engine, "before_cursor_execute")
def _statement(*_args) -> None:
    _count("statements")


@event.listens_for(Engine, "begin")
def _transaction(_conn) -> None:
    _count("transactions")


def _dump(_signum, _frame) -> None:
    with _lock:
        snapshot = json.dumps(_counts)
    path = Path(os.environ["SAFESHIFT_BENCH_COUNTS"])
    tmp = path.with_suffix(".tmp")
    tmp.write_text(snapshot, encoding="utf-8")
    tmp.replace(path)


signal.signal(signal.SIGUSR1, _dump)

if __name__ == "__main__":
    from bot.cli import main

    sys.argv = ["safeshift", *sys.argv[1:]]
    sys.exit(main())
