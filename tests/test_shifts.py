"""Shifts and the pre-shift self-check (#10): the shift and daily checklists on a schedule, who has not done them,
completion rates, catch-up after a restart, local times across a daylight-saving change.

(a) over signed HTTP with the real clock and the real cron scheduler: a shift starting a minute or two from now;
(b) with an injected clock over two weeks around National Day 2026 (Oct 1–7 off, Sat Oct 10 worked), with a
restart in the middle; (c) Europe/Berlin across the end of summer time (2026-10-25).
"""

from __future__ import annotations

import datetime as dt
import heapq
import json
import re
import time
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import ids, jobs
from bot.checks import shift_rates, shifts, tasks
from bot.clock import FrozenClock
from bot.context import Context
from bot.hazards import digest
from storage.db import session_scope
from storage.models import AuditEvent, CheckTask, JobRun, OutboxMessage
from tests.conftest import actions_payload, checkbox_state, org_from, start_bot, stop_bot, wait_until
from tests.slackschema import assert_valid_message

SH = ZoneInfo("Asia/Shanghai")
UTC = dt.timezone.utc

ORG = """
timezone: Asia/Shanghai
locale: zh-CN
channels: {safety: C0SAFETY, leadership: C0LEAD}
people:
  department_head: [U0HEAD]
  deputy: [U0DEPUTY]
  safety_officer: [U0OFFICER]
teams:
  - name: Hotline A
    channel: C0TEAMA
    supervisors: [U0SUPA]
    members: [U0AGENT1, U0AGENT2]
    on_duty: [U0AGENT1]
    shifts:
      - {name: Early, start: "08:00", end: "16:00", days: every_day}
      - {name: Late, start: "16:00", end: "00:00", days: working_days, members: [U0AGENT2]}
      - {name: Night, start: "00:00", end: "08:00", days: working_days}
  - {name: Hotline B, channel: C0TEAMB, supervisors: [U0SUPB], members: [U0AGENT3]}
"""
POLICY = """
checklists:
  end_of_day: {days: working_days}
"""


def local(day: dt.date, hhmm: str, tz=SH) -> dt.datetime:
    h, m = (int(x) for x in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(h, m), tzinfo=tz).astimezone(UTC)


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


def mentioned(text: str) -> list[str]:
    return re.findall(r"<@(U\w+)>", text)


# --------------------------------------------------------------------------- (b) the injected clock
class Week:
    """The scheduler's work for a stretch of time, run by hand with a frozen clock: each job of this part at
    each of its fire times, in order, and the people answering their checklists as `behave` says."""

    def __init__(self, engine, org, start: dt.datetime):
        self.engine, self.org = engine, org
        self.ctx = Context(org=org, engine=engine, clock=FrozenClock(start))
        self.seen = 0
        self.answers: list = []  # heap of (when, task id, user, ok, ticked)

    def restart(self, at: dt.datetime) -> list[tuple[str, dt.datetime]]:
        """A new runtime on the same database, started at `at`: what the scheduler's start makes up."""
        self.ctx = Context(org=self.org, engine=self.engine, clock=FrozenClock(at))
        done = jobs.catch_up(self.ctx)
        self._plan()
        return [(job, t) for job, t in done if job.startswith(shifts.PREFIX)]

    def run(self, start: dt.datetime, end: dt.datetime) -> None:
        trig = {k: v for k, v in jobs.triggers(self.org).items() if k.startswith(shifts.PREFIX)}
        events = sorted((t.astimezone(UTC), job) for job, tr in trig.items()
                        for t in jobs.fire_times(tr, start, end - dt.timedelta(microseconds=1)))
        for t, job in events:
            self._answer_until(t)
            self.ctx.clock.set(t)
            assert jobs.run_job(self.ctx, job, t), (job, t)
            self._plan()
        self._answer_until(end)
        self.ctx.clock.set(end)

    def _plan(self) -> None:
        with session_scope(self.engine) as s:
            new = s.execute(select(CheckTask).where(CheckTask.id > self.seen).order_by(CheckTask.id)).scalars().all()
            for task in new:
                self.seen = task.id
                for answer in behave(task):
                    heapq.heappush(self.answers, answer)

    def _answer_until(self, t: dt.datetime) -> None:
        while self.answers and self.answers[0][0] <= t:
            when, task_id, user, ok, ticked = heapq.heappop(self.answers)
            self.ctx.clock.set(when)
            assert tasks.complete(self.ctx, str(task_id), user, ok, ticked, "zh-CN").ok


