"""Property-based bad input: every modal field, slash-command text and button value.

Each gets a clear message or a safe rendering — never a crash, a 500, a half-stored record or a
ping of a whole channel (the fake Slack fixture checks every payload for broadcasts and schema).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot import ids, prefs  # noqa: F401
from bot.clock import FrozenClock
from bot.context import Context
from bot.hazards import (  # noqa: F401
    create,
    forms,  # noqa: F401
    lookups,
    transitions,
)
from bot.hazards.kinds import kind  # noqa: F401
from bot.hazards.present import card_payload
from storage.db import session_scope
from storage.models import AuditEvent, OutboxMessage, Report
from tests.conftest import org_from
from tests.slackschema import block_errors

INJECTIONS = ["<!channel>", "<!here>", "<!everyone>", "<@U0HEAD>", "<https://evil.example|click>", "<#C0LEAD>",
              "*bold* _it_ ~s~ `c` ```block", "&amp; &lt; >", "\u202eRTL override", "zero\u200bwidth\u2060",
              "🔥🧯🚒" * 50, "مرحبا بالعالم", "\x00\x07\x1b[31m", "HZ-2026-00001", "-" * 5000, "\n" * 300,
              "<!subteam^S123|@team>", "<!date^1392734382^{date}|Feb 18>", "{{ 7*7 }} {% raw %}"]
nasty = st.one_of(st.sampled_from(INJECTIONS), st.text(max_size=4000),
                  st.lists(st.sampled_from(INJECTIONS), max_size=6).map(" ".join))
anything = st.one_of(st.none(), nasty, st.integers(), st.floats(allow_nan=True), st.booleans(),
                     st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=3))
T0 = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.timezone.utc)
_keys = itertools.count()
RELAXED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                        HealthCheck.too_slow])


def _no_broadcast(payload) -> None:
    dumped = json.dumps(payload, ensure_ascii=False)
    for b in ("<!channel", "<!here", "<!everyone", "<!subteam", "<https://evil"):
        assert b not in dumped


@RELAXED
@given(level=st.one_of(st.sampled_from(["1", "2", "3"]), anything), category=st.one_of(st.sampled_from(
    ["fire", "electrical", "other"]), anything), description=st.one_of(nasty, anything), location=anything,
       suggestion=anything, photos=st.one_of(anything, st.lists(st.fixed_dictionaries(
           {"id": st.text(min_size=1, max_size=12), "filetype": st.sampled_from(["png", "pdf", "exe", ""]),
            "permalink": st.text(max_size=40)}), max_size=12)))
def test_any_form_values_give_errors_or_a_safe_report(engine, level, category, description, location, suggestion,
                                                      photos):
    ctx = Context(org=org_from(), engine=engine, clock=FrozenClock(T0))
    values = {"level": level, "category": category, "description": description, "location": location,
              "suggestion": suggestion, "photos": photos}
    data, errors = create.validate_report(kind(ctx.org), "en", values)
    if errors:
        assert data is None and all(isinstance(v, str) and 0 < len(v) <= 150 for v in errors.values())
        return
    created = create.create_report(ctx, "hazard", source_key=f"P{next(_keys)}", reporter_id="U0AGENT1", data=data)
    payload = card_payload(ctx.org, created.report, "C0SAFETY", T0)
    assert not block_errors(payload["blocks"]), block_errors(payload["blocks"])[:2]
    _no_broadcast(payload)
    with session_scope(engine) as s:
        n_reports = s.execute(select(func.count()).select_from(Report)).scalar_one()
        n_reported = s.execute(select(func.count()).select_from(AuditEvent)
                               .where(AuditEvent.action == "reported")).scalar_one()
        n_cards = s.execute(select(func.count()).select_from(OutboxMessage)
                            .where(OutboxMessage.message_key.like("%:card"))).scalar_one()
        # a report of the same place, level and category as an open one joins it (its lead's card covers it):
        # examples share the database, and Hypothesis repeats values, above all while it shrinks
        n_joined = s.execute(select(func.count()).select_from(Report).where(Report.group_id.is_not(None))).scalar_one()
    assert n_reports == n_reported == n_cards + n_joined  # never a half-stored report


@RELAXED
@given(text=nasty)
def test_any_status_or_command_text_is_answered(engine, text):
    ctx = Context(org=org_from(), engine=engine, clock=FrozenClock(T0))
    msg, blocks = lookups.status_message(ctx, text, "U0AGENT1", ctx.org.locale)
    assert msg
    _no_broadcast(msg)
    if blocks is not None:
        assert not block_errors(blocks)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(text=nasty)
def test_slash_command_text_over_http(bot, text):
    status, body = bot.slash("U0AGENT1", text)
    assert status == 200
    if isinstance(body, dict) and body.get("text"):
        _no_broadcast(body)
        if body.get("blocks"):
            assert not block_errors(body["blocks"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(value=st.one_of(nasty, st.just("HZ-2026-00001")), action=st.sampled_from(sorted(  # every action id (issue 19)
    v for k, v in vars(ids).items() if k.endswith("_ACTION") and isinstance(v, str))),
       user=st.sampled_from(["U0SUPA", "U0AGENT2", "U0STRANGER", "U0SUPB"]))
def test_button_values_over_http(bot, value, action, user):
    status, _ = bot.click(user, action, value)
    assert status == 200
    with session_scope(bot.ctx.engine) as s:
        assert s.execute(select(func.count()).select_from(Report).where(Report.status != "open")).scalar_one() <= 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(level=anything, category=anything, description=st.one_of(nasty, anything))
def test_view_submissions_over_http(bot, level, category, description):
    status, body = bot.submit("U0AGENT1", {"level": level if not isinstance(level, (dict, list)) else None,
                                           "category": category if not isinstance(category, (dict, list)) else None,
                                           "description": description if isinstance(description, str) else None})
    assert status == 200
    assert body["response_action"] in ("errors", "update")
    _no_broadcast(body)
