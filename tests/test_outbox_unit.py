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
