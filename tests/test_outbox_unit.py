from bot.outbox import ChannelPacer, _pace_bucket


def test_pacer_allows_a_burst_then_one_per_interval():
    p = ChannelPacer(interval=1.0, burst=4)
    t = 1000.0
    for _ in range(4):
        assert p.wait_for("C1", t) == 0
        p.take("C1", t)
    assert 0.99 < p.wait_for("C1", t) <= 1.0
    assert p.wait_for("C2", t) == 0  # other channels are not held up
    assert p.wait_for("C1", t + 1.0) == 0


def test_buckets_posts_per_channel_and_edits_per_workspace():
    assert _pace_bucket("chat.postMessage", "C1") == "C1"
    assert _pace_bucket("chat.update", "C1") == _pace_bucket("chat.update", "C2") == "chat.update"
    assert _pace_bucket("chat.postEphemeral", "C1") is None
    assert ChannelPacer(interval=0).wait_for("C1", 0) == 0


def _rows(engine, now, *specs):
    """Insert outbox rows: (ordering_key, status, next_attempt offset s, lease offset s or None, priority)."""
    import datetime as dt

    from storage.db import session_scope
    from storage.models import OutboxMessage

    ids = []
    with session_scope(engine) as s:
        for key, status, due_in, lease_in, priority in specs:
            row = OutboxMessage(created_at=now, method="chat.postMessage", payload={"channel": "C1", "text": key},
                                ordering_key=key, status=status, priority=priority,
                                next_attempt_at=now + dt.timedelta(seconds=due_in),
                                lease_until=None if lease_in is None else now + dt.timedelta(seconds=lease_in))
            s.add(row)
            s.flush()
            ids.append(row.id)
    return ids


def test_a_claim_takes_a_reports_rows_together_in_order_and_never_past_a_row_not_yet_due(engine, utc):
    from bot.clock import FrozenClock
    from bot.outbox import BULK, ROUTINE, URGENT, Sender

    now = utc(2026, 11, 29, 4, 0)
    a1, a2, a3, b1, _b2, _b3, _c1, d1 = _rows(
        engine, now,
        ("A", "sending", -60, -1, ROUTINE), ("A", "sending", -60, -1, ROUTINE),  # a dead sender's claim, lapsed
        ("A", "pending", 0, None, ROUTINE),
        ("B", "pending", 0, None, BULK), ("B", "pending", 30, None, BULK),  # B2 waits for a retry
        ("B", "pending", 0, None, BULK),
        ("C", "sending", -60, 30, ROUTINE),  # a live claim: nothing of C is taken
        ("D", "pending", 0, None, URGENT))
    sender = Sender(engine, client=None, clock=FrozenClock(now))
    groups = sender._claim()
    assert [[r.id for r in g] for g in groups] == [[d1], [a1, a2, a3], [b1]]
    assert [r.uncertain for r in groups[1]] == [True, True, False]  # they may have reached Slack
    assert all(r.status == "sending" for g in groups for r in g)
    assert sender._claim() == []  # everything due is held now
