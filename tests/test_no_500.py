"""No 500, no traceback (issue 19): the shapes a hostile probe found, each over signed HTTP.

`/risk review ²` (a superscript is a digit to `str.isdigit`), a list or an object as a selected option's value
on the assessment and `/risk add` forms, a number among the photos, a lone surrogate inside private_metadata,
and a forged 5,000- or 2,900-character channel in private_metadata (on PostgreSQL it overflowed the column and
the person was told the database was unreachable).
"""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from sqlalchemy import select

from bot import ids
from storage.db import session_scope
from storage.models import AuditEvent, RectItem, Report, Risk


def command(bot, user, name, text):
    return bot.form({"token": "legacy", "team_id": "T1", "channel_id": "C0TEAMA", "user_id": user, "command": name,
                     "text": text, "api_app_id": "A1", "response_url": "http://127.0.0.1:9/hooks",
                     "trigger_id": f"trig-{uuid.uuid4().hex[:8]}"})


def view(bot, user, callback, values: dict, meta: str):
    payload = {"type": "view_submission", "team": {"id": "T1"}, "user": {"id": user, "team_id": "T1"},
               "api_app_id": "A1", "token": "legacy", "trigger_id": f"trig-{uuid.uuid4().hex[:8]}",
               "view": {"id": f"V{uuid.uuid4().hex[:10].upper()}", "type": "modal", "callback_id": callback,
                        "private_metadata": meta, "hash": "h", "blocks": [],
                        "state": {"values": {k: {"value": v} for k, v in values.items()}}}}
    return bot.interactive(payload)


def option(value):
    return {"type": "static_select", "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": value}}


def text_input(value):
    return {"type": "plain_text_input", "value": value}


@pytest.fixture
def logged(caplog):
    caplog.set_level(logging.ERROR)
    return caplog


def no_traceback(caplog):
    assert not [r for r in caplog.records if r.exc_info], [r.getMessage() for r in caplog.records][:3]


@pytest.mark.parametrize("text", ["²", "¹²", "１", "٣", "7²", "#²"])
def test_risk_review_of_a_number_that_is_not_ascii_is_answered_not_found(bot, logged, text):
    status, body = command(bot, "U0HEAD", "/risk", f"review {text}")
    assert status == 200, body
    assert "风险" in body["text"] and text[:20] in body["text"]  # "no risk <text>": to the person only
    no_traceback(logged)
    with session_scope(bot.ctx.engine) as s:
        assert not s.execute(select(AuditEvent).where(AuditEvent.action == "risk_reviewed")).first()


def test_risk_review_of_a_real_number_still_records_the_review(bot):
    status, body = view(bot, "U0OFFICER", ids.RISK_VIEW, {"description": text_input("wet floor"),
                                                          "likelihood": option("high"), "impact": option("general")},
                        json.dumps({"kind": "risk"}))
    assert status == 200 and body["response_action"] == "update"
    status, body = command(bot, "U0HEAD", "/risk", "review 1")
    assert status == 200
    with session_scope(bot.ctx.engine) as s:
        assert s.execute(select(Risk.reviewed_by)).scalar_one() == "U0HEAD"


