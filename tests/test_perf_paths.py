"""What the request path and the sender were made faster with, and what they still guarantee.

- The sender writes what a report's group settled in one transaction; the group's later rows still find
  the message posted earlier in it (its place is known in process at once).
- The replay guard is one statement (not durable on PostgreSQL): a replayed submission is still refused and
  stores nothing twice.
- Pooled PostgreSQL connections are pinged only after being idle: a connection that died meanwhile is replaced.
- Read-only work on PostgreSQL runs without a transaction of its own (no BEGIN/ROLLBACK round trips).
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.parse

import pytest
from slack_sdk import WebClient
from sqlalchemy import event, func, select, text

from bot.clock import FrozenClock
from bot.outbox import ROUTINE, Sender, enqueue
from storage.db import insert_once, is_postgres, read_scope, session_scope
from storage.models import OutboxMessage, Report, SeenRequest, SlackMessage
from tests.conftest import sign


def _queue_a_report(engine, now):
    """A card, a thread line under it and a DM: one report's rows (one ordering_key)."""
    with session_scope(engine) as s:
        enqueue(s, now, "chat.postMessage", {"channel": "C0SAFETY", "text": "card"}, ordering_key="report:1",
                message_key="card:1", priority=ROUTINE)
        enqueue(s, now, "chat.postMessage", {"text": "thread line"}, ordering_key="report:1", target_key="card:1")
        enqueue(s, now, "chat.postMessage", {"channel": "U0AGENT1", "text": "your number"}, ordering_key="report:1")


def test_a_delivered_group_is_marked_sent_in_one_transaction(engine, fake_slack, utc):
    now = utc(2026, 11, 29, 4, 0)
    _queue_a_report(engine, now)
    client = WebClient(token="xoxb-test", base_url=fake_slack.url, retry_handlers=[])
    sender = Sender(engine, client, FrozenClock(now), channel_interval=0)
    commits = []

    def committed(_conn):
        commits.append(1)

    event.listen(engine, "commit", committed)
    try:
        assert sender.run_once() == 3
    finally:
        event.remove(engine, "commit", committed)
    assert len(commits) == 2  # the claim, then everything the group settled (was 1 + one per row)
    with read_scope(engine) as s:
        assert s.execute(select(OutboxMessage.status).order_by(OutboxMessage.id)).scalars().all() == ["sent"] * 3
        card = s.get(SlackMessage, "card:1")
    posts = fake_slack.of("chat.postMessage")
    assert [p.params.get("text") for p in posts] == ["card", "thread line", "your number"]
    posted = [m for m in fake_slack.messages["C0SAFETY"] if not m.get("thread_ts")]
    assert card is not None and card.channel == "C0SAFETY" and [card.ts] == [m["ts"] for m in posted]
    assert posts[1].params["thread_ts"] == card.ts and posts[1].params["channel"] == "C0SAFETY"


def test_a_group_cut_short_writes_what_it_settled_and_gives_the_rest_back(engine, fake_slack, utc):
    from tests.fakeslack import Scripted

    now = utc(2026, 11, 29, 4, 0)
    _queue_a_report(engine, now)
    fake_slack.script("chat.postMessage", Scripted(), Scripted(status=503))  # the thread line fails
    client = WebClient(token="xoxb-test", base_url=fake_slack.url, retry_handlers=[])
    sender = Sender(engine, client, FrozenClock(now), channel_interval=0)
    sender.run_once()
    with read_scope(engine) as s:
        rows = s.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
        assert s.get(SlackMessage, "card:1") is not None
    assert [(r.status, r.attempts, r.lease_until) for r in rows] == [
        ("sent", 1, None), ("pending", 1, None), ("pending", 0, None)]  # the DM was given back untried
    assert rows[1].next_attempt_at > now and "503" in rows[1].last_error


