"""Rectification (整改, §4.3) over signed HTTP: the loop from the hazard card, deadlines in the organisation's
zone with an injected clock, reminders and the overdue ladder, every step refused to every role that may not
take it, recurring items and the supervisor flag."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from bot import ids
from bot.clock import FrozenClock
from bot.rectification import steps, work
from storage.db import session_scope
from storage.models import AuditEvent, RectItem, Report, Timer
from tests.conftest import org_from, start_bot, stop_bot

# 10:00 Shanghai on a Saturday (working hours: every day 08:00-22:00)
T0 = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.timezone.utc)
SH = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture
def rbot(db_url, fake_slack):
    clock = FrozenClock(T0)
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock)
    bot.clock = clock
    yield bot
    stop_bot(bot)


# --------------------------------------------------------------------------- helpers
def hazard(bot, user="U0AGENT1", location="row 3 desk 12", category="electrical") -> str:
    bot.report(user, level=2, category=category, location=location)
    with session_scope(bot.ctx.engine) as s:
        return s.execute(select(Report.number).order_by(Report.id.desc())).scalars().first()


def submit(bot, user, number, step, **values):
    status, body = bot.submit(user, values, callback_id=ids.RECT_VIEW,
                              private_metadata=json.dumps({"number": number, "step": step}))
    assert status == 200, body
    return body  # "" when accepted; {"response_action": "errors", ...} when refused


def item(bot, number) -> RectItem:
    with session_scope(bot.ctx.engine) as s:
        rid = s.execute(select(Report.id).where(Report.number == number)).scalar_one()
        return s.execute(select(RectItem).where(RectItem.report_id == rid)).scalar_one()


def actions(bot, number) -> list[str]:
    with session_scope(bot.ctx.engine) as s:
        rid = s.execute(select(Report.id).where(Report.number == number)).scalar_one()
        return [a for (a,) in s.execute(select(AuditEvent.action).where(AuditEvent.subject_type == "report", AuditEvent.subject_id == rid)
                                        .order_by(AuditEvent.id))]


def last_card(bot) -> dict:
    bot.drain()
    cards = [c.params for c in bot.fake.calls if c.method in ("chat.postMessage", "chat.update")
             and "rect_facts" in json.dumps(c.params.get("blocks") or [])]
    return cards[-1]


def card_text(card: dict) -> str:
    return json.dumps(card["blocks"], ensure_ascii=False)


def buttons(card: dict) -> list[str]:
    return [e["action_id"] for b in card["blocks"] if b.get("block_id") == ids.RECT_ACTIONS_BLOCK
            for e in b["elements"]]


def ephemerals(bot, user) -> list[str]:
    bot.drain()
    return [c.params["text"] for c in bot.fake.of("chat.postEphemeral") if c.params.get("user") == user]


def dms(bot, user) -> list[str]:
    bot.drain()
    return [c.params["text"] for c in bot.fake.of("chat.postMessage") if c.params.get("channel") == user]


def opened(bot) -> int:
    return len(bot.fake.of("views.open"))


def start(bot, number, likelihood="high", impact="general", who="U0SUPA"):
    before = opened(bot)
    bot.click(who, ids.RECT_START_ACTION, number)
    assert opened(bot) == before + 1  # the assessment form
    assert submit(bot, who, number, "assess", likelihood=likelihood, impact=impact) == ""


def plan(bot, number, who="U0SUPA"):
    before = opened(bot)
    bot.click(who, ids.RECT_PLAN_ACTION, number)
    assert opened(bot) == before + 1
    assert submit(bot, who, number, "plan", measures="tape the cord down, add a cable tray",
                  resources="one cable tray", target="2026-12-01") == ""


def approved(bot, number):
    start(bot, number)
    plan(bot, number)
    bot.click("U0HEAD", ids.RECT_APPROVE_ACTION, number)
    assert item(bot, number).state == "in_progress"


def sweep(bot, at: dt.datetime) -> int:
    bot.clock.set(at)
    n = bot.runtime.sweeper.run_once()
    bot.drain()
    return n


# --------------------------------------------------------------------------- the loop
def test_the_whole_loop_with_send_back_extensions_and_a_failed_verification(rbot):
    bot = rbot
    number = hazard(bot)
    start(bot, number, "high", "general")  # the seed's example: high likelihood × general impact → medium
    it = item(bot, number)
    assert (it.risk, it.state, it.accountable, it.assigned) == ("medium", "planning", "U0SUPA", "U0SUPA")
    card = last_card(bot)
    assert "中风险" in card_text(card) and "待提交整改方案" in card_text(card) and "<@U0SUPA>" in card_text(card)
    assert buttons(card) == [ids.RECT_PLAN_ACTION, ids.RECT_REASSIGN_ACTION]
    assert any("立了整改项" in t for t in dms(bot, "U0SUPA"))

    plan(bot, number)
    assert item(bot, number).state == "approval" and item(bot, number).plan_version == 1
    assert buttons(last_card(bot))[:2] == [ids.RECT_APPROVE_ACTION, ids.RECT_SEND_BACK_ACTION]
    assert any("请审批" in t for t in dms(bot, "U0HEAD")) and any("请审批" in t for t in dms(bot, "U0DEPUTY"))

    # send back: a comment is needed; the plan returns to the owner
    bot.click("U0HEAD", ids.RECT_SEND_BACK_ACTION, number)
    assert "errors" in json.dumps(submit(bot, "U0HEAD", number, "send_back", comment=""))
    assert submit(bot, "U0HEAD", number, "send_back", comment="no date for the tray") == ""
    assert item(bot, number).state == "planning"
    assert any("no date for the tray" in t for t in dms(bot, "U0SUPA"))
    plan(bot, number)
    assert item(bot, number).plan_version == 2

    # approval starts the deadline: medium risk → 1 week, shown in Asia/Shanghai
    bot.clock.set(T0 + dt.timedelta(hours=1))
    bot.click("U0DEPUTY", ids.RECT_APPROVE_ACTION, number)
    it = item(bot, number)
    assert it.state == "in_progress" and it.approved_by == "U0DEPUTY"
    assert it.due_at == T0 + dt.timedelta(hours=1, weeks=1) == it.first_due_at
    assert "2026-12-05 11:00" in card_text(last_card(bot))  # 03:00Z + 7 d, at +08:00

    # extension denied: the deadline stays
    bot.click("U0SUPA", ids.RECT_EXTENSION_ACTION, number)
    assert submit(bot, "U0SUPA", number, "extension", reason="the tray is back-ordered", new_date="2026-12-10") == ""
    assert item(bot, number).ext_due_at == dt.datetime(2026, 12, 10, 23, 59, tzinfo=SH)
    assert ids.RECT_EXT_APPROVE_ACTION in buttons(last_card(bot))
    bot.click("U0HEAD", ids.RECT_EXT_DENY_ACTION, number)
    it = item(bot, number)
    assert it.due_at == T0 + dt.timedelta(hours=1, weeks=1) and it.ext_due_at is None and it.extensions == 1

    # extension approved: the new date (end of that day in the organisation's zone); both dates kept
    bot.click("U0SUPA", ids.RECT_EXTENSION_ACTION, number)
    assert submit(bot, "U0SUPA", number, "extension", reason="the tray is back-ordered", new_date="2026-12-10") == ""
    bot.click("U0HEAD", ids.RECT_EXT_APPROVE_ACTION, number)
    it = item(bot, number)
    assert it.due_at == dt.datetime(2026, 12, 10, 23, 59, tzinfo=SH)
    assert it.first_due_at == T0 + dt.timedelta(hours=1, weeks=1)
    text = card_text(last_card(bot))
    assert "2026-12-10 23:59" in text and "2026-12-05 11:00" in text  # the deadline and the original one
    with session_scope(bot.ctx.engine) as s:
        ext = s.execute(select(AuditEvent).where(AuditEvent.action == "rect_extension_approved")).scalar_one()
        assert ext.after["previous_due"].startswith("2026-12-05T03:00") and ext.after["due"].startswith("2026-12-10T15:59")

    # completion report, then the safety officer fails it: back to work with a new deadline (1 week), but never
    # before the extension already approved (issue 19: the later of the two holds)
    bot.clock.set(T0 + dt.timedelta(days=3))
    bot.click("U0SUPA", ids.RECT_COMPLETE_ACTION, number)
    assert submit(bot, "U0SUPA", number, "complete", completion="tray fitted, cord inside") == ""
    assert item(bot, number).state == "verification"
    assert buttons(last_card(bot))[:2] == [ids.RECT_PASS_ACTION, ids.RECT_FAIL_ACTION]
    assert any("请验证" in t for t in dms(bot, "U0OFFICER"))
    bot.click("U0OFFICER", ids.RECT_FAIL_ACTION, number)
    assert submit(bot, "U0OFFICER", number, "verify_fail", reason="one cord still loose") == ""
    it = item(bot, number)
    assert T0 + dt.timedelta(days=3, weeks=1) < dt.datetime(2026, 12, 10, 23, 59, tzinfo=SH)
    assert it.state == "in_progress" and it.due_at == dt.datetime(2026, 12, 10, 23, 59, tzinfo=SH)
    assert any("one cord still loose" in t for t in dms(bot, "U0SUPA"))

    # again, and this time it passes: closed, with the time to close
    bot.clock.set(T0 + dt.timedelta(days=4))
    bot.click("U0SUPA", ids.RECT_COMPLETE_ACTION, number)
    assert submit(bot, "U0SUPA", number, "complete", completion="all cords in the tray") == ""
    bot.click("U0OFFICER", ids.RECT_PASS_ACTION, number)
    it = item(bot, number)
    assert it.state == "closed" and it.closed_at == T0 + dt.timedelta(days=4) and it.verified_by == "U0OFFICER"
    card = last_card(bot)
    assert "已闭环" in card_text(card) and "用时4天" in card_text(card) and buttons(card) == []
    assert [a for a in actions(bot, number) if a.startswith("rect_") and a != "rect_reminded"] == [
        "rect_assessed", "rect_plan_submitted", "rect_plan_sent_back", "rect_plan_submitted", "rect_plan_approved",
        "rect_extension_requested", "rect_extension_denied", "rect_extension_requested", "rect_extension_approved",
        "rect_completed", "rect_verified", "rect_completed", "rect_verified"]
    with session_scope(bot.ctx.engine) as s:
        rid = s.execute(select(Report.id).where(Report.number == number)).scalar_one()
        assert s.execute(select(Timer).where(Timer.subject_type == "report", Timer.subject_id == rid, Timer.purpose.in_(("rectify", "rect_remind")),
                                             Timer.status == "pending")).first() is None


def test_extension_is_refused_once_the_deadline_has_passed(rbot):
    bot = rbot
    number = hazard(bot)
    approved(bot, number)
    due = item(bot, number).due_at
    bot.clock.set(due + dt.timedelta(minutes=1))
    before = opened(bot)
    bot.click("U0SUPA", ids.RECT_EXTENSION_ACTION, number)
    assert opened(bot) == before  # no form
    assert any("已过" in t and "本次操作未生效" in t for t in ephemerals(bot, "U0SUPA"))
    # a form opened before the deadline and sent after it is refused too
    errors = submit(bot, "U0SUPA", number, "extension", reason="late", new_date="2026-12-08")
    assert "已过" in json.dumps(errors, ensure_ascii=False)
    assert item(bot, number).ext_due_at is None


def test_photos_are_required_where_the_policy_says(rbot):
    bot = rbot
    number = hazard(bot)
    start(bot, number, "high", "severe", who="U0OFFICER")  # high risk: the department head owns it
    it = item(bot, number)
    assert (it.risk, it.accountable) == ("high", "U0HEAD")
    plan(bot, number, who="U0HEAD")
    bot.click("U0DEPUTY", ids.RECT_APPROVE_ACTION, number)
    assert item(bot, number).due_at == T0 + dt.timedelta(hours=72)
    errors = submit(bot, "U0HEAD", number, "complete", completion="fixed")
    assert "照片" in json.dumps(errors, ensure_ascii=False)
    status, body = bot.submit("U0HEAD", {"completion": "fixed", "photos": [
        {"id": "F1", "name": "tray.jpg", "filetype": "jpg", "permalink": "https://files.example/F1"}]},
        callback_id=ids.RECT_VIEW, private_metadata=json.dumps({"number": number, "step": "complete"}))
    assert status == 200 and body == ""
    it = item(bot, number)
    assert it.state == "verification" and it.evidence[0]["permalink"] == "https://files.example/F1"
    assert "https://files.example/F1" in card_text(last_card(bot))


def test_low_risk_belongs_to_the_reporter_and_leadership_can_reassign(rbot):
    bot = rbot
    number = hazard(bot)
    start(bot, number, "low", "minor")
    it = item(bot, number)
    assert (it.risk, it.accountable, it.assigned) == ("low", "U0AGENT1", "U0AGENT1")
    bot.click("U0HEAD", ids.RECT_REASSIGN_ACTION, number)
    assert submit(bot, "U0HEAD", number, "reassign", accountable="U0SUPA", assigned="U0AGENT2") == ""
    it = item(bot, number)
    assert (it.accountable, it.assigned) == ("U0SUPA", "U0AGENT2")  # kept apart
    assert "<@U0AGENT2>" in card_text(last_card(bot))
    plan(bot, number, who="U0AGENT2")  # the assigned person may now write the plan; the reporter no longer
    bot.click("U0AGENT1", ids.RECT_REASSIGN_ACTION, number)
    assert any("本次操作未生效" in t for t in ephemerals(bot, "U0AGENT1"))


# --------------------------------------------------------------------------- deadlines
def reminders(bot, user="U0SUPA") -> list[str]:
    return [t for t in dms(bot, user) if "整改提醒" in t]


def test_reminders_before_the_deadline_then_overdue_and_the_ladder_each_once(rbot):
    bot = rbot
    number = hazard(bot)
    approved(bot, number)  # at T0 (10:00 Shanghai): medium → due in a week
    due = T0 + dt.timedelta(weeks=1)
    assert item(bot, number).due_at == due
    with session_scope(bot.ctx.engine) as s:
        rows = s.execute(select(Timer).where(Timer.purpose == "rect_remind").order_by(Timer.step)).scalars().all()
    # half-time (22:00 Shanghai, past working hours: fires at 08:00) and 24 h before
    assert [r.due_at for r in rows] == [T0 + dt.timedelta(days=3.5), due - dt.timedelta(hours=24)]
    assert rows[0].fire_at == dt.datetime(2026, 12, 2, 8, 0, tzinfo=SH)

    sweep(bot, rows[0].fire_at - dt.timedelta(seconds=1))
    assert reminders(bot) == []
    sweep(bot, rows[0].fire_at)
    assert len(reminders(bot)) == 1 and "2026-12-05 10:00" in reminders(bot)[0]
    sweep(bot, rows[1].fire_at)
    assert len(reminders(bot)) == 2 and "还剩1天" in reminders(bot)[1]

    sweep(bot, due - dt.timedelta(seconds=1))
    assert "已超期" not in card_text(last_card(bot))
    sweep(bot, due)  # the deadline: OVERDUE on the card, rung 0 to the owner and the team's supervisor
    assert "已超期" in card_text(last_card(bot)) and item(bot, number).overdue
    overdue = lambda user: [t for t in dms(bot, user) if "整改已超期" in t]  # noqa: E731
    assert len(overdue("U0SUPA")) == 1 and overdue("U0HEAD") == []
    sweep(bot, due + dt.timedelta(hours=24))  # rung 1: department head and deputy
    assert len(overdue("U0HEAD")) == 1 and len(overdue("U0DEPUTY")) == 1
    sweep(bot, due + dt.timedelta(hours=72))  # rung 2: the leadership channel
    lead = [c for c in bot.fake.of("chat.postMessage") if c.params.get("channel") == "C0LEAD"
            and "升级督办" in c.params["text"] and "整改" in c.params["text"]]
    assert len(lead) == 1
    sweep(bot, due + dt.timedelta(days=30))
    assert len(overdue("U0SUPA")) == 1 and len(overdue("U0HEAD")) == 1 and len(reminders(bot)) == 2  # each once


def test_an_approved_extension_moves_the_reminders_and_the_deadline(rbot):
    bot = rbot
    number = hazard(bot)
    approved(bot, number)
    bot.click("U0SUPA", ids.RECT_EXTENSION_ACTION, number)
    assert submit(bot, "U0SUPA", number, "extension", reason="parts", new_date="2026-12-12") == ""
    bot.click("U0HEAD", ids.RECT_EXT_APPROVE_ACTION, number)
    sweep(bot, T0 + dt.timedelta(weeks=1, minutes=1))  # the old deadline: nothing
    assert not item(bot, number).overdue
    new_due = dt.datetime(2026, 12, 12, 23, 59, tzinfo=SH)
    sweep(bot, new_due)
    assert item(bot, number).overdue


def test_two_overdue_items_in_a_row_flag_the_team_supervisor(rbot):
    bot = rbot
    first, second, third = hazard(bot, location="desk 1"), hazard(bot, location="desk 2"), hazard(bot, location="desk 3")
    approved(bot, first)
    bot.clock.set(T0 + dt.timedelta(hours=1))
    approved(bot, second)
    bot.clock.set(T0 + dt.timedelta(hours=2))
    approved(bot, third)
    # the first is finished in time: it breaks the row
    bot.click("U0SUPA", ids.RECT_COMPLETE_ACTION, first)
    assert submit(bot, "U0SUPA", first, "complete", completion="done") == ""
    bot.click("U0OFFICER", ids.RECT_PASS_ACTION, first)
    sweep(bot, T0 + dt.timedelta(weeks=1, hours=1))
    assert item(bot, second).overdue and not item(bot, second).flagged  # one overdue: not yet
    sweep(bot, T0 + dt.timedelta(weeks=1, hours=2))
    assert item(bot, third).flagged  # the second in a row
    with session_scope(bot.ctx.engine) as s:
        flags = s.execute(select(AuditEvent).where(AuditEvent.action == "rect_supervisor_flagged")).scalars().all()
    assert len(flags) == 1 and flags[0].after["supervisors"] == ["U0SUPA"] and flags[0].after["team"] == "Hotline A"
    assert "月度考核" in card_text(last_card(bot))


# --------------------------------------------------------------------------- recurring (§6.1.2)
def test_a_hazard_of_the_same_place_and_category_within_three_months_is_recurring_and_supervised(rbot):
    bot = rbot
    first = hazard(bot, location="Row 3  desk 12")
    start(bot, first)
    bot.clock.set(T0 + dt.timedelta(days=80))
    other = hazard(bot, location="row 3 desk 12", category="fire")  # another category: not recurring
    start(bot, other)
    again = hazard(bot, location="row 3 desk 12")
    start(bot, again)
    assert item(bot, other).recurring_of is None and not item(bot, other).supervised
    it = item(bot, again)
    with session_scope(bot.ctx.engine) as s:
        assert s.get(Report, it.recurring_of).number == first
    assert it.supervised
    assert any("督办事项" in t and first in t for t in dms(bot, "U0HEAD"))
    assert "督办事项" in card_text(last_card(bot)) and first in card_text(last_card(bot))
    bot.clock.set(T0 + dt.timedelta(days=200))  # beyond the window of the last one
    late = hazard(bot, location="row 3 desk 12")
    start(bot, late)
    assert item(bot, late).recurring_of is None


# --------------------------------------------------------------------------- permissions
EVERYONE = ("U0HEAD", "U0DEPUTY", "U0OFFICER", "U0SUPA", "U0SUPB", "U0AGENT1", "U0AGENT2", "U0IT", "U0SEC")
# (button, permission, the state it is tried in, who may) — a medium item of Hotline A: owner U0SUPA
TABLE = [
    (ids.RECT_START_ACTION, "assess", "none", {"U0HEAD", "U0DEPUTY", "U0OFFICER", "U0SUPA"}),
    (ids.RECT_PLAN_ACTION, "submit_plan", "planning", {"U0SUPA"}),
    (ids.RECT_REASSIGN_ACTION, "reassign", "planning", {"U0HEAD", "U0DEPUTY"}),
    (ids.RECT_APPROVE_ACTION, "approve_plan", "approval", {"U0HEAD", "U0DEPUTY"}),
    (ids.RECT_SEND_BACK_ACTION, "approve_plan", "approval", {"U0HEAD", "U0DEPUTY"}),
    (ids.RECT_EXTENSION_ACTION, "request_extension", "in_progress", {"U0SUPA"}),
    (ids.RECT_EXT_APPROVE_ACTION, "approve_extension", "extension", {"U0HEAD"}),
    (ids.RECT_EXT_DENY_ACTION, "approve_extension", "extension", {"U0HEAD"}),
    (ids.RECT_COMPLETE_ACTION, "complete", "in_progress", {"U0SUPA"}),
    (ids.RECT_PASS_ACTION, "verify", "verification", {"U0OFFICER"}),
    (ids.RECT_FAIL_ACTION, "verify", "verification", {"U0OFFICER"}),
]
# the forms' own steps, tried by submitting the form directly (a refused click opens none)
FORM_TABLE = [("assess", "assess", "none", {"likelihood": "high", "impact": "general"}),
              ("plan", "submit_plan", "planning", {"measures": "m", "resources": "r", "target": "2026-12-01"}),
              ("send_back", "approve_plan", "approval", {"comment": "no"}),
              ("extension", "request_extension", "in_progress", {"reason": "r", "new_date": "2026-12-06"}),
              ("complete", "complete", "in_progress", {"completion": "done"}),
              ("verify_fail", "verify", "verification", {"reason": "no"}),
              ("reassign", "reassign", "planning", {"accountable": "U0AGENT1", "assigned": "U0AGENT1"})]


def _items_in_every_state(bot) -> dict[str, str]:
    ctx, out = bot.ctx, {}
    for n, state in enumerate(("none", "planning", "approval", "in_progress", "extension", "verification")):
        number = out[state] = hazard(bot, location=f"desk {n}")
        if state == "none":
            continue
        assert steps.assess(ctx, number, "U0SUPA", "high", "general", "zh-CN").ok
        if state == "planning":
            continue
        assert steps.submit_plan(ctx, number, "U0SUPA", {"measures": "m", "target": "2026-12-01"}, "zh-CN").ok
        if state == "approval":
            continue
        assert steps.decide_plan(ctx, number, "U0HEAD", True, locale="zh-CN").ok
        if state == "extension":
            assert work.request_extension(ctx, number, "U0SUPA", "parts", "2026-12-08", "zh-CN").ok
        if state == "verification":
            assert work.complete(ctx, number, "U0SUPA", "done", [], "zh-CN").ok
    return out


def next_refusal(bot) -> None:
    """Refusals are answered once per person per `answers.refusals_every`: step the clock past it."""
    bot.clock.set(bot.clock.now() + bot.ctx.org.policy.answers.refusals_every.timedelta)


def _refused(bot, user, permission) -> int:
    with session_scope(bot.ctx.engine) as s:
        return len(s.execute(select(AuditEvent.id).where(AuditEvent.actor == user,
                                                         AuditEvent.action == f"refused_{permission}")).all())


def test_every_step_is_refused_to_every_role_that_may_not_take_it(rbot):
    bot = rbot
    numbers = _items_in_every_state(bot)
    bot.drain()
    wrong = []
    for action_id, permission, state, allowed in TABLE:
        number = numbers[state]
        for user in sorted(set(EVERYONE) - allowed):
            before, seen, views = _refused(bot, user, permission), len(ephemerals(bot, user)), opened(bot)
            next_refusal(bot)
            bot.click(user, action_id, number)
            said = ephemerals(bot, user)[seen:]
            if _refused(bot, user, permission) != before + 1 or len(said) != 1 or "本次操作未生效" not in said[0] \
                    or opened(bot) != views:
                wrong.append(f"{action_id} by {user}: {said}")
    for step, permission, state, values in FORM_TABLE:
        allowed = next(a for _, p, st, a in TABLE if p == permission and st == state)
        for user in sorted(set(EVERYONE) - allowed):
            before = _refused(bot, user, permission)
            answer = submit(bot, user, numbers[state], step, **values)
            if _refused(bot, user, permission) != before + 1 or "本次操作未生效" not in json.dumps(answer, ensure_ascii=False):
                wrong.append(f"form {step} by {user}: {answer}")
    assert wrong == []
    # nothing moved
    assert [item(bot, numbers[s]).state for s in ("planning", "approval", "in_progress", "verification")] == \
        ["planning", "approval", "in_progress", "verification"]
    assert item(bot, numbers["extension"]).ext_due_at is not None
    with session_scope(bot.ctx.engine) as s:
        rid = s.execute(select(Report.id).where(Report.number == numbers["none"])).scalar_one()
        assert s.execute(select(RectItem).where(RectItem.report_id == rid)).first() is None


def test_the_people_allowed_pass_the_check(rbot):
    """The other half of the table: each step's allowed people are not refused (their click opens the form or acts)."""
    bot = rbot
    numbers = _items_in_every_state(bot)
    for action_id, permission, state, allowed in TABLE:
        user = sorted(allowed)[0]
        before = _refused(bot, user, permission)
        bot.click(user, action_id, numbers[state])
        assert _refused(bot, user, permission) == before, (action_id, user)


