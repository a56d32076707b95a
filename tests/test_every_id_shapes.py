"""The shape fuzzer over every id SafeShift declares (issue 19): every action id, view callback id and message
shortcut in `bot/ids.py` (and so in the manifest) gets payloads of any shape, really signed over HTTP — values
that are lists, objects, numbers, lone surrogates inside `private_metadata`, files that are not files — and must
answer a quick 200 (with an inline error on a form) or a 400. Never a 500, never a traceback in the log.
"""

from __future__ import annotations

import json
import logging
import time
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import ids
from tests.conftest import actions_payload
from tests.test_bad_input import INJECTIONS

ACTIONS = sorted({v for k, v in vars(ids).items() if k.endswith("_ACTION") and isinstance(v, str)})
VIEWS = sorted({v for k, v in vars(ids).items() if k.endswith("_VIEW") and isinstance(v, str)})
SHORTCUTS = sorted({v for k, v in vars(ids).items() if k.endswith("_SHORTCUT") and isinstance(v, str)})
USERS = ["U0AGENT1", "U0SUPA", "U0SUPA", "U0HEAD", "U0DEPUTY", "U0OFFICER", "U0OFFICER", "U0SEC", "U0STRANGER"]
QUICK = 3.0  # seconds: Slack's own limit for an answer
SURROGATE = "\ud800"

text_ = st.one_of(st.sampled_from(INJECTIONS + ["HZ-2026-00001", "IN-2026-00001", "1", "2", "²", "１", "high",
                                                "general", "2026-12-10", "0001-01-01", "9999-12-31", "U0SUPA",
                                                "C0LEAD", "<!channel>", "USLACKBOT", SURROGATE, "x" * 5000,
                                                "C" + "X" * 5000]),
                  st.text(max_size=40))
anything = st.recursive(st.one_of(st.none(), text_, st.integers(), st.floats(allow_nan=False), st.booleans()),
                        lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                st.dictionaries(st.sampled_from(["value", "id", "text", "x"]), inner,
                                                                max_size=3)),
                        max_leaves=6)
BLOCKS = sorted(set(ids.FORM_BLOCKS + ids.INCIDENT_FORM_BLOCKS + ids.DRILL_FORM_BLOCKS) | {
    ids.RESOLVE_NOTE_BLOCK, ids.INCIDENT_LEVEL_BLOCK, ids.INCIDENT_REASON_BLOCK, "likelihood", "impact", "measures",
    "resources", "target", "comment", "reason", "new_date", "completion", "accountable", "assigned", "owner",
    "controls", "text", "owner_1", "due_1", "action_1", "cause", "note"})
ELEMENT = st.sampled_from(["radio_buttons", "static_select", "users_select", "datepicker", "file_input",
                           "plain_text_input", "checkboxes", None, 7])


@st.composite
def element(draw):
    kind = draw(ELEMENT)
    out = {"type": kind}
    key = draw(st.sampled_from(["selected_option", "value", "selected_user", "selected_date", "files",
                                "selected_options"]))
    value = draw(anything)
    if key == "selected_option" and draw(st.booleans()):
        value = {"value": draw(anything), "text": {"type": "plain_text", "text": "x"}}
    if key == "files" and draw(st.booleans()):
        value = draw(st.lists(st.one_of(st.just({}), st.integers(), st.fixed_dictionaries(
            {"id": anything, "permalink": anything, "filetype": anything})), max_size=3))
    out[key] = value
    return out


state = st.dictionaries(st.sampled_from(BLOCKS), st.dictionaries(st.sampled_from(["value", "a"]), element(),
                                                                 min_size=1, max_size=2), max_size=8)
metadata = st.one_of(
    st.dictionaries(st.sampled_from(["number", "step", "kind", "task", "channel", "check_task", "drill", "link"]),
                    st.one_of(anything, st.sampled_from(["assess", "plan", "send_back", "extension", "complete",
                                                         "verify_fail", "reassign", "risk", "observation",
                                                         "special_report", "investigation", "postmortem"])),
                    max_size=4).map(json.dumps),  # ensure_ascii: a lone surrogate arrives as its escape
    text_)

RELAXED = settings(max_examples=int(__import__("os").environ.get("SAFESHIFT_FUZZ_EXAMPLES", "150")), deadline=None,
                   suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                          HealthCheck.data_too_large])


@pytest.fixture
def fbot(bot, caplog):
    bot.report("U0AGENT1")  # HZ-2026-00001 exists: steps on it go further than "not found"
    caplog.set_level(logging.ERROR)
    bot.caplog = caplog
    return bot


