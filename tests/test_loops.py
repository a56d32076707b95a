"""Two loops that close, over signed HTTP: a verified rectification closes its hazard (§4.3.3 验证通过后，关闭隐患项)
and a failed one leaves it open; whoever a page asks to respond may acknowledge; a page names each person once."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from bot import ids
from bot.clock import FrozenClock
from bot.hazards.kinds import kind
from storage.db import session_scope
from storage.models import AuditEvent, Report, Timer
from tests.conftest import org_from, start_bot, stop_bot
from tests.test_incidents import PAGED_ROLES, incident, incidents, posts_to
from tests.test_rectification import T0, hazard, item, plan, start, submit, sweep


@pytest.fixture
def rbot(db_url, fake_slack):
    clock = FrozenClock(T0)
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock)
    bot.clock = clock
    yield bot
    stop_bot(bot)


def hazard_card(bot, number) -> dict:
    """The hazard card as Slack last saw it (its post or its latest edit; not the item's card, not a thread line)."""
    bot.drain()
    calls = [c.params for c in bot.fake.calls if c.method in ("chat.postMessage", "chat.update")
             and c.params.get("channel") == "C0SAFETY" and c.params.get("blocks") and not c.params.get("thread_ts")]
    return [c for c in calls if number in json.dumps(c["blocks"], ensure_ascii=False)
            and "rect_facts" not in json.dumps(c["blocks"])][-1]


def card_buttons(card: dict) -> list[str]:
    return [e.get("action_id") for b in card.get("blocks") or [] if b.get("type") == "actions"
            for e in b.get("elements", [])]


def report_of(bot, number) -> Report:
    with session_scope(bot.ctx.engine) as s:
        return s.execute(select(Report).where(Report.number == number)).scalar_one()


def to_verification(bot, number):
    start(bot, number)
    plan(bot, number)
    bot.click("U0HEAD", ids.RECT_APPROVE_ACTION, number)
    bot.click("U0SUPA", ids.RECT_COMPLETE_ACTION, number)
    assert submit(bot, "U0SUPA", number, "complete", completion="tray fitted") == ""
    assert item(bot, number).state == "verification"


def test_a_verified_rectification_closes_its_hazard_and_stops_its_ladder(rbot):
    bot = rbot
    number = hazard(bot)  # level 2, nobody acknowledges it
    sweep(bot, T0 + dt.timedelta(minutes=31))  # past its 30 min: OVERDUE on the card
    assert report_of(bot, number).overdue
    to_verification(bot, number)
    assert ids.RESOLVE_ACTION in card_buttons(hazard_card(bot, number))
    bot.clock.set(T0 + dt.timedelta(minutes=40))
    bot.click("U0OFFICER", ids.RECT_PASS_ACTION, number)
    r = report_of(bot, number)
    assert r.status == "resolved" and r.resolved_by == "U0OFFICER" and not r.overdue
    card = hazard_card(bot, number)
    assert ids.RESOLVE_ACTION not in card_buttons(card) and ids.ACK_ACTION not in card_buttons(card)
    with session_scope(bot.ctx.engine) as s:
        resolved = s.execute(select(AuditEvent).where(AuditEvent.subject_type == "report", AuditEvent.subject_id == r.id,
                                                      AuditEvent.action == "resolved")).scalar_one()
        assert resolved.after["via"] == "verification" and "验证通过" in resolved.note
        assert s.execute(select(Timer).where(Timer.subject_type == "report", Timer.subject_id == r.id, Timer.status == "pending")).first() is None
        escalated = len(s.execute(select(AuditEvent.id).where(AuditEvent.subject_type == "report", AuditEvent.subject_id == r.id,
                                                             AuditEvent.action == "escalated")).all())
    assert any("已关闭隐患项" in c.params["text"] for c in bot.fake.of("chat.postMessage")
               if c.params.get("channel") == "C0SAFETY")
    lead_before = len(posts_to(bot.fake, "C0LEAD"))
    sweep(bot, T0 + dt.timedelta(days=30))  # the resolve ladder would have reached the leadership channel
    with session_scope(bot.ctx.engine) as s:
        assert len(s.execute(select(AuditEvent.id).where(AuditEvent.subject_type == "report", AuditEvent.subject_id == r.id,
                                                         AuditEvent.action == "escalated")).all()) == escalated
    assert len(posts_to(bot.fake, "C0LEAD")) == lead_before


def test_a_failed_verification_leaves_the_hazard_open(rbot):
    bot = rbot
    number = hazard(bot)
    to_verification(bot, number)
    bot.click("U0OFFICER", ids.RECT_FAIL_ACTION, number)
    assert submit(bot, "U0OFFICER", number, "verify_fail", reason="cord still loose") == ""
    r = report_of(bot, number)
    assert item(bot, number).state == "in_progress" and r.status == "open"
    assert ids.RESOLVE_ACTION in card_buttons(hazard_card(bot, number))


def test_an_already_resolved_hazard_keeps_its_resolution_when_verified(rbot):
    bot = rbot
    number = hazard(bot)
    status, body = bot.submit("U0SUPA", {"note": "taped down"}, callback_id=ids.RESOLVE_VIEW,
                              private_metadata=json.dumps({"number": number}))
    assert status == 200 and body == ""
    to_verification(bot, number)
    bot.click("U0OFFICER", ids.RECT_PASS_ACTION, number)
    r = report_of(bot, number)
    assert r.status == "resolved" and r.resolved_by == "U0SUPA" and r.resolution_note == "taped down"


# --------------------------------------------------------------------------- pages
def test_security_paged_for_a_level_1_incident_may_acknowledge_it(bot):
    fake = bot.fake
    incident(bot, kind="customer_threat", description="caller threatens with a knife")
    r = incidents(bot)[0]
    fake.wait_for(lambda c: posts_to(fake, "U0SEC"), timeout=5)
    assert "请立即响应" in posts_to(fake, "U0SEC")[0].params["text"]
    bot.click("U0SEC", ids.ACK_ACTION, r.number)
    bot.drain()
    r = incidents(bot)[0]
    assert r.status == "acknowledged" and r.acknowledged_by == "U0SEC"
    assert not [c for c in fake.of("chat.postEphemeral") if c.params.get("user") == "U0SEC"]


def test_a_level_1_page_names_each_paged_person_once(bot):
    fake = bot.fake
    incident(bot, kind="customer_threat", description="caller threatens with a knife")
    fake.wait_for(lambda c: posts_to(fake, "C0LEAD"), timeout=5)
    lead = posts_to(fake, "C0LEAD")[0].params["text"]
    for user in PAGED_ROLES:
        assert lead.count(f"<@{user}>") == 1, lead
    # raised to level 1 from level 3: the thread line names each once too
    incident(bot, kind="complaint", description="caller getting angry")
    r = incidents(bot)[1]
    bot.drain()
    status, _ = bot.submit("U0SUPA", {"level": 1, "reason": "knife"}, callback_id="incident_level",
                           private_metadata=json.dumps({"number": r.number}))
    assert status == 200
    bot.drain()
    raised = [c.params["text"] for c in posts_to(fake, "C0SAFETY") if c.params.get("thread_ts")
              and "<@U0HEAD>" in c.params["text"] and r.number in c.params["text"]]
    assert raised and all(t.count(f"<@{u}>") == 1 for t in raised for u in PAGED_ROLES), raised
    leads = [c.params["text"] for c in posts_to(fake, "C0LEAD") if r.number in c.params["text"]]
    assert leads and all(t.count(f"<@{u}>") == 1 for t in leads for u in PAGED_ROLES), leads


def test_everyone_a_page_or_an_escalation_asks_to_act_may_act(bot):
    """For every incident kind and level, and every rung of every report ladder: the people the words ask to
    act (the page's "respond now", an escalation's "please acknowledge / handle") hold the permission; and
    over HTTP, each person a level-1 page asked to respond is not refused Acknowledge."""
    ctx, org = bot.ctx, bot.ctx.org
    ladder_action = {"acknowledge": "acknowledge", "resolve": "resolve", "special_report": "special_report",
                     "investigation": "investigate"}
    wrong = []
    for kind_name in ("hazard", "incident"):
        k = kind(org, kind_name)
        for level in k.section.levels:
            for category in k.section.categories:
                report = Report(kind=kind_name, level=level, category=category, team="Hotline A",
                                reporter_id="U0AGENT1", location="x", description="x")
                for user in ctx.directory.paged(report):
                    if not ctx.directory.allowed(user, "acknowledge", report.team, report):
                        wrong.append(f"{kind_name} {level} {category}: page asks {user}")
                for purpose, action in ladder_action.items():
                    try:
                        ladder = k.ladder(purpose)
                    except (KeyError, AttributeError):
                        continue
                    for step, rung in enumerate(ladder or []):
                        people = ctx.directory.resolve_people(list(rung.notify), report.team, report.reporter_id,
                                                              responders=list(k.level(level).responders))
                        wrong += [f"{kind_name} {level} {purpose}[{step}] asks {u}" for u in people
                                  if not ctx.directory.allowed(u, action, report.team, report)]
    assert wrong == []
    # over HTTP: each person the page DMs "respond now" can acknowledge a level-1 incident
    fake = bot.fake
    asked = []
    reporters = ("U0AGENT1", "U0AGENT2", "U0AGENT3", "U0SUPB")  # one each: a person's second would join their first
    for n, user in enumerate(sorted(PAGED_ROLES)):
        incident(bot, user=reporters[n], kind="fire", description=f"smoke {n}", location=f"room {n}")
        r = incidents(bot)[-1]
        assert r.group_id is None
        bot.drain()
        if n == 0:
            asked = [u for u in PAGED_ROLES if any("请立即响应" in c.params["text"] and r.number in c.params["text"]
                                                   for c in posts_to(fake, u))]
        bot.click(user, ids.ACK_ACTION, r.number)
        bot.drain()
        assert incidents(bot)[-1].acknowledged_by == user
    assert set(asked) == PAGED_ROLES
