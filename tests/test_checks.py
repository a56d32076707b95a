"""Recurring checks (#10): issued on their day (or the next working day) exactly once, to the right owners, with
reminders and the overdue ladder; Done / Problem found over signed HTTP; `/safeshift schedule`; the working-day
calendar (official days, the organisation's own, coverage warnings)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import jobs
from bot.checks import recurring
from bot.clock import FrozenClock
from bot.context import Context
from bot.sweeper import Sweeper
from bot.workdays import WorkCalendar
from storage.db import session_scope
from storage.models import AuditEvent, CheckTask, OutboxMessage, Timer
from tests.conftest import ORG_YAML, actions_payload, checkbox_state, org_from, start_bot, stop_bot

SH = ZoneInfo("Asia/Shanghai")
BASE = ORG_YAML.replace("  security: [U0SEC]\n", "  security: [U0SEC]\n  facilities: [U0FAC]\n  back_office: [U0BACK]\n") \
    .replace("members: [U0AGENT1, U0AGENT2]}",
             "members: [U0AGENT1, U0AGENT2], workstations: [A01, A02, A03, A04, A05, A06, A07, A08, A09, A10]}")
ONLY_UPS = """
checks:
  every:
    ups_test: {name: {en: UPS test, zh-CN: UPS测试}, every: week, weekday: wed, time: "10:00", due_within: 1d, owner: [facilities]}
