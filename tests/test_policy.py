import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.durations import is_working_day, parse_duration
from bot.orgfile import load_org, parse_org
from bot.policy import ConfigError
from tests.conftest import ORG_YAML, org_from

ISSUE_EXAMPLE = """
timezone: Asia/Shanghai
locale: zh-CN              # or en
channels: {safety: C0123, leadership: C0456}
people:
  department_head: [U01]
  deputy: [U02]
  safety_officer: [U03]
  it: [U04]
  security: [U05]
teams:
  - {name: Hotline A, channel: C0789, supervisors: [U06], members: [U07, U08]}
policy: {}                 # optional overrides of the built-in policy
"""


def test_the_documented_example_loads_with_the_built_in_policy():
    org = parse_org(ISSUE_EXAMPLE)
    assert org.tz == ZoneInfo("Asia/Shanghai")
    assert org.channels.safety == "C0123"
    lv1 = org.policy.level(1)
    assert lv1.respond_within.seconds == 30 * 60
    assert lv1.ignore_working_hours is True
    assert org.policy.level(2).resolve_within.seconds == 24 * 3600
    assert org.policy.level(3).resolve_within.seconds == 48 * 3600
    assert [r.after.seconds for r in org.policy.escalation.acknowledge] == [0, 1800, 3600]
    assert set(org.policy.hazard.categories) == {"electrical", "fire", "equipment", "information_security",
                                                  "customer_conflict", "other"}


def test_policy_overrides_merge_deeply():
    org = org_from("""
hazard:
  levels:
    2: {respond_within: 45s}
escalation:
  acknowledge:
    - {after: 0s, notify: [responders], via: [thread]}
""")
    assert org.policy.level(2).respond_within.seconds == 45
    assert org.policy.level(2).resolve_within.seconds == 24 * 3600  # untouched default
    assert len(org.policy.escalation.acknowledge) == 1


@pytest.mark.parametrize("text,line,fragment", [
    ("channels: {safety: C0123}\nteams:\n  - {name: A, supervisors: [bob]}\n", 3, "not a Slack user ID"),
    ("channels: {safety: C0123}\npolicy:\n  hazard:\n    levels:\n      1: {respond_within: 30x}\n", 5, "not a duration"),
    ("channels: {safety: C0123}\ntimezone: Mars/Base\n", 2, "unknown time zone"),
    ("channels: {safety: C0123}\nlocale: fr\n", 2, "locale"),
    ("channels: {safety: C0123}\ncolour: blue\n", 2, "colour"),
    ("channels: {safety: C0123}\npolicy:\n  escalation:\n    acknowledge:\n      - {after: 1h, notify: [deputy], via: [dm]}\n      - {after: 5m, notify: [deputy], via: [dm]}\n", 5, "order"),
    ("channels: [\n", 2, "not valid YAML"),
])
def test_invalid_file_is_refused_with_path_and_line(text, line, fragment):
    with pytest.raises(ConfigError) as err:
        parse_org(text, "org.yaml")
    msg = str(err.value)
    assert msg.startswith(f"org.yaml:{line}:"), msg
    assert fragment in msg


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_org(tmp_path / "nope.yaml")


def test_durations():
    assert parse_duration("45s").seconds == 45
    assert parse_duration("30m").seconds == 1800
    assert parse_duration("2h").seconds == 7200
    assert parse_duration("3d").seconds == 3 * 86400
    assert parse_duration("15wd").working_days == 15
    for bad in ("", "5", "1.5wd", "10 minutes", "-3m"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_working_days_follow_the_mainland_calendar():
    tz = ZoneInfo("Asia/Shanghai")
    assert not is_working_day(dt.date(2026, 10, 1))  # National Day
    assert is_working_day(dt.date(2026, 9, 30))
    # 1 working day after Wed 30 Sep 2026 skips the National Day week
    start = dt.datetime(2026, 9, 30, 10, 0, tzinfo=tz)
    end = parse_duration("1wd").add_to(start.astimezone(dt.timezone.utc), tz).astimezone(tz)
    assert end.date() > dt.date(2026, 10, 7) and is_working_day(end.date())
    # years the calendar has no data for fall back to Monday–Friday
    assert is_working_day(dt.date(2031, 3, 3)) and not is_working_day(dt.date(2031, 3, 1))


def test_fixture_org_is_valid():
    assert parse_org(ORG_YAML).teams[0].name == "Hotline A"


def test_unquoted_times_mean_what_they_say():
    org = parse_org("channels: {safety: C0123}\npolicy:\n  schedule: {daily_digest: 08:30, weekly_summary: {time: 9:05}}\n")
    assert org.policy.schedule.daily_digest == "08:30"
    assert org.policy.schedule.weekly_summary.time == "09:05"
    with pytest.raises(ConfigError, match="HH:MM"):
        parse_org("channels: {safety: C0123}\npolicy:\n  schedule: {daily_digest: '25:00'}\n")
