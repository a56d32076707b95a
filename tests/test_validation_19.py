"""Validation (issue 19), over signed HTTP: a photo is a file Slack gave; owners and reassignment targets are
people of the organisation file; picked days lie within `policy.rectification.dates_within` from today; a plan
sent back keeps its target date; a failed verification never undercuts an approved extension; a drill notice on
the drill's own day says "today"."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from bot import ids, jobs
from bot.clock import FrozenClock
from bot.drills.jobs import DAILY
from storage.db import session_scope
from storage.models import CorrectiveAction, Drill, RectItem
from tests.conftest import org_from, start_bot, stop_bot, without_jobs_of
from tests.test_incidents import incident, incidents, task

T0 = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.timezone.utc)  # Saturday 10:00 Shanghai
SH = dt.timezone(dt.timedelta(hours=8))
NUMBER = "HZ-2026-00001"


@pytest.fixture
def vbot(db_url, fake_slack):
    clock = FrozenClock(T0)
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock)
    bot.clock = clock
    yield bot
    stop_bot(bot)


def step(bot, user, name, number=NUMBER, **values):
    status, body = bot.submit(user, values, callback_id=ids.RECT_VIEW,
                              private_metadata=json.dumps({"number": number, "step": name}))
    assert status == 200, body
    return body


def errors(body) -> str:
    return json.dumps(body, ensure_ascii=False) if body else ""


def item(bot) -> RectItem:
    with session_scope(bot.ctx.engine) as s:
        return s.execute(select(RectItem)).scalar_one()


def started(bot, likelihood="high", impact="general", who="U0SUPA"):
    bot.report("U0AGENT1")
    assert step(bot, who, "assess", likelihood=likelihood, impact=impact) == ""


def in_progress(bot, likelihood="high", impact="general", owner="U0SUPA", assessor="U0SUPA"):
    started(bot, likelihood, impact, assessor)
    assert step(bot, owner, "plan", measures="tray", resources="one", target="2026-12-01") == ""
    bot.click("U0DEPUTY", ids.RECT_APPROVE_ACTION, NUMBER)
    assert item(bot).state == "in_progress"


# --------------------------------------------------------------------------- photos
@pytest.mark.parametrize("files", [[{}], [{"id": ""}], [{"name": "tray.jpg"}], [{"id": 7}], [{"id": "<!channel>"}]])
def test_a_high_risk_completion_needs_a_real_slack_file(vbot, files):
    bot = vbot
    in_progress(bot, "high", "severe", owner="U0HEAD", assessor="U0OFFICER")
    status, body = bot.submit("U0HEAD", {"completion": "fixed", "photos": files}, callback_id=ids.RECT_VIEW,
                              private_metadata=json.dumps({"number": NUMBER, "step": "complete"}))
    assert status == 200 and "照片" in errors(body), body
    assert item(bot).state == "in_progress"
    status, body = bot.submit("U0HEAD", {"completion": "fixed", "photos": [
        {"id": "F0TRAY1", "name": "tray.jpg", "filetype": "jpg", "permalink": "https://files.example/F0TRAY1"}]},
        callback_id=ids.RECT_VIEW, private_metadata=json.dumps({"number": NUMBER, "step": "complete"}))
    assert status == 200 and body == "" and item(bot).state == "verification"


# --------------------------------------------------------------------------- people
@pytest.mark.parametrize("target", ["USLACKBOT", "U0STRANGER", "C0LEAD", "<!channel>"])
def test_an_item_is_reassigned_only_to_people_of_the_organisation_file(vbot, target):
    bot = vbot
    started(bot, "low", "minor")
    for accountable, assigned in ((target, "U0AGENT2"), ("U0SUPA", target)):
        body = step(bot, "U0HEAD", "reassign", accountable=accountable, assigned=assigned)
        assert body and body["response_action"] == "errors", body
    it = item(bot)
    assert (it.accountable, it.assigned) == ("U0AGENT1", "U0AGENT1")
    assert step(bot, "U0HEAD", "reassign", accountable="U0SUPA", assigned="U0AGENT2") == ""
    assert (item(bot).accountable, item(bot).assigned) == ("U0SUPA", "U0AGENT2")


@pytest.mark.parametrize("owner", ["C0LEAD", "<!channel>", "USLACKBOT", "U0STRANGER"])
def test_a_corrective_action_is_owned_by_a_person_of_the_organisation_file(bot, owner):
    incident(bot, kind="personal_injury", description="agent tripped over a cable")
    number = incidents(bot)[0].number
    base = {"course": "tripped", "cause": "loose cable", "responsibility": "no monthly check"}
    status, answer = task(bot, "U0OFFICER", number, "investigation", dict(base, action_1="tie the cables",
                                                                          owner_1=owner))
    assert status == 200 and answer["response_action"] == "errors" and "owner_1" in answer["errors"], answer
    with session_scope(bot.ctx.engine) as s:
        assert not s.execute(select(CorrectiveAction)).first()
    bot.drain()
    assert not [c for c in bot.fake.of("chat.postMessage") if "tie the cables" in json.dumps(c.params)]
    status, answer = task(bot, "U0OFFICER", number, "investigation", dict(base, action_1="tie the cables",
                                                                          owner_1="U0SUPA"))
    assert status == 200 and not answer


def test_a_risk_is_owned_by_a_person_of_the_organisation_file(vbot):
    bot = vbot
    for owner in ("USLACKBOT", "U0STRANGER"):
        status, body = bot.submit("U0OFFICER", {"description": "wet floor", "likelihood": "high", "impact": "general",
                                                "owner": owner}, callback_id=ids.RISK_VIEW,
                                  private_metadata=json.dumps({"kind": "risk"}))
        assert status == 200 and body["response_action"] == "errors", body


# --------------------------------------------------------------------------- dates
@pytest.mark.parametrize("target, ok", [("0001-01-01", False), ("9999-12-31", False), ("2026-11-27", False),
                                        ("2027-11-29", False), ("2026-11-28", True), ("2027-11-28", True)])
def test_a_plans_target_date_lies_from_today_to_the_policys_window(vbot, target, ok):
    bot = vbot
    started(bot)
    body = step(bot, "U0SUPA", "plan", measures="tray", resources="", target=target)
    if ok:
        assert body == "" and item(bot).plan["target"] == target
    else:
        assert "2026-11-28" in errors(body) and "2027-11-28" in errors(body), body  # the window, named
        assert item(bot).state == "planning"


@pytest.mark.parametrize("due", ["0001-01-01", "9999-12-31", "2099-01-31"])
def test_a_corrective_actions_day_lies_within_the_window(bot, due):
    incident(bot, kind="personal_injury", description="agent tripped over a cable")
    number = incidents(bot)[0].number
    base = {"course": "tripped", "cause": "loose cable", "responsibility": "no monthly check"}
    status, answer = task(bot, "U0OFFICER", number, "investigation", dict(base, action_1="tie the cables",
                                                                          owner_1="U0SUPA", due_1=due))
    assert status == 200 and answer["response_action"] == "errors" and "due_1" in answer["errors"], answer


def test_a_plan_sent_back_and_resubmitted_keeps_its_target_date(vbot):
    bot = vbot
    started(bot)
    assert step(bot, "U0SUPA", "plan", measures="tray", resources="one", target="2026-12-03") == ""
    assert step(bot, "U0HEAD", "send_back", comment="say which tray") == ""
    bot.click("U0SUPA", ids.RECT_PLAN_ACTION, NUMBER)
    form = bot.fake.of("views.open")[-1].params["view"]
    pickers = [b["element"] for b in form["blocks"] if b.get("block_id") == "target"]
    assert pickers and pickers[0].get("initial_date") == "2026-12-03"  # the form shows the date it had
    assert step(bot, "U0SUPA", "plan", measures="the grey tray", resources="one") == ""  # date left as it was
    it = item(bot)
    assert it.plan_version == 2 and it.plan["target"] == "2026-12-03" and it.plan["measures"] == "the grey tray"


def test_a_failed_verification_never_sets_a_deadline_before_an_approved_extension(vbot):
    bot = vbot
    in_progress(bot)  # medium risk: due 2026-12-05 10:00; a failed verification gives a week from then
    assert step(bot, "U0SUPA", "extension", reason="tray back-ordered", new_date="2026-12-12") == ""
    bot.click("U0HEAD", ids.RECT_EXT_APPROVE_ACTION, NUMBER)
    extended = dt.datetime(2026, 12, 12, 23, 59, tzinfo=SH)
    assert item(bot).due_at == extended
    bot.clock.set(T0 + dt.timedelta(days=1))
    assert step(bot, "U0SUPA", "complete", completion="tray fitted") == ""
    assert step(bot, "U0OFFICER", "verify_fail", reason="one cord loose") == ""
    it = item(bot)
    assert it.state == "in_progress" and it.due_at == extended  # not 2026-12-06 10:00: the later day holds
    # without an extension, a week from the failed verification, as before
    bot.clock.set(T0 + dt.timedelta(days=2))
    assert step(bot, "U0SUPA", "complete", completion="cord tied") == ""
    bot.clock.set(dt.datetime(2026, 12, 10, 2, 0, tzinfo=dt.timezone.utc))
    assert step(bot, "U0OFFICER", "verify_fail", reason="still loose") == ""
    assert item(bot).due_at == dt.datetime(2026, 12, 17, 2, 0, tzinfo=dt.timezone.utc)


# --------------------------------------------------------------------------- the drill's own day
@pytest.fixture
def drill_bot(db_url, fake_slack, monkeypatch):
    without_jobs_of(monkeypatch, "checks")
    clock = FrozenClock(dt.datetime(2026, 9, 14, 8, 0, tzinfo=SH))  # Monday 08:00 Shanghai
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock)
    bot.clock = clock
    yield bot
    stop_bot(bot)


def test_a_drill_notice_on_the_drills_own_day_says_today(drill_bot):
    bot = drill_bot
    assert jobs.run_due(bot.ctx, DAILY)  # lays out the calendar
    with session_scope(bot.ctx.engine) as s:  # the cross-department drill of Tuesday 22 September, 15:00
        drill = s.execute(select(Drill).where(Drill.kind == "cross_department", Drill.period == "2026-09")).scalar_one()
    bot.clock.set(dt.datetime(2026, 9, 16, 7, 0, tzinfo=SH))  # before the day notice's hour
    status, body = bot.form({"token": "legacy", "team_id": "T1", "channel_id": "C0TEAMA", "user_id": "U0OFFICER",
                             "command": ids.DRILL_COMMAND, "text": f"move {drill.id} 2026-09-16 15:00",
                             "api_app_id": "A1", "response_url": "http://127.0.0.1:9/hooks", "trigger_id": "t"})
    assert status == 200 and "2026-09-16 15:00" in body["text"], body
    bot.drain()
    notices = [c.params for c in bot.fake.of("chat.postMessage") if c.params.get("channel") == "C0SAFETY"
               and f'"drill_notice:{drill.id}"' in json.dumps(c.params.get("blocks") or [])]
    assert notices, "no notice"
    words = notices[-1]["text"] + json.dumps(notices[-1]["blocks"], ensure_ascii=False)
    assert "今天" in words, words
    assert "将于（" not in words  # the day was never left out
