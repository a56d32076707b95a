"""#21 round the clock where the document says so (§2.3.1, §6.2.1): a team's working hours follow its shifts
(`working_hours.teams: shifts`, the default), so a level-2 reminder goes at 22:20 while the team's shift runs to
midnight, not at 08:00 the next day; a team with no shifts, or `teams: fixed`, keeps the fixed hours."""

from __future__ import annotations

import datetime as dt

import pytest

from bot.clock import FrozenClock
from tests.conftest import ORG_YAML, org_from, start_bot, stop_bot

SH = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 11, 28, 21, 50, tzinfo=SH)  # Saturday 21:50 Shanghai: a level-2 hazard is due at 22:20
LATE = ORG_YAML.replace("members: [U0AGENT1, U0AGENT2]}",
                        "members: [U0AGENT1, U0AGENT2], shifts: [{name: Late, start: '16:00', end: '00:00'}]}")


def _bot(db_url, fake_slack, extra=""):
    clock = FrozenClock(T0.astimezone(dt.timezone.utc))
    bot = start_bot(db_url, fake_slack, org_from(extra, base=LATE), clock=clock)
    bot.clock = clock
    return bot


@pytest.fixture
def sbot(db_url, fake_slack):
    bot = _bot(db_url, fake_slack)
    yield bot
    stop_bot(bot)


@pytest.fixture
def fixed_bot(db_url, fake_slack):
    bot = _bot(db_url, fake_slack, "working_hours: {start: '08:00', end: '22:00', days: every_day, teams: fixed}")
    yield bot
    stop_bot(bot)


def sweep(bot, at: dt.datetime) -> None:
    bot.drain()
    bot.clock.set(at.astimezone(dt.timezone.utc))
    bot.runtime.sweeper.run_once()
    bot.drain()


def chased(bot, user) -> list[str]:
    bot.drain()
    return [c.params["text"] for c in bot.fake.of("chat.postMessage")
            if c.params.get("channel") == user and "尚未响应" in c.params.get("text", "")]


def test_a_team_on_shift_till_midnight_is_reminded_at_22_20_and_not_before(sbot):
    bot = sbot
    bot.report("U0AGENT1", level=2)  # Hotline A, on its Late shift till 00:00
    sweep(bot, T0 + dt.timedelta(minutes=30) - dt.timedelta(seconds=1))
    assert chased(bot, "U0SUPA") == []
    sweep(bot, T0 + dt.timedelta(minutes=30))  # 22:20: past the fixed 22:00, inside the shift
    assert len(chased(bot, "U0SUPA")) == 1
    sweep(bot, T0 + dt.timedelta(minutes=60))  # 22:50: the second rung too
    assert len(chased(bot, "U0OFFICER")) == 1


def test_a_team_without_shifts_waits_for_08_00(sbot):
    bot = sbot
    bot.report("U0AGENT3", level=2)  # Hotline B: no shifts, the fixed hours
    sweep(bot, T0 + dt.timedelta(hours=10))  # 07:50 the next day
    assert chased(bot, "U0SUPB") == []
    sweep(bot, dt.datetime(2026, 11, 29, 8, 0, tzinfo=SH))
    assert len(chased(bot, "U0SUPB")) == 1


def test_teams_fixed_keeps_the_fixed_hours_for_a_team_on_shift(fixed_bot):
    bot = fixed_bot
    bot.report("U0AGENT1", level=2)
    sweep(bot, T0 + dt.timedelta(hours=10))
    assert chased(bot, "U0SUPA") == []
    sweep(bot, dt.datetime(2026, 11, 29, 8, 0, tzinfo=SH))
    assert len(chased(bot, "U0SUPA")) == 1
