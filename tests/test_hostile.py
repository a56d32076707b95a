"""Signed requests with broken or hostile shapes (issue #7).

Every shape is sent really signed, over real HTTP, to the bot. Each must get a quick 200 or 400 — never a 500
(a 500 makes Slack retry and finally lose the delivery) — and must store nothing half-way. What can be
sanitised is: a lone UTF-16 surrogate becomes U+FFFD and a genuine thread reply is still recorded.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from sqlalchemy import func, select

from storage.db import session_scope
from storage.models import AuditEvent, OutboxMessage, ProcessedEvent, Report, SlackMessage, UserPref
from tests.conftest import SECRET, sign

FAST = 1.0  # seconds: a guard answer does no Slack call and at most one small database write
LONG_USER = "U" + "X" * 32  # 33 > user id columns (32)
LONG_CHANNEL = "C" + "X" * 32  # 33 > channel columns (32)
LONG_VIEW = "V" + "X" * 128  # 129 > report.source_key (128)
LONG_EVENT = "Ev" + "X" * 63  # 65 > processed_event.event_id (64)
SURROGATE = "\ud800"  # json.dumps writes it as the escape "\ud800": valid JSON text, not valid Unicode


def post_raw(bot, body: bytes, content_type: str, headers: dict | None = None):
    """Like Bot.post, but the body is bytes (so it may be invalid UTF-8)."""
    ts = str(int(time.time()))
    sig = "v0=" + hmac.new(SECRET.encode(), b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    h = {"Content-Type": content_type, "X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}
    h.update(headers or {})
    req = urllib.request.Request(bot.url, data=body, headers=h, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8", "replace")


def slash_fields(user="U0AGENT1", text="loose cable", channel="C0TEAMA") -> dict:
    return {"token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": channel, "channel_name": "x",
            "user_id": user, "user_name": "x", "command": "/hazard", "text": text, "api_app_id": "A1",
            "response_url": "http://127.0.0.1:9/hooks", "trigger_id": f"trig-{uuid.uuid4().hex[:10]}"}


def click_payload(**change) -> dict:
    payload = {
        "type": "block_actions", "team": {"id": "T1", "domain": "acme"}, "api_app_id": "A1", "token": "legacy",
        "user": {"id": "U0SUPA", "username": "supa", "team_id": "T1"}, "trigger_id": "trig-1",
        "container": {"type": "message", "message_ts": "1.0", "channel_id": "C0SAFETY", "is_ephemeral": False},
        "channel": {"id": "C0SAFETY", "name": "safety"},
        "message": {"type": "message", "ts": "1.0", "text": "card", "blocks": []},
        "response_url": "http://127.0.0.1:9/actions",
        "actions": [{"action_id": "hazard_ack", "block_id": "hazard_actions", "value": "HZ-2026-00001",
                     "type": "button", "action_ts": "1.0"}],
    }
    payload.update(change)
    return payload


def submit_payload(user="U0AGENT1", view_id=None, description="exposed power cord", **view_change) -> dict:
    state = {
        "level": {"value": {"type": "radio_buttons", "selected_option": {"value": "2"}}},
        "category": {"value": {"type": "static_select", "selected_option": {"value": "electrical"}}},
        "description": {"value": {"type": "plain_text_input", "value": description}},
        "location": {"value": {"type": "plain_text_input", "value": "row 3"}},
    }
    view = {"id": view_id or f"V{uuid.uuid4().hex[:10].upper()}", "team_id": "T1", "type": "modal",
            "callback_id": "hazard_report", "private_metadata": "{}", "hash": "h", "blocks": [],
            "state": {"values": state}}
    view.update(view_change)
    return {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": user, "team_id": "T1"},
            "api_app_id": "A1", "token": "legacy", "trigger_id": "trig-2", "view": view}


def envelope(event, **change) -> dict:
    body = {"token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
            "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}", "event_time": int(time.time()), "event": event,
            "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}]}
    body.update(change)
    return body


def reply(card_ts, **change) -> dict:
    event = {"type": "message", "channel": "C0SAFETY", "user": "U0SUPA", "text": "on my way",
             "ts": "1900000000.000100", "thread_ts": card_ts, "channel_type": "channel"}
    event.update(change)
    return event


def home(user) -> dict:
    return {"type": "app_home_opened", "user": user, "channel": "D1", "tab": "home"}


# Each case: how to send it, given the bot and the ts of a report card (None for cases that need no card).
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def form(fields: dict):
    return lambda bot, ts: bot.post(urllib.parse.urlencode(fields), FORM)


def interactive(payload):
    raw = payload if isinstance(payload, str) else json.dumps(payload)
    return lambda bot, ts: bot.post(urllib.parse.urlencode({"payload": raw}), FORM)


def raw_json(text: str):
    return lambda bot, ts: bot.post(text, JSON)


def event(make):
    return lambda bot, ts: bot.post(json.dumps(make(ts)), JSON)


CASES = {
    # --- interactive payloads that are not an object
    "payload not JSON": interactive("{not json"),
    "payload empty": interactive(""),
    "payload []": interactive("[]"),
    "payload null": interactive("null"),
    "payload a number": interactive("42"),
    "payload a string": interactive('"block_actions"'),
    "payload without type": interactive({"user": {"id": "U0SUPA"}}),
    # --- block_actions with the wrong types
    "actions an object": interactive(click_payload(actions={"action_id": "hazard_ack", "value": "x"})),
    "actions of strings": interactive(click_payload(actions=["hazard_ack"])),
    "channel a string": interactive(click_payload(channel="C0SAFETY")),
    "channel a number": interactive(click_payload(channel=42)),
    "channel a list": interactive(click_payload(channel=["C0SAFETY"])),
    "container a string": interactive(click_payload(container="message")),
    "container a list": interactive(click_payload(container=[{"channel_id": "C0SAFETY"}])),
    "user a string": interactive(click_payload(user="U0SUPA")),
    "user a list": interactive(click_payload(user=["U0SUPA"])),
    "user id a number": interactive(click_payload(user={"id": 7})),
    "team a number": interactive(click_payload(team=5)),
    "response_urls a number": interactive(dict(submit_payload(), response_urls=3)),
    "view a string": interactive(dict(submit_payload(), view="V1")),
    "view state a list": interactive(submit_payload(state=[1, 2])),
    # --- ids longer than their columns
    "click user id too long": interactive(click_payload(user={"id": LONG_USER})),
    "click channel id too long": interactive(click_payload(channel={"id": LONG_CHANNEL},
                                                           container={"channel_id": LONG_CHANNEL})),
    "submit user id too long": interactive(submit_payload(user=LONG_USER)),
    "submit view id too long": interactive(submit_payload(view_id=LONG_VIEW)),
    "slash user id too long": form(slash_fields(user=LONG_USER, text="lang en")),
    "slash channel id too long": form(slash_fields(channel=LONG_CHANNEL)),
    # --- lone surrogates and bytes that are not UTF-8
    "click value with a surrogate": interactive(click_payload(actions=[{"action_id": "hazard_ack",
                                                                        "value": "HZ-" + SURROGATE}])),
    "slash text with an encoded surrogate": lambda bot, ts: bot.post(
        urllib.parse.urlencode(slash_fields(text="status")) + "%20%ED%A0%80", FORM),
    "slash body not UTF-8": lambda bot, ts: post_raw(
        bot, urllib.parse.urlencode(slash_fields(text="help")).encode() + b"%20\xff\xfe", FORM),
    "event body not UTF-8": lambda bot, ts: post_raw(
        bot, json.dumps(envelope(reply(ts or "1.0", text="x"))).replace('"x"', '"\xff"').encode("latin-1"), JSON),
    "home user with a surrogate": event(lambda ts: envelope(home("U0AGENT1" + SURROGATE))),
    # --- Events API bodies
    "JSON body not JSON": raw_json("{not json"),
    "JSON body []": raw_json("[]"),
    "JSON body null": raw_json("null"),
    "JSON body a number": raw_json("42"),
    "event a list": event(lambda ts: envelope([reply(ts)])),
    "event a string": event(lambda ts: envelope("message")),
    "event without type": event(lambda ts: envelope({"user": "U0SUPA"})),
    "authorizations a number": event(lambda ts: envelope(reply(ts), authorizations=1)),
    "event.user a number": event(lambda ts: envelope(reply(ts, user=42))),
    "event.user a list": event(lambda ts: envelope(reply(ts, user=["U0SUPA"]))),
    "event.channel a number": event(lambda ts: envelope(reply(ts, channel=7))),
    "event.ts a list": event(lambda ts: envelope(reply(ts, ts=[1]))),
    "event.thread_ts a number": event(lambda ts: envelope(reply(ts, thread_ts=1.5))),
    "event.text an object": event(lambda ts: envelope(reply(ts, text={"a": 1}))),
    "app_home_opened user a list": event(lambda ts: envelope(home(["U0AGENT1"]))),
    "app_home_opened user a number": event(lambda ts: envelope(home(12))),
    "app_home_opened user too long": event(lambda ts: envelope(home(LONG_USER))),
    "event.user too long": event(lambda ts: envelope(reply(ts, user=LONG_USER))),
    "event.channel too long": event(lambda ts: envelope(reply(ts, channel=LONG_CHANNEL))),
    "event_id too long": event(lambda ts: envelope(reply(ts), event_id=LONG_EVENT)),
    "event_id a number": event(lambda ts: envelope(reply(ts), event_id=12345)),
}
# Cases that talk about a real report card: a report is filed first, so one report is expected afterwards.
NEEDS_CARD = {name for name in CASES if name.startswith(("event", "authorizations"))}
# Sanitised rather than dropped: the reply's bytes that are not UTF-8 become U+FFFD and the reply is recorded.
RECORDED = {"event body not UTF-8": {"comments": 1, "processed": 1}}


def card_ts(bot) -> str:
    bot.report("U0AGENT1")
    bot.drain()
    with session_scope(bot.ctx.engine) as s:
        return s.execute(select(SlackMessage.ts).where(SlackMessage.key.like("%:card"))).scalar_one()


def counts(bot) -> dict:
    with session_scope(bot.ctx.engine) as s:
        def n(model, *where):
            return s.execute(select(func.count()).select_from(model).where(*where)).scalar_one()

        return {"reports": n(Report), "comments": n(AuditEvent, AuditEvent.action == "comment"),
                "processed": n(ProcessedEvent), "prefs": n(UserPref),
                "cards": n(OutboxMessage, OutboxMessage.message_key.like("%:card"))}


@pytest.mark.parametrize("name", list(CASES))
def test_broken_shape_gets_a_quick_200_or_400_and_stores_nothing(bot, name):
    ts = card_ts(bot) if name in NEEDS_CARD else None
    before = counts(bot)
    t0 = time.perf_counter()
    status, body = CASES[name](bot, ts)
    elapsed = time.perf_counter() - t0
    assert status in (200, 400), (status, str(body)[:200])
    assert elapsed < FAST, elapsed
    bot.drain()
    after = counts(bot)
    expected = {k: v + RECORDED.get(name, {}).get(k, 0) for k, v in before.items()}
    assert after == expected, (before, after)  # nothing stored, not even half-way
    # Nothing that broke went to Slack as a message; the fake Slack fixture checks every payload's shape.
    assert not bot.fake.of("views.open")


def test_thread_reply_with_a_lone_surrogate_is_recorded_with_a_replacement_character(bot):
    ts = card_ts(bot)
    status, _ = bot.event(reply(ts, text="isolated the cable" + SURROGATE + " near desk 12"))
    assert status == 200
    with session_scope(bot.ctx.engine) as s:
        notes = s.execute(select(AuditEvent.note).where(AuditEvent.action == "comment")).scalars().all()
    assert notes == ["isolated the cable\ufffd near desk 12"]


def test_a_report_with_a_lone_surrogate_is_stored_whole_with_a_replacement_character(bot):
    status, body = bot.interactive(submit_payload(description="smoke " + SURROGATE + " from the UPS"))
    assert status == 200 and body["response_action"] == "update", body
    bot.drain()
    with session_scope(bot.ctx.engine) as s:
        assert s.execute(select(Report.description)).scalars().all() == ["smoke \ufffd from the UPS"]
    assert counts(bot)["cards"] == 1


def test_slash_text_that_says_payload_still_opens_the_form(bot):
    status, _ = bot.slash("U0AGENT1", "payload of the trolley fell off near desk 3")
    assert status == 200
    forms = bot.fake.of("views.open")
    assert len(forms) == 1
    assert "trolley" in json.dumps(forms[0].params["view"], ensure_ascii=False)


# --------------------------------------------------------------------------- replays with X-Slack-Retry-Num
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


def test_a_replayed_slash_command_with_a_retry_header_is_refused(bot):
    body = urllib.parse.urlencode(slash_fields(text="loose cable at desk 4"))
    headers = sign(body)
    assert bot.post(body, FORM, signed=False, headers=headers)[0] == 200
    assert bot.post(body, FORM, signed=False, headers=dict(headers, **RETRY))[0] == 401
    assert len(bot.fake.of("views.open")) == 1


def test_a_replayed_click_with_a_retry_header_is_refused(bot):
    body = urllib.parse.urlencode({"payload": json.dumps(click_payload())})
    headers = sign(body)
    assert bot.post(body, FORM, signed=False, headers=headers)[0] == 200
    assert bot.post(body, FORM, signed=False, headers=dict(headers, **RETRY))[0] == 401


def test_an_interactive_payload_that_claims_to_be_an_event_is_not_exempt(bot):
    body = urllib.parse.urlencode({"payload": json.dumps(envelope(home("U0AGENT1")))})
    headers = sign(body)
    bot.post(body, FORM, signed=False, headers=headers)
    assert bot.post(body, FORM, signed=False, headers=dict(headers, **RETRY))[0] == 401


def test_a_replayed_event_with_a_retry_header_is_accepted_and_recorded_once(bot):
    ts = card_ts(bot)
    body = json.dumps(envelope(reply(ts, text="checking now")))
    headers = sign(body)
    assert bot.post(body, JSON, signed=False, headers=headers)[0] == 200
    assert bot.post(body, JSON, signed=False, headers=dict(headers, **RETRY))[0] == 200
    assert bot.post(body, JSON, signed=False, headers=headers)[0] == 401  # without the header: a replay
    assert counts(bot)["comments"] == 1


# --------------------------------------------------------------------------- Socket Mode: no WSGI front, same rules
class FakeSocketClient:
    logger = logging.getLogger("tests.socket")

    def __init__(self):
        self.acked: list[str] = []
        self.payloads: list = []

    def send_socket_mode_response(self, response):
        self.acked.append(response.envelope_id)
        self.payloads.append(response.payload)


def test_socket_mode_gets_the_same_rules(bot):
    from slack_sdk.socket_mode.request import SocketModeRequest

    from bot.guard import socket_mode_handler

    ts = card_ts(bot)
    # Socket Mode dispatches to the same App, without signatures and without WSGI.
    handler = socket_mode_handler(bot.runtime.app, "xapp-unused")
    client = FakeSocketClient()

    def deliver(kind: str, payload) -> bool:
        envelope_id = uuid.uuid4().hex
        handler.handle(client, SocketModeRequest(type=kind, envelope_id=envelope_id, payload=payload))
        return envelope_id in client.acked

    for broken in (envelope([reply(ts)]), envelope(reply(ts, user=42)), envelope(reply(ts, user=LONG_USER)),
                   envelope(reply(ts), authorizations=1), envelope(home(["U0AGENT1"]))):
        assert deliver("events_api", broken)  # acknowledged: Slack does not deliver it again
    assert deliver("interactive", click_payload(actions={"action_id": "hazard_ack"}))
    assert deliver("interactive", click_payload(team=5))
    assert counts(bot)["comments"] == 0
    # Sanitised, and recorded: a lone surrogate arrives as-is in a Socket Mode envelope.
    assert deliver("events_api", envelope(reply(ts, text="cable" + SURROGATE + " fixed")))
    with session_scope(bot.ctx.engine) as s:
        notes = s.execute(select(AuditEvent.note).where(AuditEvent.action == "comment")).scalars().all()
    assert notes == ["cable\ufffd fixed"]
    # An ordinary request needs no signature there (Bolt skips verification in Socket Mode).
    assert deliver("slash_commands", slash_fields(text="help"))
    assert client.payloads[-1] and client.payloads[-1].get("text")


def test_the_bolt_middleware_alone_also_sanitises_and_ignores(bot):
    """The second line: a request that reached Bolt without the WSGI front or the Socket Mode handler."""
    from slack_bolt.request import BoltRequest

    ts = card_ts(bot)
    app = bot.runtime.app
    assert app.dispatch(BoltRequest(body=envelope([reply(ts)]), mode="socket_mode")).status == 200
    assert app.dispatch(BoltRequest(body=envelope(reply(ts, ts=[1])), mode="socket_mode")).status == 200
    assert app.dispatch(BoltRequest(body=envelope(reply(ts, text="a" + SURROGATE)), mode="socket_mode")).status == 200
    with session_scope(bot.ctx.engine) as s:
        notes = s.execute(select(AuditEvent.note).where(AuditEvent.action == "comment")).scalars().all()
    assert notes == ["a\ufffd"]