def behave(task: CheckTask) -> list[tuple]:
    """Who answers what, when (None: nobody does)."""
    issued, start = task.issued_at, task.starts_at
    owner = task.owners[0]
    if task.kind == "pre_shift":
        if owner == "U0AGENT1":
            return [(issued + dt.timedelta(minutes=5), task.id, owner, True, [])]
        if task.shift == "Early" and task.day == d(9, 29):  # after the shift started, before the list: late
            return [(start + dt.timedelta(minutes=5), task.id, owner, True, [])]
        if task.shift == "Early" and task.day == d(10, 9):  # a broken headset: a problem found
            return [(issued + dt.timedelta(minutes=3), task.id, owner, False, ["headset"])]
        return []
    if task.kind == "briefing":
        return [(issued + dt.timedelta(minutes=5), task.id, owner, True, [])] if task.shift == "Early" else []
    if task.kind == "end_of_day":
        return [] if task.day == d(9, 30) else [(issued + dt.timedelta(minutes=10), task.id, owner, True, [])]
    if task.kind == "patrol":
        return [] if task.day == d(10, 3) else [(issued + dt.timedelta(minutes=30), task.id, owner, True, [])]
    return []


def issued_dms(engine, tz=SH) -> list[tuple]:
    """(kind, team, shift, day, owner, local issue time) of every checklist DM queued, with repeats."""
    out = []
    with session_scope(engine) as s:
        found = {t.id: t for t in s.execute(select(CheckTask)).scalars()}
        for row in s.execute(select(OutboxMessage).where(OutboxMessage.method == "chat.postMessage",
                                                         OutboxMessage.message_key.like("task:%"))).scalars():
            task = found[int(row.message_key.split(":")[1])]
            assert_valid_message(row.payload)
            out.append((task.kind, task.team, task.shift, task.day, row.payload["channel"],
                        row.created_at.astimezone(tz).strftime("%m-%d %H:%M")))
    return out


def missing_notices(engine, org, tz=SH) -> list[tuple]:
    """(kind, shift, to, local time, [mentioned]) of every "not done yet" message queued."""
    names = shifts.jobs(org)
    out = []
    with session_scope(engine) as s:
        for row in s.execute(select(OutboxMessage).where(OutboxMessage.ordering_key.like("missing:%"))
                             .order_by(OutboxMessage.id)).scalars():
            job = names[row.ordering_key.removeprefix("missing:")]
            assert_valid_message(row.payload)
            out.append((job.kind, job.shift, row.payload["channel"],
                        row.created_at.astimezone(tz).strftime("%m-%d %H:%M"), mentioned(row.payload["text"])))
    return out


DAYS = [d(9, 28) + dt.timedelta(days=i) for i in range(14)]  # Mon 2026-09-28 … Sun 2026-10-11
WORKING = [d(9, 28), d(9, 29), d(9, 30), d(10, 8), d(10, 9), d(10, 10)]  # Oct 1-7 off; Sat Oct 10 worked
NIGHT = [d(9, 29), d(9, 30), d(10, 8), d(10, 9), d(10, 10), d(10, 12)]  # working start days (issued the evening before)
RESTART_DOWN, RESTART_UP = local(d(10, 8), "07:40"), local(d(10, 8), "07:55")


