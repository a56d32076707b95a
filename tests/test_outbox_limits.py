"""Slack's real limits (issue 26), on an injected clock with a stand-in client (no sleeping):

- a 429 blocks its whole channel until Retry-After: no other head for that channel is sent meanwhile;
- the urgent row waiting for a channel goes first when it frees, even if routine rows were due earlier;
- Slack away: nothing but one probe at a time, at most a second apart; the first answer releases the rest;
- a row Slack refuses by itself (a 500 for its content) does not hold the queue;
- a report's DMs (the people paged) are not queued behind its card on a blocked channel (end to end).
"""

from __future__ import annotations

import datetime as dt
import json

from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.clock import FrozenClock
from bot.outbox import BULK, ROUTINE, URGENT, Sender, enqueue
from bot.outbox_pacing import PROBE_EVERY_AT_MOST, ChannelPacer
from storage.db import read_scope, session_scope
from storage.models import OutboxMessage


class _Answer(dict):
    def __init__(self, status: int, body: dict, headers: dict | None = None):
        super().__init__(body)
        self.status_code, self.headers = status, headers or {}


class Client:
    """Answers `api_call` like slack-sdk: a dict, or SlackApiError with a response. `answer(method, payload)`
    returns None (ok) or an _Answer to refuse with; `away` raises a connection error instead."""

    timeout = 1

    def __init__(self, clock):
        self.clock, self.calls, self.away, self.refuse = clock, [], False, lambda payload: None

    def api_call(self, method, json=None):
        self.calls.append((self.clock.now(), method, json.get("channel"), json.get("text")))
        if self.away:
            self.calls[-1] += ("away",)
            raise ConnectionRefusedError("slack is away")
        refused = self.refuse(json)
        if refused is not None:
            self.calls[-1] += (refused.status_code,)
            raise SlackApiError("refused", refused)
        return {"ok": True, "channel": json.get("channel"), "ts": f"{len(self.calls)}.000100"}

    def sent(self):
        return [c for c in self.calls if len(c) == 4]


def _queue(engine, now, *rows):
    """rows: (channel, text, priority); each its own ordering key, like the cards of different reports."""
    with session_scope(engine) as s:
        for channel, text, priority in rows:
            enqueue(s, now, "chat.postMessage", {"channel": channel, "text": text}, ordering_key=f"k:{text}",
                    priority=priority)


def _rows(engine):
    with read_scope(engine) as s:
        return {r.payload["text"]: r for r in s.execute(select(OutboxMessage)).scalars()}


def _run_until(sender, clock, until: dt.datetime, step: float = 0.05):
    while clock.now() < until:
        while sender.run_once():
            pass
        clock.advance(seconds=step)


def test_a_429_blocks_the_whole_channel_until_retry_after(engine, utc):
    t0 = utc(2026, 12, 4, 9, 0)
    clock = FrozenClock(t0)
    client = Client(clock)
    _queue(engine, t0, ("C1", "r1", ROUTINE), ("C1", "r2", ROUTINE), ("C1", "r3", ROUTINE), ("C2", "other", ROUTINE))
    client.refuse = lambda p: _Answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "5"}) \
        if p["text"] == "r1" and len(client.calls) == 1 else None
    sender = Sender(engine, client, clock, channel_interval=1.0)
    sender.run_once()
    # r1 was refused; r2 and r3 were not tried (the channel is blocked), the other channel went on
    assert [(c[2], c[3]) for c in client.calls] == [("C1", "r1"), ("C2", "other")]
    rows = _rows(engine)
    assert all(rows[t].next_attempt_at >= t0 + dt.timedelta(seconds=5) for t in ("r1", "r2", "r3"))
    assert rows["r2"].attempts == rows["r3"].attempts == 0  # not tried: not counted
    _run_until(sender, clock, t0 + dt.timedelta(seconds=4.95))
    assert len(client.calls) == 2  # nothing to C1 before Retry-After
    _run_until(sender, clock, t0 + dt.timedelta(seconds=8.1))
    c1 = [c for c in client.calls[2:] if c[2] == "C1"]
    assert [c[3] for c in c1] == ["r1", "r2", "r3"]  # then one at a time, at the channel's pace
    gaps = [(b[0] - a[0]).total_seconds() for a, b in zip(c1, c1[1:])]
    assert (c1[0][0] - t0).total_seconds() >= 5 and all(g >= 1.0 for g in gaps), gaps


