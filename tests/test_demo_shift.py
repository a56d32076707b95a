"""The sandbox shows every capability in its first minutes (#20): the pre-shift self-check arrives soon after
start-up (a demo shift starts shortly), and the form's level hints say the times of the policy in force
(`--fast` included) and fit Slack's 75 characters."""

from __future__ import annotations

import datetime as dt
import json
import re
import time

import pytest

from sandbox.run import DEMO_SHIFT, DEMO_SHIFT_LEAD, Sandbox, demo_org
from tests.conftest import PG_URL

HINT_MAX = 75  # Slack: an option's description is cut at 75 characters
UNITS = {"en": {"min": 60, "h": 3600}, "zh-CN": {"分钟": 60, "小时": 3600}}
DURATION = {"en": re.compile(r"(\d+) (min|h)\b"), "zh-CN": re.compile(r"(\d+)(分钟|小时)")}


def test_the_demo_shift_starts_soon_after_start_up_so_its_self_check_comes_in_two_minutes():
    for fast in (False, True):
        now = dt.datetime(2026, 12, 4, 11, 17, 40, tzinfo=dt.timezone.utc)  # 19:17:40 in Shanghai
        org = demo_org("en", fast, now=now)
        shift = org.teams[0].shifts[-1]
        assert shift.name == DEMO_SHIFT["en"]
        local = now.astimezone(org.tz)
        start = dt.datetime.combine(local.date(), dt.time.fromisoformat(shift.start), org.tz)
        check_at = start - dt.timedelta(seconds=org.policy.checklists.pre_shift.before.seconds)
        assert dt.timedelta(seconds=DEMO_SHIFT_LEAD) <= check_at - local <= dt.timedelta(seconds=DEMO_SHIFT_LEAD + 60)
        assert (fast, org.policy.checklists.pre_shift.before.seconds) in ((False, 15 * 60), (True, 2 * 60))
    late = demo_org("zh-CN", False, now=dt.datetime(2026, 12, 4, 15, 50, tzinfo=dt.timezone.utc))  # 23:50
    assert late.teams[0].shifts[-1].start == "00:07" and late.teams[0].shifts[-1].name == "演示班"


@pytest.mark.parametrize("fast", [False, True], ids=["built-in", "fast"])
@pytest.mark.parametrize("lang", ["en", "zh-CN"])
def test_level_hints_say_the_policys_own_times_and_fit_slacks_75_characters(fast, lang):
    org = demo_org(lang, fast)
    for area in ("hazard", "incident"):
        for n, level in getattr(org.policy, area).levels.items():
            hint = level.hint.get(lang)
            assert len(hint) <= HINT_MAX, (area, n, hint)
            said = {int(v) * UNITS[lang][u] for v, u in DURATION[lang].findall(hint)}
            assert said, (area, n, hint)  # every hint names a time
            assert said <= {level.respond_within.seconds, level.resolve_within.seconds}, (area, n, hint)


@pytest.mark.waits
@pytest.mark.skipif(bool(PG_URL), reason="the sandbox keeps its own SQLite store whatever the engine: the SQLite run tries it")
def test_the_pre_shift_self_check_reaches_the_shifts_agents_in_the_sandboxs_first_minute(tmp_path):
    box = Sandbox(port=0, lang="en", fast=True, db_dir=str(tmp_path), channel_interval=0, demo_shift_in=5).start()
    try:
        deadline = time.time() + 90
        while time.time() < deadline:
            dms = box.slack.messages.get("D0AGENT1", [])
            if any("task_items" in json.dumps(m.get("blocks") or []) for m in dms):
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"no self-check for U0AGENT1 within 90 s: {box.slack.messages.keys()}")
        assert box.slack.problems == []
    finally:
        box.stop()