def hm(day: dt.date, hhmm: str) -> str:
    return f"{day:%m-%d} {hhmm}"


@pytest.fixture
def week(engine):
    org = org_from(POLICY, base=ORG)
    w = Week(engine, org, local(d(9, 28), "00:00"))
    assert w.restart(local(d(9, 28), "00:00")) == []  # the first start: the installation, nothing to make up
    w.run(local(d(9, 28), "00:00"), RESTART_DOWN)
    # down 07:40-07:55 on Thu Oct 8 (over the Early shift's 07:45 self-check and briefing), then a new runtime
    w.made_up = w.restart(RESTART_UP)
    w.again = w.restart(RESTART_UP + dt.timedelta(seconds=30))  # and another process starting right after
    w.run(RESTART_UP, local(d(10, 12), "00:00"))
    return w


def test_week_every_self_check_once_at_its_local_time_none_on_days_off(week):
    sent = issued_dms(week.engine)
    counts = Counter(x[:5] for x in sent)
    assert set(counts.values()) == {1}, [k for k, n in counts.items() if n > 1]  # nothing twice
    pre = {x[:5]: x[5] for x in sent if x[0] == "pre_shift"}
    expected = {}
    for day in DAYS:
        for who in ("U0AGENT1", "U0AGENT2"):
            expected[("pre_shift", "Hotline A", "Early", day, who)] = hm(day, "07:55" if day == d(10, 8) else "07:45")
    for day in WORKING:
        expected[("pre_shift", "Hotline A", "Late", day, "U0AGENT2")] = hm(day, "15:45")
    for day in NIGHT:
        for who in ("U0AGENT1", "U0AGENT2"):  # a shift starting at 00:00: at 23:45 the evening before
            expected[("pre_shift", "Hotline A", "Night", day, who)] = hm(day - dt.timedelta(days=1), "23:45")
    assert pre == expected
    # nothing on the holiday for working-day shifts, even the Night shift of Oct 1 (issued on Sep 30, a working
    # day), and the swapped Saturday has its Late and Night shifts
    assert not [k for k in pre if k[2] in ("Late", "Night") and d(10, 1) <= k[3] <= d(10, 7)]
    assert ("pre_shift", "Hotline A", "Late", d(10, 10), "U0AGENT2") in pre
    assert ("pre_shift", "Hotline A", "Night", d(10, 11), "U0AGENT1") not in pre  # Sunday after: off
    # the briefing: one per shift to the supervisor; the daily checklists at their times, on their days
    brief = {(x[2], x[3]): x[5] for x in sent if x[0] == "briefing"}
    assert brief == {**{("Early", day): hm(day, "07:55" if day == d(10, 8) else "07:45") for day in DAYS},
                     **{("Late", day): hm(day, "15:45") for day in WORKING},
                     **{("Night", day): hm(day - dt.timedelta(days=1), "23:45") for day in NIGHT}}
    assert {x[4] for x in sent if x[0] == "briefing"} == {"U0SUPA"}
    eod = {(x[1], x[3], x[4]): x[5] for x in sent if x[0] == "end_of_day"}
    assert eod == {("Hotline A", day, "U0AGENT1"): hm(day, "21:30") for day in WORKING}  # B has nobody on duty
    patrol = {(x[3], x[4]): x[5] for x in sent if x[0] == "patrol"}
    assert patrol == {(day, "U0OFFICER"): hm(day, "10:00") for day in DAYS}