SHAPES = {  # the shapes: (user, callback, values, metadata)
    "assess: likelihood a list": ("U0SUPA", ids.RECT_VIEW, {"likelihood": option(["high"]),
                                                            "impact": option("general")}, {"step": "assess"}),
    "assess: impact an object": ("U0SUPA", ids.RECT_VIEW, {"likelihood": option("high"),
                                                           "impact": option({"value": "general"})}, {"step": "assess"}),
    "risk add: likelihood a list": ("U0OFFICER", ids.RISK_VIEW, {"description": text_input("wet floor"),
                                                                 "likelihood": option(["high"]),
                                                                 "impact": option("general")}, {"kind": "risk"}),
    "risk add: impact an object": ("U0OFFICER", ids.RISK_VIEW, {"description": text_input("wet floor"),
                                                                "likelihood": option("high"),
                                                                "impact": option({"a": 1})}, {"kind": "risk"}),
    "risk add: description a number": ("U0OFFICER", ids.RISK_VIEW, {"description": text_input(7),
                                                                    "likelihood": option("high"),
                                                                    "impact": option("general")}, {"kind": "risk"}),
    "complete: a number among the photos": ("U0SUPA", ids.RECT_VIEW, {
        "completion": text_input("done"), "photos": {"type": "file_input", "files": [7]}}, {"step": "complete"}),
    "complete: photos a number": ("U0SUPA", ids.RECT_VIEW, {
        "completion": text_input("done"), "photos": {"type": "file_input", "files": 7}}, {"step": "complete"}),
    "hazard form: photos of numbers": ("U0AGENT1", ids.REPORT_VIEW, {
        "level": option("2"), "category": option("electrical"), "description": text_input("cord"),
        "photos": {"type": "file_input", "files": [1, 2]}}, {}),
    "surrogate in the number of a step": ("U0SUPA", ids.RECT_VIEW, {"likelihood": option("high"),
                                                                    "impact": option("general")},
                                          {"step": "assess", "number": "HZ-2026-00001\ud800"}),
    "surrogate in the number of a resolution": ("U0SUPA", ids.RESOLVE_VIEW, {"note": text_input("fixed")},
                                                {"number": "HZ-2026-00001\ud800"}),
    "surrogate in the channel of a report": ("U0AGENT1", ids.REPORT_VIEW, {
        "level": option("2"), "category": option("fire"), "description": text_input("smoke"),
        "location": text_input("pantry")}, {"channel": "C0TEAMA\ud800"}),
    "surrogate as a check task": ("U0AGENT1", ids.REPORT_VIEW, {
        "level": option("2"), "category": option("fire"), "description": text_input("smoke bin"),
        "location": text_input("lobby")}, {"check_task": "\ud800"}),
    "surrogate in an incident task": ("U0HEAD", ids.INCIDENT_TASK_VIEW, {"text": text_input("x")},
                                      {"number": "IN-2026-00001\ud800", "task": "special_report\ud800"}),
    "surrogate in a drill": ("U0SUPA", ids.DRILL_VIEW, {"score": text_input("90")}, {"drill": "1\ud800"}),
}


@pytest.mark.parametrize("name", list(SHAPES))
def test_the_forged_shapes_of_the_probe_get_a_200_with_an_inline_error_or_are_taken(bot, logged, name):
    bot.report("U0AGENT1")
    number = "HZ-2026-00001"
    bot.click("U0SUPA", ids.RECT_START_ACTION, number)
    if "complete" in name:  # an item in progress, so that the photos are read
        for step, values in (("assess", {"likelihood": option("high"), "impact": option("severe")}),):
            view(bot, "U0OFFICER", ids.RECT_VIEW, values, json.dumps({"number": number, "step": step}))
    user, callback, values, meta = SHAPES[name]
    meta = dict({"number": number} if callback in (ids.RECT_VIEW,) else {}, **meta)
    status, body = view(bot, user, callback, values, json.dumps(meta))  # ensure_ascii: the surrogate as an escape
    assert status in (200, 400), (status, body)
    if status == 200 and body:
        assert body["response_action"] in ("errors", "update"), body
        for message in (body.get("errors") or {}).values():
            assert 0 < len(message) <= 150
    no_traceback(logged)
    with session_scope(bot.ctx.engine) as s:
        if name.startswith("risk add"):
            assert not s.execute(select(Risk)).first()  # nothing half-read was stored
        if name.startswith("assess"):
            assert not s.execute(select(RectItem)).first()
        for r in s.execute(select(Report)).scalars():
            assert "\ud800" not in (r.origin_channel or "")


@pytest.mark.parametrize("length", [5000, 2900])
def test_a_forged_long_channel_in_private_metadata_is_never_stored_nor_called_a_database_outage(bot, logged, length):
    values = {"level": option("2"), "category": option("electrical"), "description": text_input("cord"),
              "location": text_input("row 3")}
    status, body = view(bot, "U0AGENT1", ids.REPORT_VIEW, values, json.dumps({"channel": "C" + "X" * length}))
    no_traceback(logged)
    if length > 3000:  # longer than Slack's private_metadata: not ours, refused before anything reads it
        assert status == 400
        return
    assert status == 200 and body["response_action"] == "update", body  # the report is filed ...
    assert "database" not in json.dumps(body) and "数据库" not in json.dumps(body, ensure_ascii=False)
    with session_scope(bot.ctx.engine) as s:
        assert s.execute(select(Report.origin_channel)).scalar_one() is None  # ... without the forged channel
    # the incident form reads its channel the same way
    status, body = view(bot, "U0AGENT1", ids.INCIDENT_VIEW, {
        "category": option("fire"), "level": option("3"), "description": text_input("smoke"),
        "location": text_input("B2")}, json.dumps({"channel": "C" + "X" * length}))
    assert status == 200 and body["response_action"] == "update", body
    with session_scope(bot.ctx.engine) as s:
        assert [r.origin_channel for r in s.execute(select(Report)).scalars()] == [None, None]