def test_resolving_the_hazard_leaves_the_rectification_deadline_running(rbot):
    """The 24 h handling (处理) and the rectification (整改) are different steps: resolving the hazard must not
    cancel the item's reminders and deadline."""
    bot = rbot
    number = hazard(bot)
    approved(bot, number)
    status, body = bot.submit("U0SUPA", {"note": "cord taped down for now"}, callback_id=ids.RESOLVE_VIEW,
                              private_metadata=json.dumps({"number": number}))
    assert status == 200 and body == ""
    with session_scope(bot.ctx.engine) as s:
        assert s.execute(select(Report.status).where(Report.number == number)).scalar_one() == "resolved"
    sweep(bot, T0 + dt.timedelta(weeks=1))
    assert item(bot, number).overdue
    assert len(reminders(bot)) == 2


@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_the_rectification_steps_read_as_words_on_the_hazard_timeline(locale):
    """`/hazard status` names every rectification step in words, never by its action name."""
    import datetime as dt

    from bot.context import Context
    from bot.hazards.lookups import timeline_line
    from storage.models import AuditEvent
    from tests.conftest import org_from

    ctx = Context(org=org_from(), engine=None, clock=None)
    at = dt.datetime(2026, 11, 29, 2, 0, tzinfo=dt.timezone.utc)
    actions = ["rect_assessed", "rect_reassigned", "rect_plan_submitted", "rect_plan_approved", "rect_plan_sent_back",
               "rect_extension_requested", "rect_extension_approved", "rect_extension_denied", "rect_completed",
               "rect_reminded", "rect_overdue", "rect_escalated", "rect_recurring", "rect_supervisor_flagged",
               "rect_plan_reminded", "rect_plan_overdue", "rect_plan_escalated", "rect_approve_reminded",
               "rect_approve_overdue", "rect_approve_escalated"]
    events = [AuditEvent(at=at, actor="U0OFFICER", action=a, after={}, note="") for a in actions]
    events += [AuditEvent(at=at, actor="U0OFFICER", action="rect_verified", after={"passed": p}, note=n)
               for p, n in ((True, ""), (False, "cable still loose"))]
    lines = [timeline_line(ctx, locale, e) for e in events]
    assert not [line for line in lines if "rect_" in line]
    assert "cable still loose" in lines[-1] and lines[-1] != lines[-2]