def test_week_the_missing_lists_name_exactly_who_did_not(week):
    notices = missing_notices(week.engine, week.org)
    got = Counter((k, s, to, at, tuple(m)) for k, s, to, at, m in notices)
    assert set(got.values()) == {1}
    expected = set()
    for day in DAYS:  # Agent 2 skips the Early self-check, except a late one on Sep 29 and a problem on Oct 9
        if day not in (d(9, 29), d(10, 9)):
            expected.add(("pre_shift", "Early", "U0SUPA", hm(day, "08:15"), ("U0AGENT2",)))
    for day in WORKING:
        expected.add(("pre_shift", "Late", "U0SUPA", hm(day, "16:15"), ("U0AGENT2",)))
        expected.add(("briefing", "Late", "U0OFFICER", hm(day, "16:15"), ("U0SUPA",)))
    for day in NIGHT[:-1]:  # the last one's list (Oct 12 00:15) is after the end of the run
        expected.add(("pre_shift", "Night", "U0SUPA", hm(day, "00:15"), ("U0AGENT2",)))
        expected.add(("briefing", "Night", "U0OFFICER", hm(day, "00:15"), ("U0SUPA",)))
    expected.add(("end_of_day", None, "U0SUPA", hm(d(9, 30), "22:30"), ("U0AGENT1",)))
    expected.add(("patrol", None, "U0HEAD", hm(d(10, 3), "18:00"), ("U0OFFICER",)))
    assert set(got) == expected
    with session_scope(week.engine) as s:  # each list is on the record too
        audits = s.execute(select(AuditEvent).where(AuditEvent.action == "check_missing")).scalars().all()
    assert len(audits) == len(expected)
    assert {tuple(a.after["missing"]) for a in audits} == {("U0AGENT2",), ("U0SUPA",), ("U0AGENT1",), ("U0OFFICER",)}
    text = next(m.payload["text"] for m in _outbox(week.engine, "missing:%")
                if mentioned(m.payload["text"]) == ["U0AGENT2"] and "Early" in m.payload["text"])
    assert "班前自查" in text and "Hotline A" in text and "1人尚未完成" in text


def _outbox(engine, ordering_like: str) -> list[OutboxMessage]:
    with session_scope(engine) as s:
        return s.execute(select(OutboxMessage).where(OutboxMessage.ordering_key.like(ordering_like))).scalars().all()


def test_week_a_restart_repeats_nothing_and_misses_nothing(week):
    early = [j for j, job in shifts.jobs(week.org).items() if job.shift == "Early" and job.phase == "issue"]
    # exactly what fell due while down, once, for its own moment; a second start makes up nothing
    assert sorted(week.made_up) == sorted((j, local(d(10, 8), "07:45")) for j in early)
    assert week.again == []
    with session_scope(week.engine) as s:
        runs = s.execute(select(JobRun.job, JobRun.scheduled_for).where(JobRun.job.like("checks:shift%"))).all()
        late = s.execute(select(CheckTask).where(CheckTask.day == d(10, 8), CheckTask.shift == "Early")).scalars().all()
    assert len(runs) == len(set(runs))
    assert {t.issued_at for t in late} == {RESTART_UP}  # sent late, still before the shift: due at its start
    assert {t.due_at for t in late} == {local(d(10, 8), "08:00")}


