"""Idle costs nothing (issue 26): a sweeper round that finds nothing due reads the database once, and that read
also tells its thread when to look again; between due moments the workers sleep, woken by committed writes of their
rows (this process's engines, another process through PostgreSQL's NOTIFY or SQLite's -wal file) and by the test
clock moving."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading

from slack_sdk import WebClient
from sqlalchemy import event, func, select

from bot.clock import FrozenClock, SystemClock
from bot.context import Context
from bot.outbox import Sender
from bot.sweeper import Sweeper
from bot.worker import IDLE_AT_MOST
from storage import wakeup
from storage.db import make_engine, session_scope
from storage.models import Timer
from tests.conftest import ROOT, org_from, wait_until

T0 = dt.datetime(2026, 12, 4, 2, 0, tzinfo=dt.timezone.utc)


def test_an_idle_sweeper_round_reads_once_and_knows_the_next_due_moment(engine):
    clock = FrozenClock(T0)
    sweeper = Sweeper(Context(org=org_from(), engine=engine, clock=clock))
    due = T0 + dt.timedelta(minutes=7)
    with session_scope(engine) as s:
        s.add(Timer(subject_type="report", subject_id=1, purpose="acknowledge", step=0, cycle=1, due_at=due,
                    fire_at=due, status="pending", late=False))
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert sweeper.run_once() == 0
        assert sweeper.next_due_in() == IDLE_AT_MOST  # seven minutes away: the loop's longest wait
        assert len(statements) == 1, statements
        assert sweeper.next_due() == due  # asked again (not right after an idle round): read afresh
        assert len(statements) == 2
    finally:
        event.remove(engine, "before_cursor_execute", count)


# -- no polling: a worker sleeps until its next due moment or until it is woken (issue 26) ---------------------------
def _timer(due: dt.datetime, subject_id: int = 1) -> Timer:
    return Timer(subject_type="report", subject_id=subject_id, purpose="acknowledge", step=0, cycle=1, due_at=due,
                 fire_at=due, status="pending", late=False)


def _handled(engine, subject_id: int = 1) -> bool:
    """The sweeper has dealt with the timer (its report does not exist: it is cancelled)."""
    with session_scope(engine) as s:
        return s.execute(select(Timer.status).where(Timer.subject_id == subject_id)).scalar() != "pending"


def _asleep(worker) -> None:
    """The worker waits for its next due moment with no wake pending: only a new wake or that moment moves it."""
    wait_until(lambda: worker.sleeping and not worker._wake.is_set(), timeout=10, what=f"{worker.name} to sleep")


def _sweeper(engine, clock) -> Sweeper:
    sweeper = Sweeper(Context(org=org_from(), engine=engine, clock=clock))
    sweeper.watch(engine, "timer")
    return sweeper


def test_moving_the_test_clock_wakes_a_sleeping_sweeper(engine):
    clock = FrozenClock(T0)
    with session_scope(engine) as s:
        s.add(_timer(T0 + dt.timedelta(minutes=7)))
    sweeper = Sweeper(Context(org=org_from(), engine=engine, clock=clock))  # no watch: only the clock can wake it
    sweeper.start()
    try:
        _asleep(sweeper)  # seven minutes away on the test clock: it sleeps (the longest, IDLE_AT_MOST, in real time)
        assert not _handled(engine)
        clock.advance(minutes=8)
        wait_until(lambda: _handled(engine), timeout=10, what="the timer to fire once the clock passed it")
    finally:
        sweeper.stop()


def test_a_commit_through_another_engine_of_this_process_wakes_the_sweeper(db_url, engine):
    clock = FrozenClock(T0)
    sweeper = _sweeper(engine, clock)
    sweeper.start()
    other = make_engine(db_url)  # another engine (another Context, say) on the same database
    try:
        assert wakeup.ready(engine)
        _asleep(sweeper)
        with session_scope(other) as s:
            s.add(_timer(T0 - dt.timedelta(seconds=1)))
        wait_until(lambda: _handled(engine), timeout=10, what="the sweeper to fire the new timer")
    finally:
        sweeper.stop()
        other.dispose()
    assert wakeup.watchers() == 0  # its watcher of the database stopped with it


def test_a_commit_in_a_request_wakes_the_sweeper_once_the_answer_is_written(engine):
    ctx = Context(org=org_from(), engine=engine, clock=FrozenClock(T0))
    sweeper = _sweeper(engine, ctx.clock)
    handle = wakeup.subscribe(engine, ["timer"], sweeper._committed)
    try:
        assert wakeup.ready(engine)  # PostgreSQL: once listening, it wakes everyone (something may have been missed)
        sweeper._wake.clear()
        with ctx.deferred_wake() as deferred:
            with session_scope(engine) as s:
                s.add(_timer(T0))
            assert not sweeper._wake.is_set()  # noted, not delivered: the answer goes first
        assert deferred.pending and list(deferred.wakes) == [sweeper.wake]
        with session_scope(engine) as s:  # outside a request: at once
            s.add(_timer(T0, subject_id=2))
        assert sweeper._wake.is_set()
    finally:
        wakeup.unsubscribe(engine, handle)


WRITER = """
import datetime as dt, sys
from storage.db import make_engine, session_scope
from storage.models import Timer
due = dt.datetime.fromisoformat(sys.argv[2])
with session_scope(make_engine(sys.argv[1])) as s:
    s.add(Timer(subject_type="report", subject_id=1, purpose="acknowledge", step=0, cycle=1, due_at=due, fire_at=due,
                status="pending", late=False))