def _answered(bot, status, body, elapsed, what):
    assert status in (200, 400), (what, status, str(body)[:300])
    assert elapsed < QUICK, (what, elapsed)
    tracebacks = [r for r in bot.caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert not tracebacks, (what, tracebacks[0].getMessage()[:300])


def test_the_fuzzer_covers_every_id_the_manifest_declares():
    from bot.manifest import build_manifest

    declared = json.dumps(build_manifest("https://example.invalid"))
    assert ids.RECT_VIEW in VIEWS and ids.DRILL_ATTEND_ACTION in ACTIONS and len(ACTIONS) >= 25
    for shortcut in SHORTCUTS:
        assert shortcut in declared


@RELAXED
@given(action=st.sampled_from(ACTIONS), value=anything, user=st.sampled_from(USERS), body_state=st.one_of(
    st.none(), state.map(lambda s: {"values": s})), channel=st.sampled_from(["C0SAFETY", "D0DM", "C0TEAMA"]))
def test_any_click_on_any_action_id_is_answered(fbot, action, value, user, body_state, channel):
    payload = actions_payload(user, action, value, channel=channel, state=body_state)
    t0 = time.perf_counter()
    status, body = fbot.interactive(payload)
    _answered(fbot, status, body, time.perf_counter() - t0, (action, value))


def _text(v):
    return {"type": "plain_text_input", "value": v}


def _option(kind, v):
    return {"type": kind, "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": v}}


# A form as Slack sends it when filled in well, per callback id (and step): the fuzzer breaks one or two parts
# of it, so that the broken part is reached instead of an earlier "description is empty".
GOOD = {
    ids.REPORT_VIEW: [({}, {"level": _option("radio_buttons", "2"), "category": _option("static_select", "electrical"),
                            "description": _text("cord"), "location": _text("row 3"),
                            "photos": {"type": "file_input", "files": []}})],
    ids.RESOLVE_VIEW: [({"number": "HZ-2026-00001"}, {ids.RESOLVE_NOTE_BLOCK: _text("fixed")})],
    ids.INCIDENT_VIEW: [({"channel": "C0TEAMA"}, {"category": _option("static_select", "fire"),
                                                  "level": _option("radio_buttons", "3"), "description": _text("smoke"),
                                                  "location": _text("B2"), "affected": _text(""),
                                                  "actions": _text("")})],
    ids.INCIDENT_LEVEL_VIEW: [({"number": "IN-2026-00001"}, {ids.INCIDENT_LEVEL_BLOCK: _option("radio_buttons", "2"),
                                                             ids.INCIDENT_REASON_BLOCK: _text("worse")})],
    ids.INCIDENT_TASK_VIEW: [({"number": "IN-2026-00001", "task": t}, {"text": _text("done"), "action_1": _text("x"),
                                                                       "owner_1": {"type": "users_select",
                                                                                   "selected_user": "U0SUPA"},
                                                                       "due_1": {"type": "datepicker",
                                                                                 "selected_date": "2026-12-20"}})
                             for t in ("special_report", "investigation", "postmortem")],
    ids.RECT_VIEW: [({"number": "HZ-2026-00001", "step": "assess"}, {"likelihood": _option("static_select", "high"),
                                                                     "impact": _option("static_select", "general")}),
                    ({"number": "HZ-2026-00001", "step": "plan"}, {"measures": _text("tray"), "resources": _text("x"),
                                                                   "target": {"type": "datepicker",
                                                                              "selected_date": "2026-12-20"}}),
                    ({"number": "HZ-2026-00001", "step": "send_back"}, {"comment": _text("no")}),
                    ({"number": "HZ-2026-00001", "step": "extension"}, {"reason": _text("late"), "new_date": {
                        "type": "datepicker", "selected_date": "2026-12-20"}}),
                    ({"number": "HZ-2026-00001", "step": "complete"}, {"completion": _text("done"), "photos": {
                        "type": "file_input", "files": [{"id": "F1", "permalink": "https://files.example/F1"}]}}),
                    ({"number": "HZ-2026-00001", "step": "verify_fail"}, {"reason": _text("loose")}),
                    ({"number": "HZ-2026-00001", "step": "reassign"}, {
                        "accountable": {"type": "users_select", "selected_user": "U0SUPA"},
                        "assigned": {"type": "users_select", "selected_user": "U0AGENT2"}})],
    ids.RISK_VIEW: [({"kind": "risk"}, {"description": _text("wet floor"),
                                        "likelihood": _option("static_select", "high"),
                                        "impact": _option("static_select", "general"), "controls": _text("mop"),
                                        "owner": {"type": "users_select", "selected_user": "U0SUPA"}}),
                    ({"kind": "observation"}, {"description": _text("wet floor"), "location": _text("pantry")})],
    ids.DRILL_VIEW: [({"drill": 1}, {"score": _text("90"), "problems": _text("exit blocked"),
                                     "summary": _text("ok")})],
    ids.CHECK_RECORD_VIEW: [({"task": 1}, {"check_content": _text("minutes"), "check_problems": _text("a\nb")})],
}