def test_a_missed_self_check_is_made_up_only_while_the_shift_runs(engine):
    org = org_from(POLICY, base=ORG)
    w = Week(engine, org, local(d(10, 9), "12:00"))
    w.restart(local(d(10, 9), "12:00"))
    w.run(local(d(10, 9), "12:00"), local(d(10, 9), "15:30"))
    # down from 15:30 Fri to 00:20 Sat: the Late shift (16:00-00:00) is over, its self-check is not made up;
    # the Night shift of Saturday (a swapped working day) runs until 08:00: made up, and its list not yet due
    made = w.restart(local(d(10, 10), "00:20"))
    kinds = {(shifts.jobs(org)[j].kind, shifts.jobs(org)[j].shift, shifts.jobs(org)[j].phase) for j, _ in made}
    assert kinds == {("pre_shift", "Night", "issue"), ("briefing", "Night", "issue"),
                     ("pre_shift", "Night", "missing"), ("briefing", "Night", "missing")}
    sent = issued_dms(engine)
    assert not [x for x in sent if x[2] == "Late" or x[0] == "end_of_day"]
    assert {(x[0], x[2], x[4], x[5]) for x in sent if x[2] == "Night"} == {
        ("pre_shift", "Night", "U0AGENT1", "10-10 00:20"), ("pre_shift", "Night", "U0AGENT2", "10-10 00:20"),
        ("briefing", "Night", "U0SUPA", "10-10 00:20")}
    # the Night list (due 00:15) was made up too, but counts only tasks issued before 00:15: none, so no message
    assert missing_notices(engine, org) == []
    # the catch-up windows: a shift's own checklist until its end; a daily one until due, its list until midnight
    job = {(v.kind, v.shift, v.phase): k for k, v in shifts.jobs(org).items()}
    assert shifts.catch_up(org, job[("pre_shift", "Late", "issue")]) == dt.timedelta(hours=8, minutes=15)
    assert shifts.catch_up(org, job[("pre_shift", "Late", "missing")]) == dt.timedelta(hours=7, minutes=45)
    assert shifts.catch_up(org, job[("end_of_day", None, "issue")]) == dt.timedelta(hours=1)
    assert shifts.catch_up(org, job[("end_of_day", None, "missing")]) == dt.timedelta(hours=1, minutes=30)
    assert all(len(name) <= 64 for name in job.values())


def test_week_completion_rates_feed_the_digest_and_the_monthly_figures(week):
    ctx = week.ctx
    with session_scope(week.engine) as s:
        team = digest.daily_content(ctx, local(d(10, 10), "08:30"), team="Hotline A", session=s)["checklists"]
        dept = digest.daily_content(ctx, local(d(10, 10), "08:30"), session=s)["checklists"]
        sep29 = digest.daily_content(ctx, local(d(9, 30), "08:30"), team="Hotline A", session=s)["checklists"]
        sept = shift_rates.rates(s, d(9, 1), d(9, 30))
        lines = shift_rates.monthly_lines(ctx, s, local(d(9, 1), "00:00"), local(d(10, 1), "00:00"), "en")
    # Oct 9, Hotline A: self-checks Early (on time; a problem), Late (missing), Night (on time; missing);
    # briefings Early (on time), Late and Night (missing); end of day (on time)
    assert (team.on_time, team.late, team.problem, team.missing) == (4, 0, 1, 4)
    assert (dept.on_time, dept.total) == (5, 10)  # and the department's patrol
    assert (sep29.on_time, sep29.late, sep29.missing) == (4, 1, 4)  # Agent 2's Early self-check after 08:00
    a = sept["Hotline A"]
    assert (a.on_time, a.late, a.problem, a.missing) == (10, 1, 0, 13)
    assert (sept[None].on_time, sept[None].total) == (3, 3)
    assert lines == ["• Hotline A: 46% done: 24 due, 10 on time, 1 late, 0 with a problem found and 13 not done",
                     "• Department (patrol): 100% done: 3 due, 3 on time, 0 late, 0 with a problem found and 0 not done"]
    # the monthly summary to the leadership channel (§5.2.3, bot/incidents/cases.py) carries the month's figures
    from bot.incidents.cases import monthly_payloads

    with session_scope(week.engine) as s:
        monthly = monthly_payloads(ctx, local(d(10, 1), "09:30"), s)[0]
    assert_valid_message(monthly)
    section = next(b for b in monthly["blocks"] if b.get("block_id") == "checklists")["text"]["text"]
    assert "热线A" in section or "Hotline A" in section
    assert "46%" in section and "100%" in section
    # the digest message says it, validated as Slack would
    payloads = digest.daily_payloads(ctx, local(d(10, 10), "08:30"))
    team_a = next(p for p in payloads if p["channel"] == "C0TEAMA")
    assert_valid_message(team_a)
    assert "检查清单 2026-10-09" in json.dumps(team_a["blocks"], ensure_ascii=False)
    assert "完成率56%，应完成9项、按时完成4项、超期完成0项、发现问题1项和未完成4项" in json.dumps(
        team_a["blocks"], ensure_ascii=False)


