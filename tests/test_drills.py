"""Drills (演练, #10; §2.3.2, §3.1.2, §3.4.2) over signed HTTP with an injected clock: the calendar laid out from
the policy's cadence (a day off moves a drill to the next working day, DST-correct local times, idempotent), the
notices before and on the day (each at its local time, exactly once across restarts, none missed while the bot
was down, none for a drill already past), `/drill` list / move / refusals, attendance, and the evaluation:
problems → hazards handed to rectification items due 15 working days later across the National Day holiday,
and the report in the leadership channel. Every message and view is validated against Slack's Block Kit schema
by the fake Slack fixture."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import ids, jobs
from bot.clock import FrozenClock
from bot.context import Context
from bot.drills import layout
from bot.drills.jobs import DAILY
from storage.db import session_scope
from storage.models import AuditEvent, Drill, DrillAttendance, RectItem, Report, Timer
from tests.conftest import org_from, start_bot, stop_bot, without_jobs_of
from tests.slackschema import assert_valid_view

SH = ZoneInfo("Asia/Shanghai")
OFFICER, AGENT, AGENT2, SUPERVISOR = "U0OFFICER", "U0AGENT1", "U0AGENT2", "U0SUPA"


def local(*a) -> dt.datetime:
    return dt.datetime(*a, tzinfo=SH).astimezone(dt.timezone.utc)


@pytest.fixture(autouse=True)
def _drills_area_only(monkeypatch):
    """A restart's catch-up runs every job; the other areas' jobs (checks, built beside this) are not under test."""
    without_jobs_of(monkeypatch, "checks")


@pytest.fixture
def dbot(db_url, fake_slack):
    clock = FrozenClock(local(2026, 9, 14, 8, 0))  # Monday 14 September 2026, 08:00 Shanghai
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock)
    bot.clock = clock
    yield bot
    stop_bot(bot)


# --------------------------------------------------------------------------- helpers
def drill_cmd(bot, user: str, text: str = ""):
    status, body = bot.form({
        "token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": "C0TEAMA", "channel_name": "x",
        "user_id": user, "user_name": user.lower(), "command": ids.DRILL_COMMAND, "text": text, "api_app_id": "A1",
        "is_enterprise_install": "false", "response_url": "http://127.0.0.1:9/hooks",
        "trigger_id": f"trig-{uuid.uuid4().hex[:10]}"})
    assert status == 200, body
    return body


def at(bot, moment: dt.datetime) -> None:
    bot.drain()
    bot.clock.set(moment)


def daily(bot) -> bool:
    """What the cron trigger does at its moment (the latest scheduled time, claimed)."""
    return jobs.run_due(bot.ctx, DAILY)


def drills(bot) -> list[Drill]:
    with session_scope(bot.ctx.engine) as s:
        return list(s.execute(select(Drill).order_by(Drill.planned_at, Drill.id)).scalars())


def the_drill(bot, kind: str, period: str) -> Drill:
    with session_scope(bot.ctx.engine) as s:
        return s.execute(select(Drill).where(Drill.kind == kind, Drill.period == period)).scalar_one()


def notices_of(bot, drill_id: int, channel: str = "C0SAFETY") -> list[dict]:
    """Drill notices posted to `channel` for drill `drill_id` (its id is every button's value; the text names it)."""
    bot.drain()
    out = []
    for c in bot.fake.of("chat.postMessage"):
        if c.params.get("channel") != channel or f'"drill_notice:{drill_id}"' not in json.dumps(c.params.get("blocks") or []):
            continue
        out.append(c.params)
    return out


def sent_labels(bot, drill_id: int) -> list[str]:
    with session_scope(bot.ctx.engine) as s:
        return list(s.get(Drill, drill_id).notices)


def texts(bot, user: str) -> list[str]:
    bot.drain()
    return [c.params["text"] for c in bot.fake.of("chat.postEphemeral") if c.params.get("user") == user]


def mine(runs: list) -> list:
    return [(job, when) for job, when in runs if job.startswith("drills:")]


def everything(params: dict) -> str:
    return params.get("text", "") + json.dumps(params.get("blocks") or [], ensure_ascii=False)


def buttons(params: dict) -> list[tuple[str, str]]:
    return [(e["action_id"], e["value"]) for b in params.get("blocks") or [] if b.get("block_id") == ids.DRILL_ACTIONS_BLOCK
            for e in b["elements"]]


def submit(bot, user: str, drill_id: int, score: str | None, problems: str | None = None, summary: str | None = None):
    status, body = bot.submit(user, {"score": score, "problems": problems, "summary": summary},
                              callback_id=ids.DRILL_VIEW, private_metadata=json.dumps({"drill": drill_id}))
    assert status == 200, body
    return body


# --------------------------------------------------------------------------- the calendar
def test_the_calendar_follows_the_cadence_and_a_drill_on_a_public_holiday_moves_to_the_next_working_day(
        db_url, fake_slack):
    # the fire drill on the 5th: 5 October 2026 is in the National Day holiday (1-7 October)
    clock = FrozenClock(local(2026, 9, 1, 8, 0))
    bot = start_bot(db_url, fake_slack, org_from("drills:\n  kinds:\n    fire: {day: 5}\n"), clock=clock)
    bot.clock = clock
    try:
        assert not bot.ctx.org.workdays.is_working_day(dt.date(2026, 10, 5))
        assert daily(bot)  # today's 09:00 run is not due yet: the run for yesterday's lays the calendar out
        laid = {(d.kind, d.period): d.planned_at for d in drills(bot)}
        # 52 weeks from 1 September 2026: fire in April and October, comprehensive in June and December,
        # special every quarter (Feb, May, Aug, Nov), cross-department in Mar, Jun, Sep, Dec
        assert sorted(laid) == sorted(
            [("fire", "2026-10"), ("fire", "2027-04"), ("comprehensive", "2026-12"), ("comprehensive", "2027-06"),
             ("special", "2026-11"), ("special", "2027-02"), ("special", "2027-05"), ("special", "2027-08"),
             ("cross_department", "2026-09"), ("cross_department", "2026-12"), ("cross_department", "2027-03"),
             ("cross_department", "2027-06")])
        assert laid[("fire", "2026-10")] == local(2026, 10, 8, 15, 0)  # the next working day, 15:00 local
        assert laid[("cross_department", "2026-09")] == local(2026, 9, 22, 15, 0)  # a working Tuesday: its own day
        assert laid[("special", "2027-02")] == local(2027, 2, 12, 15, 0)
        with session_scope(bot.ctx.engine) as s:
            plans = dict(s.execute(select(Drill.kind, Drill.plan)).all())
        assert plans == {"fire": "fire", "comprehensive": "power_cut", "special": "data_leak",
                         "cross_department": "system_outage"}

        # idempotent: another run, a catch-up at "restart", and the list command lay out nothing twice
        clock.set(local(2026, 9, 1, 9, 0))
        assert daily(bot)
        jobs.catch_up(bot.ctx)
        body = drill_cmd(bot, AGENT, "list")
        assert len(drills(bot)) == 12
        listed = everything(body)
        assert "2026-10-08 15:00" in listed and "消防疏散演练" in listed and "火灾" in listed and "计划中" in listed
        assert listed.index("2026-09-22 15:00") < listed.index("2026-10-08 15:00")  # soonest first
        assert body["response_type"] == "ephemeral"
        assert drill_cmd(bot, AGENT)["blocks"] == body["blocks"]  # `/drill` alone is the list
    finally:
        stop_bot(bot)


def test_drill_times_are_local_on_either_side_of_daylight_saving(engine):
    org = org_from("", **{"timezone: Asia/Shanghai": "timezone: Europe/Berlin"})
    ctx = Context(org=org, engine=engine, clock=FrozenClock(dt.datetime(2026, 9, 1, tzinfo=dt.timezone.utc)))
    with session_scope(engine) as s:
        layout.lay_out(ctx, s, ctx.clock.now())
        layout.lay_out(ctx, s, ctx.clock.now())
    by = {(d.kind, d.period): d.planned_at for d in _all(engine)}
    utc = dt.timezone.utc
    assert by[("comprehensive", "2026-12")] == dt.datetime(2026, 12, 18, 14, 0, tzinfo=utc)  # CET, UTC+1
    assert by[("comprehensive", "2027-06")] == dt.datetime(2027, 6, 18, 13, 0, tzinfo=utc)  # CEST, UTC+2
    assert len(by) == 12


def _all(engine) -> list[Drill]:
    with session_scope(engine) as s:
        return list(s.execute(select(Drill)).scalars())


# --------------------------------------------------------------------------- notices
def test_the_7_day_1_day_and_day_notices_each_at_its_local_time_exactly_once_across_restarts(dbot):
    bot = dbot
    assert daily(bot)  # lays out the calendar (the run of 13 September)
    drill = the_drill(bot, "cross_department", "2026-09")  # Tuesday 22 September, 15:00
    expected = {"7d": local(2026, 9, 15, 9, 0), "1d": local(2026, 9, 21, 9, 0), "day": local(2026, 9, 22, 9, 0)}
    seen: dict[str, dt.datetime] = {}
    day = local(2026, 9, 14, 0, 0)
    while day < local(2026, 9, 24, 0, 0):
        for hh, mm in ((8, 59), (9, 0), (9, 1), (14, 0), (23, 0)):
            at(bot, day + dt.timedelta(hours=hh, minutes=mm))
            daily(bot)
            jobs.catch_up(bot.ctx)  # a restart at any moment repeats nothing
            daily(bot)
            posted = notices_of(bot, drill.id)
            labels = sent_labels(bot, drill.id)
            for label in labels:
                seen.setdefault(label, bot.clock.now())
            assert len(posted) == len(labels), (bot.clock.now(), labels)
        day += dt.timedelta(days=1)
    assert seen == expected
    posted = notices_of(bot, drill.id)
    assert len(posted) == 3
    before_7, before_1, on_the_day = posted
    for notice in posted:  # every notice names the plan exercised and how to look it up
        assert "系统瘫痪" in everything(notice) and "/plan system_outage" in everything(notice)
        assert "2026-09-22 15:00" in everything(notice) and "跨部门联合演练" in everything(notice)
    assert buttons(before_7) == [] and buttons(before_1) == []
    # each says how far ahead, so the two notices before are not the same message twice
    seven, one = (json.dumps(n["blocks"], ensure_ascii=False) for n in (before_7, before_1))
    assert "7天后" in seven and "明天" in one and "明天" not in seven
    assert "7天后" in before_7["text"] and "明天" in before_1["text"]  # the push notification too
    assert buttons(on_the_day) == [(ids.DRILL_ATTEND_ACTION, str(drill.id)), (ids.DRILL_EVALUATE_ACTION, str(drill.id))]
    with session_scope(bot.ctx.engine) as s:
        rows = s.execute(select(AuditEvent.after).where(AuditEvent.action == "drill_notice")).scalars().all()
    assert [r["sent"] for r in rows if r["drill"] == drill.id] == ["7d", "1d", "day"]


def test_a_notice_missed_while_the_bot_was_down_goes_at_start_and_none_for_a_drill_already_past(dbot):
    bot = dbot
    assert daily(bot)
    drill = the_drill(bot, "cross_department", "2026-09")
    # down over the 7-day notice's moment (15 September 09:00): made up at start, once
    at(bot, local(2026, 9, 15, 11, 30))
    assert mine(jobs.catch_up(bot.ctx)) == [(DAILY, local(2026, 9, 15, 9, 0))]
    assert mine(jobs.catch_up(bot.ctx)) == []
    assert sent_labels(bot, drill.id) == ["7d"] and len(notices_of(bot, drill.id)) == 1
    # down from before the 1-day notice until the drill's day: one notice (the day's, with its buttons) covers both
    at(bot, local(2026, 9, 22, 10, 0))
    jobs.catch_up(bot.ctx)
    assert sent_labels(bot, drill.id) == ["7d", "1d", "day"]
    posted = notices_of(bot, drill.id)
    assert len(posted) == 2 and buttons(posted[-1])
    # a drill already past gets no notice: the special drill of November, never told, the bot down past its day
    special = the_drill(bot, "special", "2026-11")  # Thursday 12 November 15:00
    at(bot, local(2026, 11, 13, 9, 30))
    jobs.catch_up(bot.ctx)
    assert sent_labels(bot, special.id) == [] and notices_of(bot, special.id) == []
    # ... and after its time on the day, the day notice still goes (attendance is taken on the day),
    # but no "1 day before" notice
    comp = the_drill(bot, "comprehensive", "2026-12")  # Friday 18 December 15:00
    at(bot, local(2026, 12, 18, 16, 0))
    jobs.catch_up(bot.ctx)
    assert sent_labels(bot, comp.id) == ["day"]


# --------------------------------------------------------------------------- /drill move
def test_drill_move_by_the_safety_officer_sends_the_notices_again_and_anyone_else_is_refused(dbot):
    bot = dbot
    assert daily(bot)
    drill = the_drill(bot, "cross_department", "2026-09")
    at(bot, local(2026, 9, 15, 9, 0))
    daily(bot)
    assert sent_labels(bot, drill.id) == ["7d"]

    at(bot, local(2026, 9, 16, 10, 0))
    for user in (AGENT, SUPERVISOR):  # an agent, another team's supervisor: not run_drill
        body = drill_cmd(bot, user, f"move {drill.id} 2026-09-25 10:00")
        assert "本次操作未生效" in body["text"] and "安全专员" in body["text"], body
    assert the_drill(bot, "cross_department", "2026-09").planned_at == local(2026, 9, 22, 15, 0)
    with session_scope(bot.ctx.engine) as s:
        refused = s.execute(select(AuditEvent.actor).where(AuditEvent.action == "refused_move_drill")).scalars().all()
    assert sorted(refused) == [AGENT, SUPERVISOR]

    # bad input: a clear answer, nothing stored
    for text, words in (("move", "用法"), (f"move {drill.id}", "用法"), (f"move {drill.id} 2026-13-01", "不是有效"),
                        (f"move {drill.id} 2026-09-25 25:00", "不是有效"), (f"move {drill.id} tomorrow", "不是有效"),
                        (f"move {drill.id} 2026-09-01", "已经过去"), ("move 999 2026-10-01", "没有编号为"),
                        ("dance", "无法识别")):
        body = drill_cmd(bot, OFFICER, text)
        assert words in body["text"], (text, body)
        assert the_drill(bot, "cross_department", "2026-09").planned_at == local(2026, 9, 22, 15, 0)
    assert "/drill move" in drill_cmd(bot, OFFICER, "help")["text"]

    before = len(notices_of(bot, drill.id))
    body = drill_cmd(bot, OFFICER, f"move {drill.id} 2026-09-25 10:00")
    assert "2026-09-25 10:00" in body["text"] and "本次操作未生效" not in body["text"]
    moved = the_drill(bot, "cross_department", "2026-09")
    assert (moved.planned_at, moved.moved_by, moved.notices) == (local(2026, 9, 25, 10, 0), OFFICER, [])
    with session_scope(bot.ctx.engine) as s:
        audit = s.execute(select(AuditEvent).where(AuditEvent.action == "drill_moved")).scalar_one()
    assert audit.actor == OFFICER and audit.before["planned_at"] == local(2026, 9, 22, 15, 0).isoformat()
    assert audit.after["planned_at"] == local(2026, 9, 25, 10, 0).isoformat()
    # people told of the old date hear of the move at once; the 7-day notice of the new date was due on
    # 18 September 09:00 and goes then, once
    posted = notices_of(bot, drill.id)
    assert len(posted) == before + 1 and "改期至" in everything(posted[-1]) and "2026-09-22 15:00" in everything(posted[-1])
    at(bot, local(2026, 9, 18, 8, 59))
    daily(bot)
    assert sent_labels(bot, drill.id) == []
    at(bot, local(2026, 9, 18, 9, 0))
    daily(bot)
    jobs.catch_up(bot.ctx)
    assert sent_labels(bot, drill.id) == ["7d"] and len(notices_of(bot, drill.id)) == before + 2
    assert "2026-09-25 10:00" in everything(notices_of(bot, drill.id)[-1])


# --------------------------------------------------------------------------- attendance and evaluation
def held_on_the_25th(bot) -> Drill:
    """The cross-department drill moved to Friday 25 September 2026 10:00, its day notice out, the clock at 11:00."""
    daily(bot)
    drill = the_drill(bot, "cross_department", "2026-09")
    assert "本次操作未生效" not in drill_cmd(bot, OFFICER, f"move {drill.id} 2026-09-25 10:00")["text"]
    at(bot, local(2026, 9, 25, 9, 0))
    daily(bot)
    assert sent_labels(bot, drill.id)[-1] == "day"
    at(bot, local(2026, 9, 25, 11, 0))
    return drill


def test_attendance_is_recorded_once_per_person_and_only_on_the_day(dbot):
    bot = dbot
    assert daily(bot)
    special = the_drill(bot, "special", "2026-11")
    bot.click(AGENT, ids.DRILL_ATTEND_ACTION, str(special.id))  # not its day
    assert "当天才能登记" in texts(bot, AGENT)[-1] and "本次操作未生效" in texts(bot, AGENT)[-1]
    drill = held_on_the_25th(bot)
    for _ in range(2):
        bot.click(AGENT, ids.DRILL_ATTEND_ACTION, str(drill.id))
    bot.click(AGENT2, ids.DRILL_ATTEND_ACTION, str(drill.id))
    answers = texts(bot, AGENT)
    assert "已登记" in answers[-2] and "无需重复登记" in answers[-1]
    with session_scope(bot.ctx.engine) as s:
        rows = s.execute(select(DrillAttendance.user_id).where(DrillAttendance.drill_id == drill.id)).scalars().all()
    assert sorted(rows) == [AGENT, AGENT2]
    assert the_drill(bot, "cross_department", "2026-09").status == "held"
    bot.click(AGENT, ids.DRILL_ATTEND_ACTION, "not-a-drill")
    assert "没有编号为" in texts(bot, AGENT)[-1]
    # the day after: still not evaluated, but attendance is over
    at(bot, local(2026, 9, 26, 9, 0))
    bot.click(SUPERVISOR, ids.DRILL_ATTEND_ACTION, str(drill.id))
    assert "只能在当天登记" in texts(bot, SUPERVISOR)[-1] and "本次操作未生效" in texts(bot, SUPERVISOR)[-1]
    with session_scope(bot.ctx.engine) as s:
        rows = s.execute(select(DrillAttendance.user_id).where(DrillAttendance.drill_id == drill.id)).scalars().all()
    assert sorted(rows) == [AGENT, AGENT2]


def test_evaluation_turns_each_problem_into_a_rectification_item_due_15_working_days_later_across_national_day(dbot):
    bot = dbot
    drill = held_on_the_25th(bot)
    for user in (AGENT, AGENT2, SUPERVISOR):
        bot.click(user, ids.DRILL_ATTEND_ACTION, str(drill.id))

    opened = len(bot.fake.of("views.open"))
    bot.click(AGENT, ids.DRILL_EVALUATE_ACTION, str(drill.id))  # not run_drill: refused, no form
    assert "本次操作未生效" in texts(bot, AGENT)[-1] and len(bot.fake.of("views.open")) == opened
    bot.click(OFFICER, ids.DRILL_EVALUATE_ACTION, str(drill.id))
    assert len(bot.fake.of("views.open")) == opened + 1
    view = bot.fake.of("views.open")[-1].params["view"]
    assert view["callback_id"] == ids.DRILL_VIEW and json.loads(view["private_metadata"]) == {"drill": drill.id}
    assert [b.get("block_id") for b in view["blocks"] if b["type"] == "input"] == list(ids.DRILL_FORM_BLOCKS)
    assert "15个工作日" in json.dumps(view, ensure_ascii=False) and "3人" in json.dumps(view, ensure_ascii=False)
    assert_valid_view(view)

    # a forged submission by someone without the permission is refused and stores nothing
    assert "本次操作未生效" in json.dumps(submit(bot, AGENT, drill.id, "95"), ensure_ascii=False)
    assert the_drill(bot, "cross_department", "2026-09").status == "held"

    evaluated_at = bot.clock.now()  # Friday 25 September 2026, 11:00 Shanghai
    assert submit(bot, OFFICER, drill.id, "85", "fire exit 2 blocked by boxes\n\n   emergency light in row 3 broken  \n",
                  "evacuation took 6 minutes; exits need clearing") == ""
    done = the_drill(bot, "cross_department", "2026-09")
    assert (done.status, done.score, done.passed, done.evaluated_by) == ("evaluated", 85, False, OFFICER)
    assert done.problems == ["fire exit 2 blocked by boxes", "emergency light in row 3 broken"]

    due_day = bot.ctx.org.workdays.add_working_days(dt.date(2026, 9, 25), 15)
    assert due_day == dt.date(2026, 10, 22)  # Oct 1-7 off, Sat 10 Oct worked
    with session_scope(bot.ctx.engine) as s:
        hazards = s.execute(select(Report).order_by(Report.id)).scalars().all()
        items = {i.report_id: i for i in s.execute(select(RectItem)).scalars()}
        timers = s.execute(select(Timer.subject_id, Timer.purpose, Timer.status)).all()
    assert [h.description for h in hazards] == done.problems
    for h in hazards:
        assert (h.kind, h.level, h.category, h.reporter_id, h.status) == ("hazard", 3, "other", OFFICER, "resolved")
        assert h.acknowledged_by == OFFICER and h.resolved_at == evaluated_at and "整改" in h.resolution_note
        assert f"#{drill.id}" in h.location and "2026-09-25" in h.location
        item = items[h.id]
        assert (item.state, item.approved_by, item.plan["measures"]) == ("in_progress", OFFICER, h.description)
        assert item.due_at == item.first_due_at == local(2026, 10, 22, 11, 0)
    purposes = {p for _, p, _ in timers}
    assert {"rectify", "rect_remind"} <= purposes and not purposes & {"acknowledge", "resolve"}

    bot.drain()
    lead = [c.params for c in bot.fake.of("chat.postMessage") if c.params.get("channel") == "C0LEAD"]
    assert len(lead) == 1
    report = everything(lead[0])
    for words in ("演练评估", "跨部门联合演练", "2026-09-25 10:00", "系统瘫痪", "85分", "合格线90分", "不合格", "3人",
                  f"<@{AGENT}>", f"<@{AGENT2}>", f"<@{SUPERVISOR}>", hazards[0].number, hazards[1].number,
                  "2026-10-22 11:00", "fire exit 2 blocked by boxes", "evacuation took 6 minutes"):
        assert words in report, words
    cards = [c.params for c in bot.fake.of("chat.postMessage") if c.params.get("channel") == "C0SAFETY"
             and "rect_facts" in json.dumps(c.params.get("blocks") or [])]
    assert len(cards) == 2 and all("2026-10-22 11:00" in everything(c) for c in cards)

    # evaluated once: a second submission or click is refused
    assert "本次操作未生效" in json.dumps(submit(bot, OFFICER, drill.id, "95"), ensure_ascii=False)
    bot.click(OFFICER, ids.DRILL_EVALUATE_ACTION, str(drill.id))
    assert "已由" in texts(bot, OFFICER)[-1]
    assert len(hazards) == 2 and the_drill(bot, "cross_department", "2026-09").score == 85
    # the problems' hazards were acknowledged by being filed, not by anyone answering: they stay out of the
    # time-to-acknowledge figures of the next morning's digest
    from bot.hazards import digest

    assert digest.daily_content(bot.ctx, local(2026, 9, 26, 8, 30))["tta"] == []


def test_bad_input_in_the_evaluation_form_gets_inline_errors_and_stores_nothing(dbot):
    bot = dbot
    drill = held_on_the_25th(bot)
    for score, problems in (("101", "a"), ("abc", None), ("", None), ("-5", None), ("９０", None),
                            ("90", "x" * 2001), ("90", "\n".join(f"p{n}" for n in range(21)))):
        body = submit(bot, OFFICER, drill.id, score, problems)
        assert body["response_action"] == "errors", (score, body)
        block = "score" if score != "90" else "problems"
        assert set(body["errors"]) == {block}, body
    assert "0到100" in submit(bot, OFFICER, drill.id, "101")["errors"]["score"]
    # `/drill evaluate <id>` opens the same form (a drill whose day notice is out of reach), refused to others
    opened = len(bot.fake.of("views.open"))
    assert "本次操作未生效" in drill_cmd(bot, AGENT, f"evaluate {drill.id}")["text"]
    assert "没有编号为" in drill_cmd(bot, OFFICER, "evaluate 999")["text"]
    drill_cmd(bot, OFFICER, f"evaluate {drill.id}")
    assert len(bot.fake.of("views.open")) == opened + 1
    assert bot.fake.of("views.open")[-1].params["view"]["callback_id"] == ids.DRILL_VIEW
    d = the_drill(bot, "cross_department", "2026-09")
    assert (d.status, d.score, d.problems) == ("planned", None, [])
    with session_scope(bot.ctx.engine) as s:
        assert s.execute(select(Report.id)).first() is None
    # empty problems are allowed: a pass, no hazard
    assert submit(bot, OFFICER, drill.id, "95", "  \n ", "") == ""
    d = the_drill(bot, "cross_department", "2026-09")
    assert (d.status, d.score, d.passed, d.problems) == ("evaluated", 95, True, [])
    bot.drain()
    lead = [everything(c.params) for c in bot.fake.of("chat.postMessage") if c.params.get("channel") == "C0LEAD"]
    assert len(lead) == 1 and "未发现问题" in lead[0] and "95分" in lead[0] and "不合格" not in lead[0]


def test_the_15_working_days_count_on_the_organisations_own_calendar(engine):
    # the organisation file adds a day off (a local arrangement) inside the 15 working days: one day later
    org = org_from("", **{"teams:\n": "calendar: {holidays: [2026-10-12]}\nteams:\n"})
    ctx = Context(org=org, engine=engine, clock=FrozenClock(local(2026, 9, 1, 8, 0)))
    with session_scope(engine) as s:
        layout.lay_out(ctx, s, ctx.clock.now())
        drill_id = s.execute(select(Drill.id).where(Drill.kind == "cross_department", Drill.period == "2026-09")
                             ).scalar_one()
    ctx.clock.set(local(2026, 9, 25, 11, 0))
    from bot.drills import evaluation

    outcome = evaluation.evaluate(ctx, OFFICER, {"drill": drill_id}, {"score": "90", "problems": "exit sign dark"},
                                  "zh-CN")
    assert outcome.ok, outcome
    with session_scope(engine) as s:
        item = s.execute(select(RectItem)).scalar_one()
    assert item.due_at == local(2026, 10, 23, 11, 0)  # 22 October without the organisation's own day off


def test_moving_a_drill_to_the_date_it_already_has_announces_nothing_again(dbot):
    bot = dbot
    assert daily(bot)
    drill = the_drill(bot, "cross_department", "2026-09")
    at(bot, local(2026, 9, 20, 10, 0))  # the new date's 7-day notice is due already: the move sends it at once
    assert "本次操作未生效" not in drill_cmd(bot, OFFICER, f"move {drill.id} 2026-09-25 10:00")["text"]
    after_first = len(notices_of(bot, drill.id))
    assert after_first >= 1
    for _ in range(3):  # the same move again: said so, nothing recorded, nobody told again
        body = drill_cmd(bot, OFFICER, f"move {drill.id} 2026-09-25 10:00")
        assert "未作改动" in body["text"], body
    with session_scope(bot.ctx.engine) as s:
        moves = s.execute(select(AuditEvent).where(AuditEvent.action == "drill_moved")).scalars().all()
    assert len(moves) == 1
    assert len(notices_of(bot, drill.id)) == after_first
    assert the_drill(bot, "cross_department", "2026-09").planned_at == local(2026, 9, 25, 10, 0)