"""


def test_a_timer_written_by_another_process_wakes_the_sweeper(db_url, engine):
    """PostgreSQL: the writer's NOTIFY reaches this process's listening connection; SQLite: the -wal file changed."""
    clock = FrozenClock(T0)
    sweeper = _sweeper(engine, clock)
    sweeper.start()
    try:
        assert wakeup.ready(engine)
        _asleep(sweeper)
        subprocess.run([sys.executable, "-c", WRITER, db_url, (T0 - dt.timedelta(seconds=1)).isoformat()],
                       cwd=ROOT, check=True, timeout=60)
        wait_until(lambda: _handled(engine), timeout=10, what="the sweeper to fire the other process's timer")
    finally:
        sweeper.stop()
    assert wakeup.watchers() == 0
    assert not [t.name for t in threading.enumerate() if t.name.startswith("safeshift-")]


def test_idle_workers_issue_no_statement_until_something_is_due(engine):
    """The sender (nothing queued) and the sweeper (a timer 2 s away, real time) sleep: the first statement either
    makes once asleep is the sweeper's, at the timer's moment. Polling once a second would show before it."""
    first: list = []  # (thread, when) of the first statement a worker makes in the window

    def count(conn, cursor, statement, *args):
        name = threading.current_thread().name
        if name.startswith("safeshift-") and not first:
            first.append((name, clock.now()))

    clock = SystemClock()
    sweeper = _sweeper(engine, clock)
    sender = Sender(engine, WebClient(token="xoxb-unused", base_url="http://127.0.0.1:9/"), clock)
    sender.watch(engine, "outbox")
    due = clock.now() + dt.timedelta(seconds=2)
    with session_scope(engine) as s:
        s.add(_timer(due))
    sweeper.start()
    sender.start()
    try:
        assert wakeup.ready(engine)  # PostgreSQL: once listening it wakes everyone once (something may have been missed)
        _asleep(sweeper)
        _asleep(sender)
        event.listen(engine, "before_cursor_execute", count)
        try:
            wait_until(lambda: _handled(engine), timeout=10, what="the timer 2 s away to fire")
        finally:
            event.remove(engine, "before_cursor_execute", count)
        assert first and first[0][0] == "safeshift-sweeper" and first[0][1] >= due, (first, due)
    finally:
        sender.stop()
        sweeper.stop()


def test_the_senders_next_due_moment_counts_a_lease_running_out(engine):
    """A process that died holding a row leaves it claimed ("sending"): the sender must look again when the lease
    ends, not only at the next retry (nothing else would wake it)."""
    from bot import outbox_claims
    from storage.models import OutboxMessage

    lease_end = T0 + dt.timedelta(seconds=25)
    with session_scope(engine) as s:
        s.add(OutboxMessage(created_at=T0, method="chat.postMessage", payload={"channel": "C0SAFETY", "text": "x"},
                            ordering_key="report:1", next_attempt_at=T0, status="sending", attempts=1,
                            lease_until=lease_end))
        s.add(OutboxMessage(created_at=T0, method="chat.postMessage", payload={"channel": "C0SAFETY", "text": "y"},
                            ordering_key="report:2", next_attempt_at=T0 + dt.timedelta(minutes=5), status="pending"))
    assert outbox_claims.next_due(engine) == lease_end


def test_rows_written_in_bulk_past_sqlalchemy_wake_the_workers_too(engine):
    """A transaction's many buffered rows go by COPY or the driver's executemany (storage/bulk.py), past the
    events that note writes: they are noted all the same, so a worker (or, by NOTIFY, another process) is woken."""
    from storage import bulk, db

    woken = threading.Event()
    handle = wakeup.subscribe(engine, ["timer"], woken.set)
    try:
        assert wakeup.ready(engine)  # PostgreSQL: once listening, it wakes everyone (something may have been missed)
        woken.clear()
        with session_scope(engine) as s:
            for i in range(bulk.COPY_FROM + 5):
                db.buffer_insert(s, Timer.__table__, dict(
                    subject_type="report", subject_id=i + 1, purpose="acknowledge", step=0, cycle=1, due_at=T0,
                    fire_at=T0, status="pending", late=False))
        assert woken.is_set()  # at the commit, in this thread (not the -wal file's look half a second later)
        with session_scope(engine) as s:
            assert s.execute(select(func.count()).select_from(Timer)).scalar() == bulk.COPY_FROM + 5
    finally:
        wakeup.unsubscribe(engine, handle)
