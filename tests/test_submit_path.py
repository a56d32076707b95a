"""A report's submission, made cheaper (issue 26), still does what it did.

- A new report's card is built without reading its group (nothing can have joined a report in the transaction that
  stores it); a report joining a lead still updates the lead's card with its members (tests/test_grouping.py).
- The number is taken in one statement (an upsert returning the value: no read before the write).
- Once `serve`'s WSGI application is built, the young generation is collected less often than CPython's default.
"""

from __future__ import annotations

import gc

from sqlalchemy import event, select

from storage.db import read_scope
from storage.models import Report


def _statements(engine, work) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def test_a_new_reports_card_reads_no_group_and_its_number_is_one_statement(bot):
    def two_reports():
        bot.report("U0AGENT1", location="desk 1")
        bot.report("U0AGENT3", location="desk 2")

    seen = _statements(bot.ctx.engine, two_reports)
    group_reads = [s for s in seen if s.startswith("SELECT") and "WHERE report.group_id = " in s]
    assert group_reads == []
    numbering = [s for s in seen if " sequence" in s.split(" VALUES")[0] or "FROM sequence" in s]
    assert len(numbering) == 2 and all(s.startswith("INSERT INTO sequence") for s in numbering), numbering
    bot.drain()
    with read_scope(bot.ctx.engine) as s:
        numbers = s.execute(select(Report.number).order_by(Report.id)).scalars().all()
    assert [n[-5:] for n in numbers] == ["00001", "00002"]
    cards = [c for c in bot.fake.of("chat.postMessage") if c.params.get("channel") == "C0SAFETY"
             and c.params.get("blocks") and not c.params.get("thread_ts")]
    assert len(cards) == 2


def test_serve_collects_the_young_generation_less_often(bot):
    assert gc.get_threshold()[0] >= 2000


def test_serve_hands_the_gil_over_sooner_than_pythons_default(bot):
    """A request waiting for the GIL behind the sender's Python waits at most this long (bot/app.py)."""
    import sys

    assert sys.getswitchinterval() <= 0.001