@st.composite
def broken_form(draw):
    callback = draw(st.sampled_from(VIEWS))
    meta, values = draw(st.sampled_from(GOOD.get(callback) or [({}, {})]))
    meta, values = dict(meta), {k: {"value": dict(v)} for k, v in values.items()}
    for _ in range(draw(st.integers(1, 2))):
        where = draw(st.sampled_from(["value", "element", "meta", "meta_text", "block"]))
        if where == "value" and values:
            block = draw(st.sampled_from(sorted(values)))
            element_ = values[block]["value"]
            key = next((k for k in ("selected_option", "value", "selected_user", "selected_date", "files")
                        if k in element_), "value")
            if key == "selected_option" and draw(st.booleans()):
                element_[key] = {"value": draw(anything)}
            elif key == "files" and draw(st.booleans()):
                element_[key] = draw(st.lists(st.one_of(st.just({}), st.integers(), st.fixed_dictionaries(
                    {"id": anything, "permalink": anything})), max_size=3))
            else:
                element_[key] = draw(anything)
        elif where == "element" and values:
            values[draw(st.sampled_from(sorted(values)))] = {"value": draw(element())}
        elif where == "meta" and isinstance(meta, dict):
            meta[draw(st.sampled_from(sorted(meta) or ["number"]))] = draw(
                st.one_of(anything, st.just("HZ-2026-00001" + SURROGATE), st.just("C" + "X" * 5000)))
        elif where == "meta_text":
            meta = draw(text_)
        else:
            values[draw(st.sampled_from(BLOCKS))] = {"value": draw(element())}
    meta_text = meta if isinstance(meta, str) else json.dumps(meta)  # ensure_ascii: a lone surrogate as an escape
    return callback, values, meta_text


@RELAXED
@given(form=st.one_of(broken_form(), st.tuples(st.sampled_from(VIEWS), state, metadata)),
       user=st.sampled_from(USERS))
def test_any_form_of_any_callback_id_is_answered_inline_or_refused(fbot, form, user):
    callback, values, meta = form
    payload = {
        "type": "view_submission", "team": {"id": "T1", "domain": "acme"}, "user": {"id": user, "team_id": "T1"},
        "api_app_id": "A1", "token": "legacy", "trigger_id": f"trig-{uuid.uuid4().hex[:8]}",
        "view": {"id": f"V{uuid.uuid4().hex[:10].upper()}", "team_id": "T1", "type": "modal", "callback_id": callback,
                 "private_metadata": meta, "hash": "h1", "blocks": [], "state": {"values": values}}}
    t0 = time.perf_counter()
    status, body = fbot.interactive(payload)
    _answered(fbot, status, body, time.perf_counter() - t0, (callback, meta[:100], values))
    if status == 200 and isinstance(body, dict):
        assert body.get("response_action") in ("errors", "update", "clear", "push"), body
        for message in (body.get("errors") or {}).values():
            assert isinstance(message, str) and 0 < len(message) <= 150


@RELAXED
@given(callback=st.sampled_from(SHORTCUTS), message=anything, channel=anything, user=st.sampled_from(USERS))
def test_any_message_shortcut_is_answered(fbot, callback, message, channel, user):
    payload = {"type": "message_action", "callback_id": callback, "team": {"id": "T1", "domain": "acme"},
               "user": {"id": user}, "trigger_id": f"trig-{uuid.uuid4().hex[:8]}", "message_ts": "1.0",
               "message": message if isinstance(message, dict) else {"text": message, "ts": "1.0"},
               "channel": channel if isinstance(channel, dict) else {"id": channel},
               "response_url": "http://127.0.0.1:9/x"}
    t0 = time.perf_counter()
    status, body = fbot.interactive(payload)
    _answered(fbot, status, body, time.perf_counter() - t0, (callback, message))
