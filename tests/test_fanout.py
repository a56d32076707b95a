"""Fan-out (issue 26): a shift's pre-shift self-checks are issued in batches (one read of the keys issued before,
one flush, one read of languages, the message rendered once per language); each DM still carries its own task."""

from __future__ import annotations

import json

from sqlalchemy import event, select

from bot.checks import shifts, tasks
from bot.clock import FrozenClock
from bot.context import Context
from storage.db import session_scope
from storage.models import CheckTask, OutboxMessage
from tests.conftest import ORG_YAML, org_from
from tests.slackschema import assert_valid_message


def _org(n: int):
    members = ", ".join(f"UF{i:04d}" for i in range(n))
    return org_from(base=ORG_YAML + f"  - {{name: Floor, supervisors: [U0SUPA], members: [{members}], "
                    "shifts: [{name: Day, start: '08:00', end: '16:00', days: every_day}]}\n"
                    "user_locales: {UF0001: en}\n")


def test_a_shift_s_self_checks_are_issued_in_batches_each_dm_with_its_own_task(engine, utc):
    org = _org(60)
    now = utc(2026, 12, 4, 23, 40)
    ctx = Context(org=org, engine=engine, clock=FrozenClock(now))
    job = next(name for name, j in shifts.jobs(org).items()
               if j.kind == "pre_shift" and j.phase == "issue" and j.team == "Floor")
    statements = []
    listener = lambda *a: statements.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        with session_scope(engine) as s:
            shifts.run(ctx, s, job, now)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    assert len(statements) < 2 * 60  # was 4 or more per person (a key read, an insert, a language read, a hook)
    with session_scope(engine) as s:
        issued = {t.owners[0]: t.id for t in s.execute(select(CheckTask)).scalars()}
        rows = s.execute(select(OutboxMessage).where(OutboxMessage.ordering_key.like("task:%"))).scalars().all()
    assert len(issued) == len(rows) == 60
    for row in rows:
        owner = row.payload["channel"]
        values = [e.get("value") for b in row.payload["blocks"] for e in b.get("elements") or [] if "value" in e]
        assert values and set(values) == {str(issued[owner])}, values  # its own task, on every button
        assert row.message_key == f"task:{issued[owner]}:{owner}"
        assert tasks.PLACEHOLDER not in json.dumps(row.payload)
        assert ("Day" in json.dumps(row.payload)) and (row.payload["text"].isascii() == (owner == "UF0001"))
    assert_valid_message(rows[0].payload)
    with session_scope(engine) as s:  # a second run (a restart, another process) issues nothing
        shifts.run(ctx, s, job, now)
    with session_scope(engine) as s:
        assert len(s.execute(select(CheckTask)).scalars().all()) == 60