def test_the_channel_s_next_slot_goes_to_the_waiting_urgent_row(engine, utc):
    t0 = utc(2026, 12, 4, 9, 0)
    clock = FrozenClock(t0)
    client = Client(clock)
    _queue(engine, t0, ("C1", "fire", URGENT))
    client.refuse = lambda p: _Answer(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "1"}) \
        if len(client.calls) == 1 else None
    sender = Sender(engine, client, clock, channel_interval=1.0)
    sender.run_once()  # the urgent card got the 429
    clock.advance(seconds=0.5)  # routine reports arrive meanwhile, due before the urgent row's retry
    _queue(engine, clock.now(), *[("C1", f"routine {i}", ROUTINE) for i in range(5)], ("C1", "digest", BULK))
    _run_until(sender, clock, t0 + dt.timedelta(seconds=3.1))
    after = [c[3] for c in client.calls[1:]]
    assert after[0] == "fire", after  # the freed channel's first slot: the urgent row, not a routine one
    assert [c[3] for c in client.calls[:1]] == ["fire"] and after[1:] == ["routine 0", "routine 1"]


def test_slack_away_is_probed_once_at_a_time_and_the_queue_goes_when_it_answers(engine, utc):
    t0 = utc(2026, 12, 4, 9, 0)
    clock = FrozenClock(t0)
    client = Client(clock)
    client.away = True
    _queue(engine, t0, ("C1", "card", URGENT), ("U1", "dm 1", URGENT), ("U2", "dm 2", ROUTINE), ("C2", "x", ROUTINE))
    sender = Sender(engine, client, clock, channel_interval=1.0)
    _run_until(sender, clock, t0 + dt.timedelta(seconds=30))  # 30 s of outage; new rows keep coming
    _queue(engine, clock.now(), ("C3", "late", ROUTINE))
    calls = [c[0] for c in client.calls]
    gaps = [(b - a).total_seconds() for a, b in zip(calls, calls[1:])]
    assert max(gaps) <= PROBE_EVERY_AT_MOST * 1.1 + 0.05, gaps  # the back-off is capped
    assert len(calls) <= 40  # one call per probe, not one per row
    assert len(calls) >= 25
    assert all(r.attempts < 15 for r in _rows(engine).values())  # early probes are not the rows' attempts
    client.away = False  # Slack is back
    back = clock.now()
    _run_until(sender, clock, back + dt.timedelta(seconds=2))
    sent = client.sent()
    assert sorted(c[3] for c in sent) == ["card", "dm 1", "dm 2", "late", "x"]
    assert max((c[0] - back).total_seconds() for c in sent) <= PROBE_EVERY_AT_MOST * 1.1 + 0.1
    assert {c[3] for c in sent[:2]} == {"card", "dm 1"}  # the urgent rows first (the probe one of them)
    assert all(r.status == "sent" for r in _rows(engine).values())


def test_a_row_slack_refuses_by_itself_does_not_hold_the_queue(engine, utc):
    t0 = utc(2026, 12, 4, 9, 0)
    clock = FrozenClock(t0)
    client = Client(clock)
    client.refuse = lambda p: _Answer(500, {"ok": False, "error": "internal_error"}) if p["text"] == "poison" else None
    _queue(engine, t0, ("C1", "poison", URGENT), *[(f"U{i}", f"dm {i}", ROUTINE) for i in range(5)])
    sender = Sender(engine, client, clock, channel_interval=1.0)
    _run_until(sender, clock, t0 + dt.timedelta(seconds=3))
    assert sorted(c[3] for c in client.sent()) == [f"dm {i}" for i in range(5)]
    poison = [c[0] for c in client.calls if c[3] == "poison"]
    assert len(poison) <= 8, poison  # its own back-off (0.5 s, 1 s, 2 s) and one probe each time, not every probe