# --------------------------------------------------------------------------- (c) daylight saving
BERLIN = ZoneInfo("Europe/Berlin")


def test_local_times_hold_across_the_end_of_summer_time(engine):
    org = org_from(POLICY, base=ORG.replace("Asia/Shanghai", "Europe/Berlin"))
    w = Week(engine, org, local(d(10, 23), "00:00", BERLIN))
    w.restart(local(d(10, 23), "00:00", BERLIN))
    w.run(local(d(10, 23), "00:00", BERLIN), local(d(10, 28), "00:00", BERLIN))
    early = sorted(x for x in issued_dms(engine, BERLIN) if x[0] == "pre_shift" and x[2] == "Early"
                   and x[4] == "U0AGENT1")
    assert [x[5] for x in early] == [f"10-{n} 07:45" for n in range(23, 28)]
    with session_scope(engine) as s:
        starts = sorted(t.starts_at for t in s.execute(select(CheckTask).where(
            CheckTask.kind == "pre_shift", CheckTask.shift == "Early")).scalars() if t.owners == ["U0AGENT1"])
    assert [t.hour for t in starts] == [6, 6, 7, 7, 7]  # 08:00 CEST is 06:00 UTC, 08:00 CET is 07:00 UTC
    lists = [x[3] for x in missing_notices(engine, org, BERLIN) if x[0] == "pre_shift" and x[1] == "Early"]
    assert lists == [f"10-{n} 08:15" for n in range(23, 28)]


# --------------------------------------------------------------------------- (a) signed HTTP, the real clock
def _actions(user: str, action_id: str, value: str, channel: str, ticked: list[str] = ()) -> dict:
    """A block_actions payload as Slack sends it for a click in a DM, with the message's checkbox state."""
    return actions_payload(user, action_id, value, channel, block_id=ids.TASK_ACTIONS_BLOCK,
                           state=checkbox_state(ticked, ids.TASK_ITEMS_BLOCK, ids.TASK_ITEMS_ACTION))


@pytest.fixture
def live(db_url, fake_slack):
    from schedules.scheduler import JobScheduler

    if not db_url.startswith("sqlite"):  # 2½ minutes of wall clock: once is enough (the week tests run on both)
        pytest.skip("the real-clock run is the HTTP and scheduler path, the same on both engines: SQLite runs it")

    # the shift starts at the first whole minute at least 65 s away: the self-check comes a minute before
    now = dt.datetime.now(SH)
    start = (now + dt.timedelta(seconds=125)).replace(second=0, microsecond=0)
    end = start + dt.timedelta(hours=8)
    team = (f"  - name: Hotline A\n    channel: C0TEAMA\n    supervisors: [U0SUPA]\n"
            f"    members: [U0AGENT1, U0AGENT2, U0AGENT3]\n"
            f"    shifts:\n      - {{name: Now, start: \"{start:%H:%M}\", end: \"{end:%H:%M}\"}}\n")
    org = org_from("checklists:\n  pre_shift: {before: 1m, missing_after: 1m}\n",
                   base=ORG.split("teams:")[0] + "teams:\n" + team)
    bot = start_bot(db_url, fake_slack, org)
    scheduler = JobScheduler(bot.ctx)
    bot.runtime.add_background(scheduler)
    scheduler.start()
    bot.start = start
    yield bot
    stop_bot(bot)


def _checklist_dm(fake, user: str):
    return [c for c in fake.of("chat.postMessage") if c.params.get("channel") == user
            and ids.TASK_ACTIONS_BLOCK in json.dumps(c.params.get("blocks") or [])
            and "班前自查" in c.params.get("text", "")]


