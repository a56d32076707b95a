"""Pacing of the outbox sender, and what it does while Slack is away. `bot.outbox` re-exports what is here.

- Slack allows about one post per second per channel and promises no burst: each channel is a token bucket
  (`burst` 1 by default) refilled every `interval` seconds; edits share one workspace-wide bucket (Tier 3).
- A 429 blocks its whole bucket (the channel, or the method for calls that are not paced) until its
  `Retry-After`: no other row of that channel is sent meanwhile (`ChannelPacer.block`).
- A row that has to wait reserves the channel's next slot for its priority, so an urgent card never queues
  behind routine ones, nor loses the slot after a Retry-After to a routine row that arrives a moment later.
- Slack down (5xx, timeouts, network errors: `Outage`): the sender stops claiming, probes with one row at most
  `PROBE_EVERY_AT_MOST` apart, and once a probe goes through releases the rest at each channel's pace.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

POSTS = {"chat.postMessage"}
URGENT, ROUTINE, BULK = 0, 1, 2  # priorities: the sender takes due rows in this order
# Not policy: how quickly a Slack that is back again is noticed (one call per probe, however long the outage).
PROBE_EVERY_AT_MOST = 1.0  # seconds
FIRST_PROBE_AFTER = 0.25  # seconds; doubled per failed probe up to PROBE_EVERY_AT_MOST


def _pace_bucket(method: str, channel: str) -> str | None:
    """Posts are limited per channel (~1/s); edits per workspace (Tier 3, ~50/min): one bucket each."""
    if method in POSTS:
        return channel
    if method == "chat.update":
        return "chat.update"  # while an edit waits here, a newer edit of the same message supersedes it
    return None


def block_key(method: str, channel: str) -> str:
    """What a 429 blocks: the paced bucket of the call, else the method (Slack limits the others per method)."""
    return _pace_bucket(method, channel) or f"method:{method}"


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class ChannelPacer:
    """Token bucket per channel: `burst` posts at once, then one per `interval` seconds; plus 429 blocks.

    A row that has to wait reserves the channel's next token for its priority: until it has been
    sent (or the reservation lapses, e.g. another process sent it), less urgent rows of that channel
    wait behind it, so a level-1 card never queues behind a flood of routine ones.
    """

    interval: float = 1.0
    burst: int = 1  # Slack: "1 message per second per channel"; a burst is allowed, never promised
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _reserved: dict[str, tuple[int, float]] = field(default_factory=dict)  # channel -> (priority, until)
    _blocked: dict[str, float] = field(default_factory=dict)  # bucket -> until (a 429's Retry-After)

    def block(self, bucket: str, until: float) -> None:
        """Slack answered 429 for `bucket`: nothing goes there before `until`, then one post, then the pace."""
        self._blocked[bucket] = max(until, self._blocked.get(bucket, 0.0))
        if bucket in self._buckets:
            self._buckets[bucket] = _Bucket(tokens=1.0, updated=self._blocked[bucket])

    def wait_for(self, channel: str, now: float, priority: int = ROUTINE) -> float:
        """Seconds until a post of `priority` to `channel` may go (0 means now)."""
        until = self._blocked.get(channel)
        blocked = 0.0
        if until is not None:
            if until <= now:
                del self._blocked[channel]
            else:
                blocked = until - now
        if self.interval <= 0 and not blocked:
            return 0.0
        b = self._buckets.get(channel)
        wait = blocked
        if b is not None and self.interval > 0:
            tokens = min(self.burst, b.tokens + (now - b.updated) / self.interval)
            wait = max(wait, 0.0 if tokens >= 1 else (1 - tokens) * self.interval)
        held = self._reserved.get(channel)
        if held is not None:
            held_priority, until = held
            if until <= now:
                del self._reserved[channel]
                held = None
            elif held_priority < priority:  # a more urgent row is waiting for this channel: the slot after it
                return max(wait, 0.05) + max(self.interval, 0.0)
        if wait > 0 and (held is None or priority <= held[0]):
            self._reserved[channel] = (priority, now + wait + 2 * max(self.interval, 0.5))
        return wait

    def take(self, channel: str, now: float, priority: int = ROUTINE) -> None:
        held = self._reserved.get(channel)
        if held is not None and held[0] >= priority:
            del self._reserved[channel]
        if self.interval <= 0:
            return
        b = self._buckets.get(channel)
        if b is None:
            b = self._buckets[channel] = _Bucket(tokens=self.burst, updated=now)
        b.tokens = min(self.burst, b.tokens + max(0.0, now - b.updated) / self.interval) - 1
        b.updated = now


class Outage:
    """Slack as a whole not answering (5xx, timeouts, refused connections), as this sender saw it.

    While it lasts the sender claims nothing but one probe row at `probe_at`; the probes come
    FIRST_PROBE_AFTER, then twice as far apart, at most PROBE_EVERY_AT_MOST apart (±10%), however long
    Slack is away. The first probe that goes through ends it (`recovered`)."""

    def __init__(self) -> None:
        self.failures = 0
        self.probe_at: dt.datetime | None = None

    @property
    def active(self) -> bool:
        return self.probe_at is not None

    def failed(self, now: dt.datetime) -> dt.datetime:
        self.failures += 1
        delay = min(PROBE_EVERY_AT_MOST, FIRST_PROBE_AFTER * 2 ** (self.failures - 1)) * random.uniform(0.9, 1.1)
        self.probe_at = now + dt.timedelta(seconds=delay)
        return self.probe_at

    def recovered(self) -> None:
        self.failures = 0
        self.probe_at = None