def test_a_429_on_a_call_that_is_not_paced_blocks_that_method():
    p = ChannelPacer(interval=0)
    p.block("method:views.publish", 105.0)
    assert p.wait_for("method:views.publish", 100.0) == 5.0
    assert p.wait_for("C1", 100.0) == 0
    assert p.wait_for("method:views.publish", 105.0) == 0


def test_a_level_1_report_s_pages_do_not_wait_for_its_card(bot):
    from tests.fakeslack import Scripted

    fake = bot.fake
    # the safety channel refuses the card for a long while (Retry-After 30 s)
    fake.script("chat.postMessage", Scripted(status=429, body={"ok": False, "error": "ratelimited"},
                                             headers={"Retry-After": "30"}))
    bot.report("U0AGENT1", level=1, category="fire", description="smoke from the UPS", location="server room")
    card = [c for c in fake.calls if c.params.get("channel") == "C0SAFETY"]
    assert not card or card[0].status == 429
    for who in ("U0AGENT1", "U0SEC"):
        fake.wait_for(lambda c: c.params.get("channel") == who and c.status == 200, timeout=10)
    dms = {c.params["channel"] for c in fake.of("chat.postMessage") if c.params["channel"].startswith("U")}
    cards = [c for c in fake.of("chat.postMessage") if c.params.get("channel") == "C0SAFETY"]
    assert cards == [] and {"U0AGENT1", "U0SEC"} <= dms, (dms, json.dumps([c.params for c in cards])[:200])


def test_a_waiting_urgent_row_keeps_the_channel_s_next_slot():
    p = ChannelPacer(interval=1.0)
    p.take("C1", 100.0, ROUTINE)
    assert abs(p.wait_for("C1", 100.2, URGENT) - 0.8) < 1e-9  # it waits, and holds the next slot
    assert p.wait_for("C1", 101.0, ROUTINE) >= 1.0  # a routine row due at that moment takes the slot after
    assert p.wait_for("C1", 101.0, URGENT) == 0
    p.take("C1", 101.0, URGENT)
    assert abs(p.wait_for("C1", 101.0, ROUTINE) - 1.0) < 1e-9  # then the pace, nothing held any more
    p.block("C1", 110.0)  # a 429: the urgent row that got it reserves the slot at the end of Retry-After
    assert p.wait_for("C1", 102.0, URGENT) == 8.0
    assert p.wait_for("C1", 110.0, ROUTINE) >= 1.0 and p.wait_for("C1", 110.0, URGENT) == 0


def test_an_edit_that_may_only_replace_its_message_is_dropped_when_that_message_was_never_posted(engine, utc):
    """`@SafeShift status` posts its answer without mentions, then edits them in (bot/hazards/thread.py): if the quiet
    post failed for good, the edit must not become a post of its own (it would page everyone it names); a card's
    update without REPLACE_ONLY still becomes the card's first post."""
    from bot.outbox import REPLACE_ONLY

    t0 = utc(2026, 12, 4, 9, 0)
    clock = FrozenClock(t0)
    client = Client(clock)
    with session_scope(engine) as s:
        enqueue(s, t0, "chat.update", {"channel": "C1", "text": "named", REPLACE_ONLY: True},
                target_key="answer:never-posted", ordering_key="k:a", priority=ROUTINE)
        enqueue(s, t0, "chat.update", {"channel": "C1", "text": "card"}, target_key="card:never-posted",
                ordering_key="k:b", priority=ROUTINE)
    _run_until(Sender(engine, client, clock, channel_interval=1.0), clock, t0 + dt.timedelta(seconds=3))
    assert [(c[1], c[3]) for c in client.sent()] == [("chat.postMessage", "card")]
    rows = _rows(engine)
    assert rows["named"].status == "failed" and rows["card"].status == "sent"