def test_a_replayed_submission_is_refused_and_stores_nothing_twice(bot):
    payload = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": "U0AGENT1"}, "api_app_id": "A1",
               "view": {"id": "VREPLAY1", "type": "modal", "callback_id": "hazard_report", "private_metadata": "{}",
                        "state": {"values": {
                            "level": {"value": {"type": "radio_buttons", "selected_option": {"value": "2"}}},
                            "category": {"value": {"type": "static_select",
                                                   "selected_option": {"value": "electrical"}}},
                            "description": {"value": {"type": "plain_text_input", "value": "exposed cord"}},
                            "location": {"value": {"type": "plain_text_input", "value": "desk 4"}}}}}}
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    headers = sign(body)
    form = "application/x-www-form-urlencoded"
    status, answer = bot.post(body, form, signed=False, headers=headers)
    assert status == 200 and answer["response_action"] == "update"
    assert bot.post(body, form, signed=False, headers=headers)[0] == 401
    with read_scope(bot.ctx.engine) as s:
        assert s.execute(select(func.count()).select_from(Report)).scalar_one() == 1
        assert s.execute(select(func.count()).select_from(SeenRequest)).scalar_one() == 1


def test_insert_once_tells_a_first_insert_from_a_repeat(engine, utc):
    now = utc(2026, 11, 29, 4, 0)
    row = {"signature": "v0=" + "a" * 64, "at": now}
    assert insert_once(engine, SeenRequest.__table__, row, durable=False) is True
    assert insert_once(engine, SeenRequest.__table__, row, durable=False) is False
    assert insert_once(engine, SeenRequest.__table__, row) is False
    assert insert_once(engine, SeenRequest.__table__, dict(row, signature="v0=" + "b" * 64)) is True
    with read_scope(engine) as s:
        assert s.execute(select(SeenRequest.at).where(SeenRequest.signature == row["signature"])).scalar_one() == now


def _pg_only(engine):
    if not is_postgres(engine):
        pytest.skip("PostgreSQL only (SAFESHIFT_TEST_DATABASE_URL)")


def test_an_idle_pooled_connection_that_died_is_replaced(engine, monkeypatch):
    _pg_only(engine)
    import storage.db

    first, other = engine.connect(), engine.connect()  # two pooled connections
    pid = first.execute(text("SELECT pg_backend_pid()")).scalar_one()
    first.close()
    other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})  # the idle one dies
    other.commit()
    other.close()
    monkeypatch.setattr(storage.db, "PING_AFTER_IDLE", 0.0)  # both count as idle now
    with engine.connect() as a, engine.connect() as b:  # the dead one is found by the ping and replaced
        pids = {c.execute(text("SELECT pg_backend_pid()")).scalar_one() for c in (a, b)}
    assert pid not in pids and len(pids) == 2


def test_read_only_work_on_postgresql_sends_no_begin(engine):
    _pg_only(engine)
    with read_scope(engine) as s:
        s.execute(select(func.count()).select_from(Report)).scalar_one()
        assert s.connection().connection.dbapi_connection.info.transaction_status == 0  # IDLE: no transaction
    with session_scope(engine) as s:
        s.execute(select(func.count()).select_from(Report)).scalar_one()
        assert s.connection().connection.dbapi_connection.info.transaction_status == 2  # INTRANS


def test_a_persons_language_is_read_once_per_few_seconds_and_a_change_here_shows_at_once(engine):
    from sqlalchemy import event

    from bot import prefs
    from bot.clock import FrozenClock
    from bot.context import Context
    from tests.conftest import org_from

    ctx = Context(org=org_from(), engine=engine, clock=FrozenClock(dt.datetime(2026, 11, 30, tzinfo=dt.timezone.utc)))
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    assert prefs.user_locale(ctx, "U0AGENT1") == "zh-CN"
    read_once = len(statements)
    assert read_once >= 1
    assert prefs.user_locale(ctx, "U0AGENT1") == "zh-CN" and len(statements) == read_once  # remembered
    prefs.set_user_locale(ctx, "U0AGENT1", "en")
    assert prefs.user_locale(ctx, "U0AGENT1") == "en"  # the change made here: at once, without a read
    with session_scope(engine) as s:  # inside a transaction it is always read afresh
        assert prefs.user_locale(ctx, "U0AGENT1", s) == "en"
    ctx.cache["user_locale"]["U0AGENT1"] = (0.0, "zh-CN")  # remembered long ago: read again
    assert prefs.user_locale(ctx, "U0AGENT1") == "en"
