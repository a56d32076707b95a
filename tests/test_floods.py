"""Floods, over signed HTTP: refused clicks never go ahead of a fire, and are answered once per person per few
seconds; /incident, the risk register, /drill move and @SafeShift words do not multiply what one person sends."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from bot import ids
from bot.clock import FrozenClock
from bot.outbox import URGENT
from storage.db import session_scope
from storage.models import AuditEvent, OutboxMessage, Report
from tests.conftest import org_from, start_bot, stop_bot

STRANGER = "U0STRANGER"


@pytest.fixture
def held(db_url, fake_slack):
    """The bot with its sender and sweeper not running: the test runs the sender when it chooses."""
    clock = FrozenClock(dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.timezone.utc))
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock, background=False)
    bot.clock = clock
    yield bot
    stop_bot(bot)


def refusals(bot, user) -> int:
    with session_scope(bot.ctx.engine) as s:
        return len(s.execute(select(AuditEvent.id).where(AuditEvent.actor == user,
                                                         AuditEvent.action.like("refused_%"))).all())


def send_all(bot) -> None:
    while bot.runtime.sender.run_once():
        pass


def test_a_level_1_card_goes_ahead_of_120_refused_clicks_answered_once(held):
    bot, fake = held, held.fake
    bot.report("U0AGENT1", level=2, location="desk 1")
    send_all(bot)
    number = _last_number(bot)
    for _ in range(120):
        bot.click(STRANGER, ids.ACK_ACTION, number)
    bot.report("U0AGENT2", level=1, category="fire", location="server room", description="smoke from the UPS")
    assert refusals(bot, STRANGER) == 120  # every attempt is in the operation log
    with session_scope(bot.ctx.engine) as s:
        answers = s.execute(select(OutboxMessage).where(OutboxMessage.method == "chat.postEphemeral")).scalars().all()
    assert len(answers) == 1 and answers[0].priority > URGENT  # coalesced, and behind urgent traffic
    first = len(fake.calls)
    send_all(bot)
    sent = [c for c in fake.calls[first:] if c.method in ("chat.postMessage", "chat.postEphemeral")]
    card = next(i for i, c in enumerate(sent) if c.method == "chat.postMessage"
                and "server room" in json.dumps(c.params.get("blocks") or [], ensure_ascii=False))
    answer = next(i for i, c in enumerate(sent) if c.method == "chat.postEphemeral")
    assert card < answer
    assert len([c for c in fake.of("chat.postEphemeral") if c.params.get("user") == STRANGER]) == 1
    # after the policy's interval, a new refusal is answered again
    bot.clock.set(bot.clock.now() + bot.ctx.org.policy.answers.refusals_every.timedelta + dt.timedelta(seconds=1))
    bot.click(STRANGER, ids.ACK_ACTION, number)
    send_all(bot)
    assert len([c for c in fake.of("chat.postEphemeral") if c.params.get("user") == STRANGER]) == 2


def test_a_refusal_still_waiting_takes_the_newer_words(held):
    bot, fake = held, held.fake
    bot.report("U0AGENT1", level=2, location="desk 1")
    number = _last_number(bot)
    bot.click(STRANGER, ids.ACK_ACTION, number)
    bot.click(STRANGER, ids.RESOLVE_ACTION, number)  # a different refusal before the first went out
    send_all(bot)
    said = [c.params["text"] for c in fake.of("chat.postEphemeral") if c.params.get("user") == STRANGER]
    assert len(said) == 1 and "处理" in said[0]


def _last_number(bot) -> str:
    with session_scope(bot.ctx.engine) as s:
        return s.execute(select(Report.number).order_by(Report.id.desc())).scalars().first()


# --------------------------------------------------------------------------- /incident
def test_a_strangers_burst_of_level_1_incidents_pages_once_and_each_keeps_its_number(bot):
    from tests.test_incidents import PAGED_ROLES, incident, incidents, posts_to

    fake = bot.fake
    for n in range(12):
        status, answer = incident(bot, user=STRANGER, kind="fire", description=f"smoke number {n}",
                                  location=f"room {n}")
        assert status == 200 and answer["response_action"] == "update"
    bot.drain()
    found = incidents(bot)
    assert len(found) == 12 and len({r.number for r in found}) == 12  # each stored, with its own number
    lead = found[0]
    assert all(r.group_id == lead.id for r in found[1:]) and lead.group_id is None
    assert len(posts_to(fake, "C0LEAD")) == 1  # one @mention post, not twelve
    for user in PAGED_ROLES:
        assert len([c for c in posts_to(fake, user) if "请立即响应" in c.params["text"]]) == 1, user
    cards = [c for c in posts_to(fake, "C0SAFETY") if not c.params.get("thread_ts") and c.params.get("blocks")]
    assert len(cards) == 1 and "unknown_reporter" in json.dumps(cards[0].params["blocks"])
    lines = [c.params["text"] for c in posts_to(fake, "C0SAFETY") if c.params.get("thread_ts")]
    for r in found[1:]:  # the thread of the first carries each later one's own number and words
        assert any(r.number in t and f"smoke number {found.index(r)}" in t for t in lines), r.number
    assert len([c for c in posts_to(fake, STRANGER) if "INC-" in c.params["text"]]) == 12  # each their own number
    # acknowledging the first carries the burst
    bot.click("U0OFFICER", ids.ACK_ACTION, found[5].number)
    bot.drain()
    assert {r.status for r in incidents(bot)} == {"acknowledged"}


def test_incidents_have_the_per_person_limit_and_level_1_is_never_refused(bot):
    from tests.test_incidents import incident, incidents

    for n in range(10):
        status, answer = incident(bot, user="U0AGENT1", kind="complaint", level=3, description=f"caller {n}")
        assert answer["response_action"] == "update", answer
    status, answer = incident(bot, user="U0AGENT1", kind="complaint", level=3, description="caller 11")
    assert status == 200 and answer["response_action"] == "errors" and "description" in answer["errors"]
    assert len(incidents(bot)) == 10
    with session_scope(bot.ctx.engine) as s:
        assert s.execute(select(AuditEvent).where(AuditEvent.action == "refused_report")).first() is not None
    status, answer = incident(bot, user="U0AGENT1", kind="fire", level=1, description="real fire now")
    assert answer["response_action"] == "update" and len(incidents(bot)) == 11


# --------------------------------------------------------------------------- the risk register
def _risk_submit(bot, user, kind="risk", view_id=None, description="wet floor by the pantry"):
    values = {"likelihood": "high", "impact": "severe"} if kind == "risk" else {"location": "pantry"}
    return bot.submit(user, {"description": description, **values}, view_id=view_id, callback_id=ids.RISK_VIEW,
                      private_metadata=json.dumps({"kind": kind}))


def _risks(bot, kind=None) -> int:
    from storage.models import Risk

    with session_scope(bot.ctx.engine) as s:
        q = select(Risk.id) if kind is None else select(Risk.id).where(Risk.kind == kind)
        return len(s.execute(q).all())


def test_one_form_is_one_row_of_the_register(bot):
    for _ in range(3):
        status, body = _risk_submit(bot, "U0OFFICER", view_id="VSAMEFORM1")
        assert status == 200 and body["response_action"] == "update"
    for _ in range(3):
        status, body = _risk_submit(bot, "U0AGENT1", kind="observation", view_id="VSAMEFORM2")
        assert status == 200 and body["response_action"] == "update"
    assert _risks(bot, "risk") == 1 and _risks(bot, "observation") == 1
    _risk_submit(bot, "U0OFFICER")  # another form is another row
    assert _risks(bot, "risk") == 2


def test_observations_have_the_per_person_limit_and_strangers_add_nothing(bot):
    limit = bot.ctx.org.policy.hazard.rate_limit
    for n in range(limit.max):
        status, body = _risk_submit(bot, "U0AGENT1", kind="observation", description=f"cable {n}")
        assert body["response_action"] == "update", body
    status, body = _risk_submit(bot, "U0AGENT1", kind="observation", description="one more")
    assert status == 200 and body["response_action"] == "errors"
    assert _risks(bot, "observation") == limit.max
    # a stranger: the form does not open, a forged submission stores nothing
    from tests.test_incidents import command

    before = len(bot.fake.of("views.open"))
    status, body = command(bot, "/risk", STRANGER, "observe")
    assert status == 200 and "组织名单" in body["text"] and len(bot.fake.of("views.open")) == before
    status, body = _risk_submit(bot, STRANGER, kind="observation", description="anything")
    assert body["response_action"] == "errors" and "组织名单" in body["errors"]["description"]
    assert _risks(bot, "observation") == limit.max
    with session_scope(bot.ctx.engine) as s:
        assert len(s.execute(select(AuditEvent.id).where(AuditEvent.actor == STRANGER,
                                                         AuditEvent.action == "refused_observe_risk")).all()) == 2
