"""Pacing of the outbox sender: Slack allows about one post per second per channel (short bursts), and
edits share one workspace-wide bucket (Tier 3). `bot.outbox` re-exports what is here."""

from __future__ import annotations

from dataclasses import dataclass, field

POSTS = {"chat.postMessage"}
URGENT, ROUTINE, BULK = 0, 1, 2  # priorities: the sender takes due rows in this order


def _pace_bucket(method: str, channel: str) -> str | None:
    """Posts are limited per channel (~1/s); edits per workspace (Tier 3, ~50/min): one bucket each."""
    if method in POSTS:
        return channel
    if method == "chat.update":
        return "chat.update"  # while an edit waits here, a newer edit of the same message supersedes it
    return None


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class ChannelPacer:
    """Token bucket per channel: `burst` posts at once, then one per `interval` seconds.

    A row that has to wait reserves the channel's next token for its priority: until it has been
    sent (or the reservation lapses, e.g. another process sent it), less urgent rows of that channel
    wait behind it, so a level-1 card never queues behind a flood of routine ones.
    """

    interval: float = 1.0
    burst: int = 4
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _reserved: dict[str, tuple[int, float]] = field(default_factory=dict)  # channel -> (priority, until)

    def wait_for(self, channel: str, now: float, priority: int = ROUTINE) -> float:
        """Seconds until a post of `priority` to `channel` may go (0 means now)."""
        if self.interval <= 0:
            return 0.0
        b = self._buckets.get(channel)
        wait = 0.0
        if b is not None:
            tokens = min(self.burst, b.tokens + (now - b.updated) / self.interval)
            wait = 0.0 if tokens >= 1 else (1 - tokens) * self.interval
        held = self._reserved.get(channel)
        if held is not None:
            held_priority, until = held
            if until <= now:
                del self._reserved[channel]
                held = None
            elif held_priority < priority:  # a more urgent row is waiting for this channel: it goes first
                return max(wait, until - now, 0.05)
        if wait > 0 and (held is None or priority <= held[0]):
            self._reserved[channel] = (priority, now + wait + 2 * self.interval)
        return wait

    def take(self, channel: str, now: float, priority: int = ROUTINE) -> None:
        if self.interval <= 0:
            return
        held = self._reserved.get(channel)
        if held is not None and held[0] >= priority:
            del self._reserved[channel]
        b = self._buckets.get(channel)
        if b is None:
            b = self._buckets[channel] = _Bucket(tokens=self.burst, updated=now)
        b.tokens = min(self.burst, b.tokens + (now - b.updated) / self.interval) - 1
        b.updated = now