def _pre_shift_missing_run_finished(bot) -> bool:
    from storage.models import JobRun

    with session_scope(bot.ctx.engine) as s:
        return s.execute(select(JobRun.job).where(JobRun.job.like("%:pre_shift:missing%"),
                                                  JobRun.finished_at.is_not(None))).first() is not None


@pytest.mark.waits
def test_live_the_self_check_arrives_all_ok_records_it_the_supervisor_gets_who_did_not(live):
    bot, fake = live, live.fake
    fake.wait_for(lambda c: c.params.get("channel") == "U0AGENT3" and "班前自查" in c.params.get("text", ""),
                  timeout=150)
    issued_at = time.time()
    assert issued_at - (bot.start.timestamp() - 60) < 10  # a minute before the shift, within seconds
    dms = {u: _checklist_dm(fake, u) for u in ("U0AGENT1", "U0AGENT2", "U0AGENT3")}
    assert all(len(v) == 1 for v in dms.values())
    for v in dms.values():  # (and every call again by the fake_slack fixture)
        assert_valid_message(v[0].params)
    blocks = dms["U0AGENT1"][0].params["blocks"]
    boxes = next(b for b in blocks if b.get("block_id") == ids.TASK_ITEMS_BLOCK)["elements"][0]["options"]
    assert [o["value"] for o in boxes] == ["power_cords", "fire_exits", "computer", "headset", "phone"]
    value = next(b for b in blocks if b.get("block_id") == ids.TASK_ACTIONS_BLOCK)["elements"][0]["value"]
    with session_scope(bot.ctx.engine) as s:
        mine = {t.owners[0]: t for t in s.execute(select(CheckTask).where(CheckTask.kind == "pre_shift")).scalars()}
    assert value == str(mine["U0AGENT1"].id)

    # Agent 1: All OK in one click
    status, _ = bot.interactive(_actions("U0AGENT1", ids.TASK_OK_ACTION, value, "DU0AGENT1"))
    assert status == 200
    # Agent 2: ticks the headset and the phone, Problem found: recorded, the hazard form opens prefilled
    value2 = str(mine["U0AGENT2"].id)
    status, _ = bot.interactive(_actions("U0AGENT2", ids.TASK_PROBLEM_ACTION, value2, "DU0AGENT2",
                                         ["headset", "phone"]))
    assert status == 200
    form = fake.wait_for(lambda c: c.method == "views.open")[0].params["view"]
    desc = next(b for b in form["blocks"] if b.get("block_id") == "description")["element"]["initial_value"]
    assert "耳机（完好、可用）" in desc and "话机（运行正常）" in desc and "电脑" not in desc
    assert json.loads(form["private_metadata"]) == {"check_task": mine["U0AGENT2"].id}
    with session_scope(bot.ctx.engine) as s:
        got = {t.owners[0]: t for t in s.execute(select(CheckTask).where(CheckTask.kind == "pre_shift")).scalars()}
    assert (got["U0AGENT1"].status, got["U0AGENT1"].done_by) == ("done", "U0AGENT1")
    assert (got["U0AGENT2"].status, got["U0AGENT2"].problems) == ("problem", ["headset", "phone"])
    assert got["U0AGENT3"].status == "pending"

    # a minute after the start: the supervisor gets exactly the one who did not answer, once
    def is_list(c):
        return c.params.get("channel") == "U0SUPA" and "尚未完成" in c.params.get("text", "") \
            and "班前自查" in c.params.get("text", "")

    notice = fake.wait_for(is_list, timeout=150)
    assert mentioned(notice[0].params["text"]) == ["U0AGENT3"]
    assert notice[0].at - (bot.start.timestamp() + 60) < 10
    # the missing-list run is recorded as finished (a run is claimed once per moment), and what it queued is out
    wait_until(lambda: _pre_shift_missing_run_finished(bot), what="the missing-list run to be recorded")
    bot.drain()
    assert len([c for c in fake.of("chat.postMessage") if is_list(c)]) == 1
