"""Authorisation of every action for every role, and personal data kept out of Slack."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from bot import prefs  # noqa: F401
from bot.clock import FrozenClock
from bot.context import Context
from bot.hazards import (  # noqa: F401
    create,
    forms,  # noqa: F401
    lookups,
    transitions,
)
from bot.hazards.kinds import kind  # noqa: F401
from storage.db import session_scope
from storage.models import AuditEvent, Report
from tests.conftest import org_from

T0 = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.timezone.utc)

ROLES = {
    "agent (reporter's team)": "U0AGENT2",
    "supervisor (same team)": "U0SUPA",
    "supervisor (other team)": "U0SUPB",
    "safety officer": "U0OFFICER",
    "deputy": "U0DEPUTY",
    "department head": "U0HEAD",
    "IT": "U0IT",
    "security": "U0SEC",
    "stranger": "U0STRANGER",
}
# The built-in policy: who may do what to a report filed by an agent of Hotline A.
EXPECTED = {
    #                            acknowledge resolve status
    "agent (reporter's team)":   (False, False, True),
    "supervisor (same team)":    (True, True, True),
    "supervisor (other team)":   (False, False, True),
    "safety officer":            (True, True, True),
    "deputy":                    (True, True, True),
    "department head":           (True, True, True),
    "IT":                        (False, True, True),
    "security":                  (False, False, True),
    "stranger":                  (False, False, False),
}


@pytest.fixture
def ctx(engine):
    return Context(org=org_from(), engine=engine, clock=FrozenClock(T0))


def new_report(ctx, description="smoke near the UPS"):
    data, errors = create.validate_report(kind(ctx.org), "en", {"level": "2", "category": "fire", "description": description,
                                                       "location": "server room"})
    assert not errors
    return create.create_report(ctx, "hazard", source_key=f"V{description[:20]}", reporter_id="U0AGENT1", data=data).report


def state(ctx, report_id):
    with session_scope(ctx.engine) as s:
        return s.get(Report, report_id).status


@pytest.mark.parametrize("role", list(ROLES))
def test_every_action_against_every_role(ctx, role):
    user = ROLES[role]
    may_ack, may_resolve, may_see = EXPECTED[role]
    r = new_report(ctx)
    outcome = transitions.acknowledge(ctx, r.number, user)
    assert outcome.ok is may_ack
    assert state(ctx, r.id) == ("acknowledged" if may_ack else "open")
    if not may_ack:
        assert "Nothing was changed" in outcome.message or "本次操作未生效" in outcome.message
    outcome = transitions.resolve(ctx, r.number, user, "done")
    assert outcome.ok is may_resolve
    assert (state(ctx, r.id) == "resolved") is may_resolve
    text, blocks = lookups.status_message(ctx, r.number, user, ctx.org.locale)
    assert (blocks is not None) is may_see
    # the reporter always sees their own report
    assert lookups.status_message(ctx, r.number, "U0AGENT1", ctx.org.locale)[1] is not None


def test_every_refusal_is_in_the_operation_log_with_the_person(ctx):
    r = new_report(ctx)
    transitions.acknowledge(ctx, r.number, "U0STRANGER")
    transitions.resolve(ctx, r.number, "U0SUPB", "not mine")
    with session_scope(ctx.engine) as s:
        rows = s.execute(select(AuditEvent.actor, AuditEvent.action, AuditEvent.note)
                         .where(AuditEvent.subject_type.is_(None))).all()
    assert ("U0STRANGER", "refused_acknowledge", r.number) in rows
    assert ("U0SUPB", "refused_resolve", r.number) in rows


ID = "11010519491231002X"
CARD = "6222 0212 3456 7890 128"
MOBILE = "13812345678"


def test_personal_numbers_never_reach_slack_nor_the_record(bot):
    secret = f"customer {ID} paid with {CARD}, call back {MOBILE}"
    bot.report("U0AGENT1", level=1, description=secret, location=f"desk near {MOBILE}")
    with session_scope(bot.ctx.engine) as s:
        r = s.execute(select(Report)).scalar_one()
    bot.click("U0SUPA", "hazard_ack", r.number)
    bot.event({"type": "message", "channel": "C0SAFETY", "user": "U0SUPA", "text": f"id is {ID}",
               "ts": "1900000000.5", "thread_ts": "0"})
    status, body = bot.slash("U0AGENT1", f"status {r.number}")
    bot.drain()
    sent = json.dumps([c.params for c in bot.fake.calls], ensure_ascii=False) + json.dumps(body, ensure_ascii=False)
    for raw in (ID, CARD, CARD.replace(" ", ""), MOBILE):
        assert raw not in sent
    assert "110***********002X" in sent and "138****5678" in sent
    # §3.3.1: the record keeps what the reporter wrote with the numbers masked; nobody needs them back
    assert r.description == "customer 110***********002X paid with **** **** **** 0128, call back 138****5678"
    for raw in (ID, CARD, CARD.replace(" ", ""), MOBILE):
        assert raw not in r.description + r.location