""" + "".join(f"    {k}: null\n" for k in ("workstation_spot_check", "team_study", "fire_equipment", "emergency_kit",
                                             "comprehensive_inspection", "team_summary", "security_log_audit",
                                             "electrician", "leadership_meeting", "special_inspection", "risk_review",
                                             "data_security_audit"))


def local(y, m, d, hh=0, mm=0, tz=SH):
    return dt.datetime(y, m, d, hh, mm, tzinfo=tz).astimezone(dt.timezone.utc)


def make(engine, when, extra="", base=BASE):
    return Context(org=org_from(extra, base=base), engine=engine, clock=FrozenClock(when))


def run_days(ctx, job: str, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """Fire `job` at every moment its trigger says in [start, end], the clock set to each: what the scheduler does."""
    ran = []
    for moment in jobs.fire_times(jobs.triggers(ctx.org)[job], start, end):
        ctx.clock.set(moment)
        if jobs.run_job(ctx, job, moment):
            ran.append(moment)
    return ran


def tasks_of(engine, name: str | None = None) -> list[CheckTask]:
    with session_scope(engine) as s:
        q = select(CheckTask).order_by(CheckTask.id)
        if name:
            q = q.where(CheckTask.name == name)
        return s.execute(q).scalars().all()


def posts(engine, channel: str) -> list[dict]:
    with session_scope(engine) as s:
        return [r.payload for r in s.execute(select(OutboxMessage).where(OutboxMessage.method == "chat.postMessage")
                                             .order_by(OutboxMessage.id)).scalars() if r.payload["channel"] == channel]


def test_a_weekly_check_comes_on_its_day_once_and_on_the_next_working_day_when_its_day_is_off(engine):
    # Wed 30 Sep 2026 is a working day; Wed 7 Oct is in the National Day holiday (1-7 Oct): Thu 8 Oct instead.
    ctx = make(engine, local(2026, 9, 28), ONLY_UPS)
    job = recurring.job_name("ups_test")
    run_days(ctx, job, local(2026, 9, 28), local(2026, 10, 16, 23, 59))
    got = [(t.day, t.issued_at.astimezone(SH).date(), t.owners, t.due_at.astimezone(SH)) for t in tasks_of(engine)]
    assert got == [
        (dt.date(2026, 9, 30), dt.date(2026, 9, 30), ["U0FAC"], dt.datetime(2026, 10, 1, 10, 0, tzinfo=SH)),
        (dt.date(2026, 10, 7), dt.date(2026, 10, 8), ["U0FAC"], dt.datetime(2026, 10, 9, 10, 0, tzinfo=SH)),
        (dt.date(2026, 10, 14), dt.date(2026, 10, 14), ["U0FAC"], dt.datetime(2026, 10, 15, 10, 0, tzinfo=SH)),
    ]
    # one DM per occurrence, at 10:00 local, with Done / Problem found
    dms = posts(engine, "U0FAC")
    assert len(dms) == 3
    assert [e["action_id"] for b in dms[0]["blocks"] if b["type"] == "actions" for e in b["elements"]] == \
        ["task_ok", "task_problem"]
    # a second process, a restart, the same runs again: nothing new
    ctx2 = make(engine, local(2026, 10, 16), ONLY_UPS)
    for moment in jobs.fire_times(jobs.triggers(ctx2.org)[job], local(2026, 9, 28), local(2026, 10, 16, 23, 59)):
        ctx2.clock.set(moment)
        jobs.run_job(ctx2, job, moment)
    assert len(tasks_of(engine)) == 3 and len(posts(engine, "U0FAC")) == 3


def test_an_outage_over_a_checks_day_still_issues_it_while_it_can_be_done(engine):
    ctx = make(engine, local(2026, 11, 30), ONLY_UPS)
    job = recurring.job_name("ups_test")
    # down from Tuesday to Wednesday 20:00 (the 10:00 run missed); start-up makes up the latest run
    ctx.clock.set(local(2026, 12, 2, 20, 0))
    jobs.installed_at(ctx, local(2026, 11, 30))
    assert (job, local(2026, 12, 2, 10, 0)) in jobs.catch_up(ctx)
    assert [t.day for t in tasks_of(engine)] == [dt.date(2026, 12, 2)]
    # down over a whole week: the next day's run issues last week's only while it can still be done
    tasks_before = len(tasks_of(engine))
    ctx.clock.set(local(2026, 12, 10, 10, 0))  # Thursday: last Wednesday's (9 Dec) is due Thu 10:00 - gone
    jobs.run_job(ctx, job, local(2026, 12, 10, 10, 0))
    assert len(tasks_of(engine)) == tasks_before


def test_each_team_gets_its_spot_check_with_a_fifth_of_its_workstations_at_random(engine):
    ctx = make(engine, local(2026, 12, 3, 10, 0))  # Thursday: the default workstation_spot_check
    jobs.run_job(ctx, recurring.job_name("workstation_spot_check"), local(2026, 12, 3, 10, 0))
    got = {t.team: t for t in tasks_of(engine, "workstation_spot_check")}
    assert set(got) == {"Hotline A", "Hotline B"}
    a, b = got["Hotline A"], got["Hotline B"]
    assert a.owners == ["U0SUPA"] and b.owners == ["U0SUPB"]
    assert len(a.sample) == 2 and set(a.sample) <= {f"A{n:02d}" for n in range(1, 11)}
    assert b.sample == ["U0AGENT3"]  # no workstations listed: the members' own, at least one
    dm = posts(engine, "U0SUPA")[0]
    sample_block = next(b for b in dm["blocks"] if b.get("block_id") == "task_sample")
    assert all(x in sample_block["text"]["text"] for x in a.sample)
    dm_b = posts(engine, "U0SUPB")[0]
    assert "<@U0AGENT3>" in next(b for b in dm_b["blocks"] if b.get("block_id") == "task_sample")["text"]["text"]


def test_reminder_overdue_and_ladder_fire_once_each_and_stop_when_done(engine):
    ctx = make(engine, local(2026, 12, 2, 10, 0), ONLY_UPS)
    jobs.run_job(ctx, recurring.job_name("ups_test"), local(2026, 12, 2, 10, 0))
    task = tasks_of(engine)[0]
    sweeper = Sweeper(ctx)
    ctx.clock.set(local(2026, 12, 3, 8, 0))  # 2 h before the due time: the reminder
    assert sweeper.run_once() == 1 and sweeper.run_once() == 0
    assert "UPS测试" in posts(engine, "U0FAC")[-1]["text"]
    ctx.clock.set(local(2026, 12, 3, 10, 0))  # due: overdue + the first rung (the owner)
    assert sweeper.run_once() == 2
    assert tasks_of(engine)[0].overdue
    ctx.clock.set(local(2026, 12, 3, 14, 0))  # +4 h: the safety officer
    assert sweeper.run_once() == 1
    assert "<@U0FAC>" in posts(engine, "U0OFFICER")[-1]["text"]
    from bot.checks import tasks

    assert tasks.complete(ctx, str(task.id), "U0FAC", True).ok
    with session_scope(engine) as s:  # the completion itself stops what is left, in its transaction
        assert s.execute(select(Timer.id).where(Timer.subject_type == "check_task", Timer.subject_id == task.id, Timer.status == "pending")).first() is None
    ctx.clock.set(local(2026, 12, 5))
    assert sweeper.run_once() == 0  # the last rung was cancelled by the completion
    with session_scope(engine) as s:
        states = sorted(t.status for t in s.execute(select(Timer).where(Timer.subject_type == "check_task", Timer.subject_id == task.id)).scalars())
        done = s.execute(select(AuditEvent).where(AuditEvent.action == "check_done")).scalars().all()
    assert states == ["cancelled", "fired", "fired", "fired", "fired"]
    assert [(d.actor, d.after["task"], d.after["late"]) for d in done] == [("U0FAC", task.id, True)]
    assert posts(engine, "C0LEAD") == []


@pytest.fixture
def check_bot(db_url, fake_slack):
    clock = FrozenClock(local(2026, 12, 2, 10, 0))
    bot = start_bot(db_url, fake_slack, org_from(ONLY_UPS, base=BASE), clock=clock)
    yield bot
    stop_bot(bot)


def click(bot, user: str, action_id: str, value: str, ticked: list[str] | None = None, channel: str = "D0DM"):
    status, _ = bot.interactive(actions_payload(user, action_id, value, channel, "9.1", block_id="task_actions",
                                                state=checkbox_state(ticked or [])))
    assert status == 200


def test_done_over_signed_http_edits_the_message_and_refuses_anyone_else(check_bot):
    bot = check_bot
    jobs.run_job(bot.ctx, recurring.job_name("ups_test"), local(2026, 12, 2, 10, 0))
    bot.ctx.wake()
    bot.fake.wait_for(lambda c: c.method == "chat.postMessage" and c.params.get("channel") == "U0FAC")
    task = tasks_of(bot.ctx.engine)[0]
    click(bot, "U0AGENT1", "task_ok", str(task.id))  # not an owner
    refusal = bot.fake.wait_for(lambda c: c.method == "chat.postEphemeral" and c.params["user"] == "U0AGENT1")[-1]
    assert "本次操作未生效" in refusal.params["text"]
    assert tasks_of(bot.ctx.engine)[0].status == "pending"
    click(bot, "U0FAC", "task_ok", str(task.id))
    update = bot.fake.wait_for(lambda c: c.method == "chat.update")[-1]
    done = next(b for b in update.params["blocks"] if b.get("block_id") == "task_done")
    assert "<@U0FAC>" in done["elements"][0]["text"]
    assert not any(b["type"] == "actions" for b in update.params["blocks"])  # no buttons left
    got = tasks_of(bot.ctx.engine)[0]
    assert (got.status, got.done_by, got.done_at) == ("done", "U0FAC", local(2026, 12, 2, 10, 0))
    click(bot, "U0FAC", "task_ok", str(task.id))  # twice: says who already did it, changes nothing
    again = bot.fake.wait_for(lambda c: c.method == "chat.postEphemeral" and c.params["user"] == "U0FAC")[-1]
    assert "已由" in again.params["text"]
    for bad in ("", "abc", "99999999", "1" * 40, "７"):
        click(bot, "U0FAC", "task_ok", bad)
    bot.drain()
    assert len([c for c in bot.fake.of("chat.postEphemeral") if "不存在" in c.params["text"]]) == 5


def test_problem_found_records_it_and_opens_the_hazard_form_prefilled(check_bot):
    bot = check_bot
    jobs.run_job(bot.ctx, recurring.job_name("ups_test"), local(2026, 12, 2, 10, 0))
    task = tasks_of(bot.ctx.engine)[0]
    click(bot, "U0FAC", "task_problem", str(task.id))
    opened = bot.fake.wait_for(lambda c: c.method == "views.open")[-1]
    view = json.loads(opened.params["view"]) if isinstance(opened.params["view"], str) else opened.params["view"]
    description = next(b for b in view["blocks"] if b.get("block_id") == "description")
    assert "UPS测试" in description["element"]["initial_value"]
    assert json.loads(view["private_metadata"]) == {"check_task": task.id}
    got = tasks_of(bot.ctx.engine)[0]
    assert (got.status, got.done_by) == ("problem", "U0FAC")
    # someone else submitting a form that names the task links nothing; the finder's report is linked, once
    meta = json.dumps({"check_task": task.id})
    bot.report("U0AGENT1", private_metadata=meta)
    assert tasks_of(bot.ctx.engine)[0].report_id is None
    bot.report("U0FAC", level=3, category="equipment", description="UPS fails its test", private_metadata=meta)
    from storage.models import Report

    with session_scope(bot.ctx.engine) as s:
        mine = s.execute(select(Report).where(Report.reporter_id == "U0FAC")).scalar_one()
    assert tasks_of(bot.ctx.engine)[0].report_id == mine.id
    update = bot.fake.wait_for(lambda c: c.method == "chat.update" and mine.number in json.dumps(
        c.params.get("blocks"), ensure_ascii=False))[-1]
    assert update.params["channel"] == "U0FAC" or update.params["channel"].startswith("D")


def test_a_checklist_with_items_ticked_but_all_ok_pressed_records_nothing(engine):
    ctx = make(engine, local(2026, 12, 2, 10, 0))
    from bot.checks import tasks

    with session_scope(engine) as s:
        task = tasks.issue(ctx, s, kind="patrol", name="patrol", key="patrol:test", owners=["U0OFFICER"],
                           day=dt.date(2026, 12, 2), due_at=local(2026, 12, 2, 18, 0), now=ctx.clock.now())
        task_id = task.id
    out = tasks.complete(ctx, str(task_id), "U0OFFICER", True, ["electrical"], "zh-CN")
    assert not out.ok and "用电安全" in out.message and tasks_of(engine)[0].status == "pending"
    out = tasks.complete(ctx, str(task_id), "U0OFFICER", False, ["electrical", "not-an-item"], "zh-CN")
    assert out.ok and tasks_of(engine)[0].problems == ["electrical"]
    assert "用电安全" in next(b for b in out.form["blocks"] if b.get("block_id") == "description")[
        "element"]["initial_value"]


def test_schedule_lists_my_checks_my_teams_and_nothing_of_others(engine):
    ctx = make(engine, local(2026, 11, 30, 9, 0))  # Monday
    from bot.checks import schedule

    text, blocks = schedule.answer(ctx, "U0SUPA", "schedule", "en")
    assert "2026-11-30" in text and "2026-12-06" in text
    assert "Workstation spot check (Hotline A): issued Thu 12-03 at 10:00" in text
    assert "Hotline B" not in text  # another team's check is not mine
    text, _ = schedule.answer(ctx, "U0FAC", "", "en")
    assert "UPS / generator test" in text and "Workstation spot check" not in text
    text, _ = schedule.answer(ctx, "U0HEAD", "schedule", "zh-CN")  # the leadership group sees every team's
    assert "Hotline A" in text and "Hotline B" in text
    text, _ = schedule.answer(ctx, "U0AGENT1", "help", "en")
    assert "/safeshift schedule" in text


def test_the_calendar_follows_official_swaps_and_the_organisations_own_days():
    cal = WorkCalendar()
    assert not cal.is_working_day(dt.date(2026, 10, 1)) and cal.is_working_day(dt.date(2026, 10, 10))  # Sat worked
    assert cal.add_working_days(dt.date(2026, 9, 25), 15) == dt.date(2026, 10, 22)
    own = WorkCalendar(extra_holidays=[dt.date(2027, 1, 4)], extra_workdays=[dt.date(2027, 1, 9)])
    assert not own.is_working_day(dt.date(2027, 1, 4)) and own.is_working_day(dt.date(2027, 1, 9))
    assert 2027 in own.covered_years()
    assert WorkCalendar().uncovered(dt.date(2026, 11, 29)) == [y for y in [2027] if y not in WorkCalendar().covered_years()]
    germany = WorkCalendar(country="DE")  # another country: the package's rules, no yearly notice to wait for
    assert not germany.is_working_day(dt.date(2025, 10, 3)) and germany.is_working_day(dt.date(2025, 10, 2))  # a Friday off
    assert germany.uncovered(dt.date(2026, 11, 29)) == []
    with pytest.raises(Exception, match="unknown country"):
        org_from(base=BASE + "calendar: {country: XX}\n")


def test_a_check_keeps_its_local_time_across_a_dst_change(engine):
    berlin = ZoneInfo("Europe/Berlin")
    daily_ups = ONLY_UPS.replace("every: week, weekday: wed", "every: week, weekday: mon")
    ctx = make(engine, local(2026, 10, 19, tz=berlin), daily_ups, base=BASE.replace("Asia/Shanghai", "Europe/Berlin"))
    run_days(ctx, recurring.job_name("ups_test"), local(2026, 10, 19, tz=berlin), local(2026, 10, 27, tz=berlin))
    issued = [t.issued_at for t in tasks_of(engine)]
    # Mon 19 Oct 10:00 CEST = 08:00 UTC; Mon 26 Oct (after the clocks went back on the 25th) 10:00 CET = 09:00 UTC
    assert issued == [dt.datetime(2026, 10, 19, 8, 0, tzinfo=dt.timezone.utc),
                      dt.datetime(2026, 10, 26, 9, 0, tzinfo=dt.timezone.utc)]
    assert [t.issued_at.astimezone(berlin).hour for t in tasks_of(engine)] == [10, 10]


def test_the_home_tab_lists_my_open_checks_only(engine):
    from bot.home import home_view
    from tests.slackschema import assert_valid_view

    ctx = make(engine, local(2026, 12, 2, 10, 0), ONLY_UPS)
    jobs.run_job(ctx, recurring.job_name("ups_test"), local(2026, 12, 2, 10, 0))
    view = home_view(ctx, "U0FAC", "en")
    assert_valid_view(view)
    assert "UPS test" in json.dumps(view) and "Your checks to do" in json.dumps(view)
    assert "UPS test" not in json.dumps(home_view(ctx, "U0AGENT1", "en"))
    from bot.checks import tasks

    tasks.complete(ctx, str(tasks_of(engine)[0].id), "U0FAC", True)
    assert "UPS test" not in json.dumps(home_view(ctx, "U0FAC", "en"))


def test_the_daily_digest_names_todays_checks_the_days_drill_and_checks_past_due(engine):
    from bot.hazards import digest
    from storage.models import Drill

    ctx = make(engine, local(2026, 12, 3, 8, 30))  # Thursday: the weekly spot check of every team
    with session_scope(engine) as s:
        s.add(Drill(kind="fire", period="2026-12", plan="fire", planned_at=local(2026, 12, 3, 15, 0),
                    created_at=ctx.clock.now(), status="planned", summary=""))
    [dept, team_a, _team_b] = digest.daily_payloads(ctx, ctx.clock.now())
    for p in (dept, team_a):
        line = next(b for b in p["blocks"] if b["type"] == "context" and "今日检查与演练" in json.dumps(
            b, ensure_ascii=False))["elements"][0]["text"]
        assert "工位安全抽查（10:00）" in line and "消防疏散演练，15:00" in line and "没有安排" not in line
    ups_day = make(engine, local(2026, 12, 2, 8, 30), ONLY_UPS)  # Wednesday: UPS, nothing for a team
    dept, team_a = digest.daily_payloads(ups_day, ups_day.clock.now())[:2]
    assert "UPS测试（10:00）" in json.dumps(dept["blocks"], ensure_ascii=False)
    assert "UPS测试" not in json.dumps(team_a["blocks"], ensure_ascii=False)
    # a check past its due time, still open, is named the next morning
    jobs.run_job(ups_day, recurring.job_name("ups_test"), local(2026, 12, 2, 10, 0))
    ups_day.clock.set(local(2026, 12, 3, 10, 0))
    Sweeper(ups_day).run_once()
    ups_day.clock.set(local(2026, 12, 4, 8, 30))
    dept = digest.daily_payloads(ups_day, ups_day.clock.now())[0]
    assert "1项检查已超期：UPS测试" in json.dumps(dept["blocks"], ensure_ascii=False)


def test_a_working_day_deadline_of_a_hazard_counts_on_the_organisations_calendar(engine):
    from bot.hazards import create
    from bot.hazards.kinds import kind

    def resolve_by(base):
        ctx = make(engine, local(2026, 9, 30, 10, 0), "hazard:\n  levels:\n    3: {resolve_within: 1wd}\n", base=base)
        data, _ = create.validate_report(kind(ctx.org), "en", {"level": "3", "category": "equipment",
                                                                 "description": "headset"})
        made = create.create_report(ctx, "hazard", source_key=str(uuid.uuid4()), reporter_id="U0AGENT1", data=data)
        return made.report.resolve_due_at.astimezone(SH)

    assert resolve_by(BASE) == dt.datetime(2026, 10, 8, 10, 0, tzinfo=SH)  # over the National Day week
    # the organisation file's own day off (a local arrangement) counts too
    assert resolve_by(BASE + "calendar: {holidays: [2026-10-08]}\n") == dt.datetime(2026, 10, 9, 10, 0, tzinfo=SH)


def test_a_hazard_filed_from_a_check_and_its_link_are_one_transaction(check_bot, monkeypatch):
    """#18: the report and the check's link are written together, or neither (a crash used to lose the link)."""
    from bot.checks import tasks
    from bot.hazards import create
    from storage.models import Report

    bot = check_bot
    jobs.run_job(bot.ctx, recurring.job_name("ups_test"), local(2026, 12, 2, 10, 0))
    task = tasks_of(bot.ctx.engine)[0]
    click(bot, "U0FAC", "task_problem", str(task.id))
    assert tasks_of(bot.ctx.engine)[0].status == "problem"
    data, errors = create.validate_report(create.kind(bot.ctx.org, "hazard"), "zh-CN", {
        "category": "equipment", "level": "3", "location": "机房", "description": "UPS fails its test"})
    assert not errors

    def crash(*a, **k):
        raise RuntimeError("the process dies while linking")

    monkeypatch.setattr(tasks, "update_messages", crash)
    with pytest.raises(RuntimeError):
        tasks.report_problem(bot.ctx, str(task.id), "U0FAC", data, source_key="V_CRASH", origin_channel=None,
                             locale="zh-CN")
    with session_scope(bot.ctx.engine) as s:
        assert s.execute(select(Report.id).where(Report.source_key == "V_CRASH")).first() is None
    assert tasks_of(bot.ctx.engine)[0].report_id is None
    monkeypatch.undo()
    created = tasks.report_problem(bot.ctx, str(task.id), "U0FAC", data, source_key="V_OK", origin_channel=None,
                                   locale="zh-CN")
    assert created.created and tasks_of(bot.ctx.engine)[0].report_id == created.report.id
