"""The Sweeper's batch as sets (issue 26): the claim reads rows, not ORM objects; the marks go back in one statement;
the batch's buffered rows go in by COPY (PostgreSQL) or the driver's executemany (SQLite); escalation texts are
rendered by `bot.shaped`. Each keeps what the row-by-row code promised: a bad row is set aside alone, late rows are
marked late, two sweepers never fire a row twice, rows written in bulk read back exactly as the INSERT wrote them,
and every text is the one `i18n.t` renders."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time

import pytest
import yaml
from sqlalchemy import select, text

from bot import compose, i18n, registry
from bot.clock import FrozenClock
from bot.context import Context
from bot.outbox import enqueue
from bot.registry import Kind, Registry, TimerHandler
from bot.shaped import shaped
from bot.subjects import about
from bot.sweeper import LATE_AFTER, Sweeper
from storage import bulk
from storage.db import buffer_insert, session_scope
from storage.models import AuditEvent, OutboxMessage, Timer
from tests.conftest import org_from

T0 = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.timezone.utc)
BAD = 13  # the subject whose timer raises half way through its fire function
MANY = 150  # a batch whose buffered rows pass storage.bulk.COPY_FROM (PostgreSQL then writes them by COPY)


class Note:
    def __init__(self, id_: int):
        self.id = id_


def _fire(ctx, s, note, timer, now):
    buffer_insert(s, AuditEvent.__table__, dict(at=now, actor="system", action="batch_fired", before=None, after=None,
                                                note=f"{timer.step} {timer.late}", **about("batch", note.id)))
    enqueue(s, now, "chat.postMessage", {"channel": "C0LEAD", "text": f"note {note.id}"}, ordering_key=f"n{note.id}")
    if note.id == BAD:
        raise RuntimeError("a bad row")
    if timer.purpose == "stale":
        return False


BATCH = Kind(name="batch", timers=(TimerHandler("batch", lambda s, ids: {i: Note(i) for i in ids if i != 404}, _fire),))


def test_a_bad_row_in_a_set_based_batch_is_set_aside_alone(engine, monkeypatch):
    monkeypatch.setattr(registry, "_installed", Registry(compose.KINDS + (BATCH,)))
    clock = FrozenClock(T0)
    ctx = Context(org=org_from(), engine=engine, clock=clock)
    with session_scope(engine) as s:
        for i in range(1, MANY + 1):
            late = i % 10 == 0
            at = T0 - (LATE_AFTER * 2 if late else dt.timedelta(seconds=1))
            s.add(Timer(subject_type="batch", subject_id=i, purpose="stale" if i == 7 else "remind", step=0, cycle=1,
                        due_at=at, fire_at=at, status="pending"))
        s.add(Timer(subject_type="batch", subject_id=404, purpose="remind", step=0, cycle=1, due_at=T0, fire_at=T0,
                    status="pending"))
    assert Sweeper(ctx, batch=500).run_once() == MANY - 2
    with session_scope(engine) as s:
        timers = {t.subject_id: t for t in s.execute(select(Timer)).scalars()}
        audit = s.execute(select(AuditEvent.subject_id, AuditEvent.note)
                          .where(AuditEvent.action == "batch_fired").order_by(AuditEvent.id)).all()
        sent = s.execute(select(OutboxMessage.payload).order_by(OutboxMessage.id)).scalars().all()
    assert {i: t.status for i, t in timers.items() if t.status != "fired"} == {
        BAD: "error", 7: "cancelled", 404: "cancelled"}
    assert all(t.fired_at == T0 for t in timers.values())
    assert {i for i, t in timers.items() if t.late} == {i for i in range(10, MANY + 1, 10)}
    # The bad row's own rows are gone; every other row's are there, in the claim's order (earliest first; the
    # stale one's too: its fire function ran).
    kept = sorted((i for i in range(1, MANY + 1) if i != BAD), key=lambda i: (i % 10 != 0, i))
    assert audit == [(i, f"0 {i % 10 == 0}") for i in kept]
    assert sent == [{"channel": "C0LEAD", "text": f"note {i}"} for i in kept]
    assert Sweeper(ctx, batch=500).run_once() == 0  # nothing left pending: each row was marked once


def test_rows_written_in_bulk_read_back_as_the_insert_wrote_them(engine, monkeypatch):
    rows = [dict(at=T0 + dt.timedelta(seconds=i), actor=f"U{i}", action="copied", subject_type="report", subject_id=i,
                 before=None if i % 2 else {"level": i, "note": "旧的 \"引号\" \\ \t"},
                 after={"people": ["U1", "U2"], "text": "隐患 *HZ-1* <!channel> & 😀", "late": bool(i % 3)},
                 note="" if i % 5 else "说明\n第二行") for i in range(bulk.COPY_FROM + 20)]

    def write(copy_from: int) -> list:
        monkeypatch.setattr(bulk, "COPY_FROM", copy_from)
        with session_scope(engine) as s:
            s.execute(text("DELETE FROM audit_event WHERE action = 'copied'"))
            for row in rows:
                buffer_insert(s, AuditEvent.__table__, row)
        as_text = "CAST({} AS text)" if engine.dialect.name == "postgresql" else "{}"
        with engine.connect() as conn:
            return conn.execute(text(
                f"SELECT at, actor, action, subject_type, subject_id, {as_text.format('before')}, "
                f"{as_text.format('after')}, note FROM audit_event WHERE action = 'copied' ORDER BY id")).all()

    by_insert = write(10 ** 9)
    by_copy = write(1)
    assert len(by_copy) == len(rows) and by_copy == by_insert


def test_shaped_renders_every_catalog_entry_as_t_does():
    values = ["", None, 0, 7, True, False, "x*y_z", "中文*粗*体", "<!channel>", "a & b > c", i18n.Mrkdwn("<@U1>"),
              "_x_", "（*a*）", 12.5, "\n_补_", "*HZ-2026-00001*"]
    rnd = random.Random(26)
    counted = compared = 0
    for locale in i18n.LOCALES:
        for key in i18n.catalog(locale):
            render = shaped(locale, key)
            if render.names is None:
                continue
            counted += 1
            for _ in range(12):
                given = {name: rnd.choice(values) for name in render.names}
                try:
                    expected = i18n.t(locale, key, **given)
                except Exception:  # noqa: BLE001 - a value this entry cannot take (a filter on a number, …)
                    continue
                got = render(**given)
                assert (got, type(got)) == (expected, type(expected)), (locale, key, given)
                compared += 1
    assert counted > 1000 and compared > 10000  # the catalogs' entries are nearly all plain outputs and ifs


def test_shaped_falls_back_to_t_for_a_missing_value():
    with pytest.raises(Exception, match="number"):  # as t's StrictUndefined says it
        shaped("en", "escalation.dm")(icon="", level="", location="", what="", due="", late_by="", late=False,
                                           link="")


def test_the_catalogs_read_the_same_by_libyaml_and_by_pyyaml(monkeypatch):
    fast = {locale: dict(i18n.catalog(locale)) for locale in i18n.LOCALES}
    monkeypatch.setattr(i18n, "_LOADER", yaml.SafeLoader)
    i18n.catalog.cache_clear()
    try:
        assert {locale: i18n.catalog(locale) for locale in i18n.LOCALES} == fast
    finally:
        i18n.catalog.cache_clear()


def _slow_fire(ctx, s, note, timer, now):
    time.sleep(0.001)  # long enough for the other sweeper to claim meanwhile
    buffer_insert(s, AuditEvent.__table__, dict(at=now, actor="system", action="batch_fired", before=None, after=None,
                                                note="", **about("batch", note.id)))


def test_two_sweepers_at_once_fire_each_row_once(engine, monkeypatch):
    slow = Kind(name="batch", timers=(TimerHandler("batch", lambda s, ids: {i: Note(i) for i in ids}, _slow_fire),))
    monkeypatch.setattr(registry, "_installed", Registry(compose.KINDS + (slow,)))
    ctx = Context(org=org_from(), engine=engine, clock=FrozenClock(T0))
    with session_scope(engine) as s:
        for i in range(1, 301):
            s.add(Timer(subject_type="batch", subject_id=i, purpose="remind", step=0, cycle=1, due_at=T0, fire_at=T0,
                        status="pending"))
    counts: list[int] = []

    def sweep() -> None:
        sweeper, n = Sweeper(ctx, batch=40), 0
        while done := sweeper.run_once():
            n += done
        counts.append(n)

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    with session_scope(engine) as s:
        fired = s.execute(select(AuditEvent.subject_id).where(AuditEvent.action == "batch_fired")).scalars().all()
        states = s.execute(select(Timer.status).where(Timer.subject_type == "batch")).scalars().all()
    assert sum(counts) == 300 and sorted(fired) == list(range(1, 301)) and set(states) == {"fired"}, counts


def test_a_bulk_write_that_fails_raises_as_sqlalchemy_would_and_quotes_no_row(engine):
    """COPY and the driver's executemany run past SQLAlchemy (storage/bulk.py): their errors are still raised as its
    exceptions (callers catch IntegrityError, STORAGE_ERRORS), without the failing row (what people typed)."""
    from sqlalchemy.exc import IntegrityError

    rows = [dict(at=T0, actor="U1", action="copied", subject_type="report", subject_id=i, before=None,
                 after={"text": "秘密文本"}, note="秘密文本") for i in range(bulk.COPY_FROM + 5)]
    rows[7]["actor"] = None  # NOT NULL
    with pytest.raises(IntegrityError) as caught:
        with session_scope(engine) as s:
            for row in rows:
                buffer_insert(s, AuditEvent.__table__, row)
    assert "秘密文本" not in str(caught.value) and "秘密文本" not in str(caught.value.orig)
    with session_scope(engine) as s:
        assert s.execute(text("SELECT count(*) FROM audit_event WHERE action = 'copied'")).scalar() == 0


@pytest.mark.parametrize("where", ["at the commit", "in a statement"])
def test_a_row_the_database_refuses_is_set_aside_and_the_rest_fire(engine, monkeypatch, where):
    """A value the database refuses (here a missing actor) loses the whole transaction, at its commit or, on
    PostgreSQL, at the statement: the batch is fired again one row at a time and only that row is set aside; before,
    the same batch failed every round and no escalation went out."""
    from sqlalchemy import insert

    def fire(ctx, s, note, timer, now):
        row = dict(at=now, actor=None if note.id == BAD else "system", action="refused_fired", before=None,
                   after=None, note="", **about("batch", note.id))
        if where == "at the commit":
            buffer_insert(s, AuditEvent.__table__, row)
        else:
            s.execute(insert(AuditEvent.__table__).values(**row))

    kind = Kind(name="batch", timers=(TimerHandler("batch", lambda s, ids: {i: Note(i) for i in ids}, fire),))
    monkeypatch.setattr(registry, "_installed", Registry(compose.KINDS + (kind,)))
    ctx = Context(org=org_from(), engine=engine, clock=FrozenClock(T0))
    with session_scope(engine) as s:
        for i in range(1, MANY + 1):
            s.add(Timer(subject_type="batch", subject_id=i, purpose="remind", step=0, cycle=1, due_at=T0, fire_at=T0,
                        status="pending"))
    assert Sweeper(ctx, batch=500).run_once() == MANY - 1
    with session_scope(engine) as s:
        status = dict(s.execute(select(Timer.subject_id, Timer.status)).all())
        written = s.execute(select(AuditEvent.subject_id).where(AuditEvent.action == "refused_fired")).scalars().all()
    assert {i: st for i, st in status.items() if st != "fired"} == {BAD: "error"}
    assert sorted(written) == [i for i in range(1, MANY + 1) if i != BAD]
