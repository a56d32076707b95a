"""The sandbox without a browser (#12): the Slack stand-in's workspace (edits in place, ephemerals and
modals per person, the Home tab, what strict Slack refuses), Slack's side of the conversation signed
for the real bot, the page's API, and `safeshift sandbox` as a command."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
from types import SimpleNamespace

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from sandbox.checks import Checker
from sandbox.slack import FakeSlack
from sandbox.web import snapshot

TOKEN = "xoxb-sandbox-test"
PEOPLE = {"U1": {"name": "Ann"}, "U2": {"name": "Bob"}}
CHANNELS = {"C1": {"name": "safety"}}
CARD = [{"type": "section", "text": {"type": "mrkdwn", "text": "*card*"}}]


@pytest.fixture
def strict():
    fake = FakeSlack(strict=True, token=TOKEN, people=PEOPLE, channels=CHANNELS, checker=Checker())
    yield fake
    fake.close()


def client(fake, token=TOKEN):
    return WebClient(token=token, base_url=fake.url, retry_handlers=[])


def seen_by(fake, user):
    return snapshot(SimpleNamespace(slack=fake, commands=["/hazard"], shortcuts=[], checker=Checker(), lang="en",
                                    fast=False), user)


def test_update_replaces_the_message_in_place_and_ephemerals_are_per_person(strict):
    c = client(strict)
    first = c.chat_postMessage(channel="C1", text="v1", blocks=CARD)
    c.chat_postMessage(channel="C1", text="after")
    c.chat_update(channel="C1", ts=first["ts"], text="v2", blocks=CARD)
    assert [m["text"] for m in strict.messages["C1"]] == ["v2", "after"]
    assert strict.messages["C1"][0]["edited"] is True
    c.chat_postEphemeral(channel="C1", user="U1", text="only for Ann")
    ann = [m["text"] for m in seen_by(strict, "U1")["messages"]["C1"]]
    bob = [m["text"] for m in seen_by(strict, "U2")["messages"]["C1"]]
    assert ann == ["v2", "after", "only for Ann"] and bob == ["v2", "after"]
    dm = c.chat_postMessage(channel="U2", text="psst")
    assert dm["channel"] == "D2" and [m["text"] for m in seen_by(strict, "U2")["messages"]["D2"]] == ["psst"]
    assert "D2" not in seen_by(strict, "U1")["messages"]


def test_modals_belong_to_the_person_whose_trigger_opened_them_and_home_tabs_to_their_person(strict):
    c = client(strict)
    modal = {"type": "modal", "title": {"type": "plain_text", "text": "Form"},
             "submit": {"type": "plain_text", "text": "Send"},
             "blocks": [{"type": "input", "label": {"type": "plain_text", "text": "What"},
                         "element": {"type": "plain_text_input"}}]}
    opened = c.views_open(trigger_id=strict.issue_trigger("U1"), view=modal)["view"]
    assert opened["blocks"][0]["block_id"] and opened["blocks"][0]["element"]["action_id"]  # as Slack fills them
    assert seen_by(strict, "U1")["modal"]["id"] == opened["id"]
    assert seen_by(strict, "U2")["modal"] is None
    pushed = c.views_push(trigger_id=strict.issue_trigger("U1"), view=dict(modal, title={"type": "plain_text",
                                                                                        "text": "Second"}))["view"]
    assert seen_by(strict, "U1")["modal"]["id"] == pushed["id"] and seen_by(strict, "U1")["modal"]["depth"] == 2
    c.views_update(view_id=pushed["id"], view=dict(modal, title={"type": "plain_text", "text": "Third"}))
    assert seen_by(strict, "U1")["modal"]["view"]["title"]["text"] == "Third"
    c.views_publish(user_id="U2", view={"type": "home", "blocks": CARD})
    assert seen_by(strict, "U2")["home"]["blocks"][0]["text"]["text"] == "*card*"
    assert seen_by(strict, "U1")["home"] is None
    # a trigger lives 3 seconds, and only the stand-in's own triggers exist
    old = strict.issue_trigger("U1")
    strict.triggers[old] = ("U1", time.time() - 4)
    for trigger, error in ((old, "expired_trigger_id"), ("made-up", "invalid_trigger_id")):
        with pytest.raises(SlackApiError) as refused:
            c.views_open(trigger_id=trigger, view=modal)
        assert refused.value.response["error"] == error


def test_strict_slack_refuses_what_slack_refuses_and_keeps_it_for_the_page(strict):
    c = client(strict)
    bad = [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]
    cases = [(lambda: c.chat_postMessage(channel="C1", text="x", blocks=bad), "invalid_blocks"),
             (lambda: c.chat_postMessage(channel="C404", text="x"), "channel_not_found"),
             (lambda: c.chat_update(channel="C1", ts="1.0", text="x"), "message_not_found"),
             (lambda: client(strict, "xoxb-wrong-token").chat_postMessage(channel="C1", text="x"), "invalid_auth"),
             (lambda: c.views_publish(user_id="U1", view={"type": "home", "blocks": bad}), "invalid_arguments")]
    for call, error in cases:
        with pytest.raises(SlackApiError) as refused:
            call()
        assert refused.value.response["error"] == error
    assert [p["errors"][0] for p in strict.problems] == [e for _, e in cases]
    assert all(p["refused"] for p in strict.problems)
    assert strict.messages.get("C1", []) == []  # nothing refused was shown as posted
    with pytest.warns(UserWarning):  # accepted, with a warning: no text fallback
        c.chat_postMessage(channel="C1", blocks=CARD)
    assert "text" in strict.messages["C1"][0]["problems"][0]
    assert seen_by(strict, "U1")["problem_count"] == len(cases)


def test_the_lenient_stand_in_keeps_what_the_tests_rely_on():
    fake = FakeSlack()
    try:
        c = client(fake, "xoxb-anything")
        for i in range(5):
            c.chat_postMessage(channel="C9", text=f"m{i}")
        c.chat_update(channel="C9", ts="1.0", text="unknown ts")  # lenient: ok, nothing changes
        page = c.conversations_history(channel="C9", limit=2)
        seen = [m["text"] for m in page["messages"]]
        while page["has_more"]:
            page = c.conversations_history(channel="C9", limit=2, cursor=page["response_metadata"]["next_cursor"])
            seen += [m["text"] for m in page["messages"]]
        assert seen == ["m4", "m3", "m2", "m1", "m0"]
        assert c.views_open(trigger_id="anything", view={"type": "modal", "title": {"type": "plain_text",
                                                                                    "text": "x"}, "blocks": []})["ok"]
        assert fake.problems == [] and len(fake.of("chat.postMessage")) == 5
    finally:
        fake.close()


def test_validation_is_off_and_says_why_without_the_schema(tmp_path):
    checker = Checker(tmp_path / "missing.schema.json")
    assert not checker.on and "missing.schema.json" in checker.why_off
    assert checker("chat.postMessage", {"text": "x", "blocks": [{"type": "nonsense"}]}) == []
    assert Checker().on, Checker().why_off  # the schema vendored in sandbox/schemas, no jsonschema needed
    assert Checker()("chat.postMessage", {"text": "x", "blocks": [{"type": "nonsense"}]})


# ------------------------------------------------------------------ Slack's side, signed, against the real bot
@pytest.fixture
def box(tmp_path):
    from sandbox.run import Sandbox

    sb = Sandbox(port=0, lang="en", db_dir=str(tmp_path), channel_interval=0).start()
    # Slack's 3 s (a trigger's life, an answer's time) are checked in tests of their own; on a machine
    # loaded by a whole test run, these tests check the flow
    sb.slack.trigger_ttl = sb.people.slow_after = 60.0
    yield sb
    sb.stop()


def wait(predicate, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        found = predicate()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("timed out")


def report_state(level="2", category="electrical", description="cable across the aisle"):
    return {"level": {"value": {"type": "radio_buttons", "selected_option": {"value": level}}},
            "category": {"value": {"type": "static_select", "selected_option": {"value": category}}},
            "description": {"value": {"type": "plain_text_input", "value": description}},
            "location": {"value": {"type": "plain_text_input", "value": "aisle 2"}},
            "suggestion": {"value": {"type": "plain_text_input", "value": None}},
            "photos": {"value": {"type": "file_input", "files": []}}}


def test_people_speak_to_the_real_bot_as_slack_does(box):
    slack, people = box.slack, box.people
    assert people.type("U0AGENT1", "C0TEAMA", "/hazard help") == {"ok": True}
    assert "/hazard" in slack.ephemeral[-1]["text"] and slack.ephemeral[-1]["user"] == "U0AGENT1"
    assert people.type("U0AGENT1", "C0TEAMA", "/nope")["error"] == "not_a_command"
    assert slack.ephemeral[-1]["from"] == "USLACKBOT"
    people.type("U0AGENT1", "C0TEAMA", "/hazard cable across the aisle")
    view_id = slack.modals["U0AGENT1"][-1]
    assert slack.views[view_id]["view"]["callback_id"] == "hazard_report"
    assert people.submit("U0AGENT1", view_id, report_state(description=""))["errors"]  # inline errors, still open
    assert slack.modals["U0AGENT1"] == [view_id]
    assert people.submit("U0AGENT1", view_id, report_state()) == {"ok": True}
    assert slack.views[slack.modals["U0AGENT1"][-1]]["view"].get("callback_id") != "hazard_report"  # confirmation
    card = wait(lambda: [m for m in slack.messages.get("C0SAFETY", []) if m.get("blocks")])[0]
    number = re.search(r"HZ-\d{4}-\d{5}", card["text"]).group(0)
    ack = next(e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]
               if e["action_id"] == "hazard_ack")
    assert people.act("U0SUPA", {"channel": "C0SAFETY", "ts": card["ts"]},
                      {"action_id": ack["action_id"], "block_id": "hazard_actions", "type": "button",
                       "value": ack["value"]}) == {"ok": True}
    wait(lambda: card.get("edited"))
    people.say("U0SUPA", "C0SAFETY", "taped down", thread_ts=card["ts"])
    assert people.idle()
    people.type("U0SUPA", "C0SAFETY", f"/hazard status {number}")
    status = slack.ephemeral[-1]
    assert status["user"] == "U0SUPA" and "taped down" in json.dumps(status["blocks"], ensure_ascii=False)
    people.open_home("U0SUPA")
    wait(lambda: slack.homes.get("U0SUPA"))
    assert slack.problems == []


def test_a_request_the_bot_cannot_verify_is_flagged(box):
    box.people.secret = "not-the-bots-secret"
    assert box.people.type("U0AGENT1", "C0TEAMA", "/hazard help")["error"] == "dispatch_failed"
    assert "HTTP 401" in box.slack.problems[-1]["errors"][0]
    assert box.slack.ephemeral[-1]["from"] == "USLACKBOT"


def http(url, data=None, headers=None, method=None):
    req = urllib.request.Request(url, data=data, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


def page_headers(box, **extra) -> dict:
    """What the sandbox's own page sends: JSON, its origin, and the run's token read from its HTML."""
    _, _, html = http(box.slack.base + "/")
    token = re.search(rb'name="sandbox-token" content="([^"]+)"', html).group(1).decode()
    return {"Content-Type": "application/json", "Origin": box.slack.base, "X-Sandbox-Token": token, **extra}


def test_the_page_api_answers_only_its_own_page(box):
    base = box.slack.base
    status, headers, body = http(base + "/")
    assert status == 200 and b"SafeShift sandbox" in body and "script-src 'self'" in headers["Content-Security-Policy"]
    assert box.run_token.encode() in body and b"__SANDBOX_TOKEN__" not in body
    assert http(base + "/sandbox/state", headers={"Host": "evil.example"})[0] == 403
    act = json.dumps({"do": "type", "as": "U0AGENT1", "channel": "C0TEAMA", "text": "hi"}).encode()
    assert http(base + "/sandbox/upload?name=a.png", b"x", {"Content-Type": "image/png"})[0] == 403
    status, _, raw = http(base + "/sandbox/act", act, page_headers(box))
    assert status == 200 and json.loads(raw)["ok"]
    for name, ctype, inline in (("a.png", "image/png", True), ("a.svg", "image/svg+xml", False)):
        _, _, raw = http(base + f"/sandbox/upload?as=U0AGENT1&name={name}", b"<svg/>",
                         page_headers(box, **{"Content-Type": ctype}))
        f = json.loads(raw)["file"]
        status, headers, _ = http(f["url_private"])
        assert status == 200 and (headers["Content-Disposition"] == "inline") is inline
        assert headers["Content-Type"] == (ctype if inline else "application/octet-stream")
    # a stale version is answered at once with the current one (which may move on right after: bots post)
    seen = json.loads(http(base + "/sandbox/wait?v=-5")[2])["version"]
    assert 0 < seen <= box.slack.version


def test_another_web_page_cannot_type_or_answer_in_the_sandbox(box):
    """#19: `text/plain; application/json` from http://evil.example acted. Now each missing piece is refused."""
    base, slack = box.slack.base, box.slack
    act = json.dumps({"do": "type", "as": "U0AGENT1", "channel": "C0TEAMA", "text": "typed by evil"}).encode()
    good = page_headers(box)
    refused = {
        "text/plain wrapping json": (dict(good, **{"Content-Type": "text/plain; application/json"}), 415),
        "form": (dict(good, **{"Content-Type": "application/x-www-form-urlencoded"}), 415),
        "json with a twist": (dict(good, **{"Content-Type": "application/json-patch+json"}), 415),
        "foreign origin": (dict(good, Origin="http://evil.example"), 403),
        "same host, other port": (dict(good, Origin="http://127.0.0.1:1"), 403),
        "no origin": ({k: v for k, v in good.items() if k != "Origin"}, 403),
        "no token": ({k: v for k, v in good.items() if k != "X-Sandbox-Token"}, 403),
        "another run's token": (dict(good, **{"X-Sandbox-Token": "not-this-run"}), 403),
    }
    for name, (headers, expected) in refused.items():
        status, _, raw = http(base + "/sandbox/act", act, headers)
        assert (status, bool(json.loads(raw)["error"])) == (expected, True), name
    assert "typed by evil" not in json.dumps(slack.messages, ensure_ascii=False)
    status, _, raw = http(base + "/sandbox/act", act, dict(good, **{"Content-Type": "application/json; charset=utf-8"}))
    assert status == 200 and json.loads(raw)["ok"]
    assert "typed by evil" in json.dumps(slack.messages, ensure_ascii=False)  # the same request, from the page
    # a response_url: only the bot knows it (the run's token in its path); a web page's POST is refused
    inject = json.dumps({"text": "injected", "response_type": "in_channel"}).encode()
    token = box.run_token
    for path, headers, expected in (
            (f"/sandbox/respond/{token}/C0SAFETY/U0SUPA", {"Content-Type": "application/json",
                                                            "Origin": "http://evil.example"}, 403),
            ("/sandbox/respond/C0SAFETY/U0SUPA", {"Content-Type": "application/json"}, 404),  # the old shape
            ("/sandbox/respond/not-the-token/C0SAFETY/U0SUPA", {"Content-Type": "application/json"}, 403),
            (f"/sandbox/respond/{token}/C0SAFETY/U0SUPA", {"Content-Type": "text/plain; application/json"}, 415)):
        status, _, raw = http(base + path, inject, headers)
        assert status == expected and json.loads(raw)["error"], (path, headers)
    assert "injected" not in json.dumps(slack.messages, ensure_ascii=False)
    status, _, _ = http(base + f"/sandbox/respond/{token}/C0SAFETY/U0SUPA", inject, {"Content-Type": "application/json"})
    assert status == 200 and "injected" in json.dumps(slack.messages["C0SAFETY"], ensure_ascii=False)


def test_malformed_page_requests_get_a_4xx_with_a_reason_not_a_dropped_connection(box):
    """#19: `/sandbox/wait?v=abc` dropped the connection; `/sandbox/respond/C0SAFETY` without its user part hung
    the handler thread (the body was read twice). Each is now answered at once, with a reason."""
    base = box.slack.base
    cases = [("GET", "/sandbox/wait?v=abc", None, {}, 400),
             ("GET", "/sandbox/state?as=UNOBODY", None, {}, 400),
             ("POST", "/sandbox/respond/C0SAFETY", b'{"text": "x"}', {"Content-Type": "application/json"}, 404),
             ("POST", f"/sandbox/respond/{box.run_token}/C0SAFETY", b'{"text": "x"}',
              {"Content-Type": "application/json"}, 404),
             ("POST", f"/sandbox/respond/{box.run_token}/C0NOWHERE/U0SUPA", b'{"text": "x"}',
              {"Content-Type": "application/json"}, 404),
             ("POST", "/sandbox/act", b"[1, 2]", page_headers(box), 400),
             ("POST", "/sandbox/act", b"{not json", page_headers(box), 400),
             ("POST", "/sandbox/nothing-here", b"{}", page_headers(box), 404)]
    for method, path, data, headers, expected in cases:
        t0 = time.monotonic()
        status, _, raw = http(base + path, data, headers, method)
        assert status == expected, (path, status, raw)
        assert json.loads(raw)["error"], path  # a reason, in words
        assert time.monotonic() - t0 < 5, path  # answered, not held until a timeout


def test_the_page_api_says_starting_until_the_bot_is_up(tmp_path):
    """#20: an old tab reconnecting while the sandbox starts got `'Sandbox' object has no attribute 'commands'`
    and a dropped connection; it now gets a 503 that says so, and the state once the bot is up."""
    from sandbox import web
    from sandbox.run import Sandbox
    from sandbox.slack import FakeSlack as Stand_in

    box = Sandbox(port=0, lang="en", db_dir=str(tmp_path))
    box.slack = Stand_in(0, strict=True, people={"U0AGENT1": {"name": "A"}}, extra_routes=web.routes(box))
    try:  # the page's port is open, the bot not yet: the window an old tab can hit
        for path in ("/sandbox/state", "/sandbox/wait?v=1"):
            status, _, raw = http(box.slack.base + path)
            assert status == 503 and "starting" in json.loads(raw)["error"], path
        status, _, raw = http(box.slack.base + "/sandbox/act", b"{}", {"Content-Type": "application/json",
                                                                      "Origin": box.slack.base,
                                                                      "X-Sandbox-Token": box.run_token})
        assert status == 503
    finally:
        box.slack.close()
        box.slack = None
        box.stop()


def test_safeshift_sandbox_starts_with_no_settings_and_stops_cleanly(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SAFESHIFT_", "DATABASE_URL"))}
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "sandbox", "--port", "0", "--lang", "en", "--fast"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert url, line + proc.stderr.read()
        status, _, body = http(url.group(0))
        assert status == 200 and b"SafeShift sandbox" in body
        db = re.search(r"database (\S+)", proc.stdout.readline() + proc.stdout.readline()).group(1)
        assert os.path.exists(db)
        # A page reloaded while its long poll waits: the poll's connection is gone when the answer comes.
        token = re.search(rb'name="sandbox-token" content="([^"]+)"', body).group(1).decode()
        port = int(url.group(0).rstrip("/").rsplit(":", 1)[1])
        for i in range(3):
            version = json.loads(http(url.group(0) + "sandbox/state")[2])["version"]
            gone = socket.create_connection(("127.0.0.1", port))
            gone.sendall(f"GET /sandbox/wait?v={version} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            time.sleep(0.2)  # the poll is held (it answers only on a change)
            gone.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            gone.close()  # reset, as a reload does
            act = json.dumps({"do": "type", "as": "U0AGENT1", "channel": "C0TEAMA", "text": f"reload {i}"}).encode()
            assert http(url.group(0) + "sandbox/act", act, {"Content-Type": "application/json", "Origin":
                        url.group(0).rstrip("/"), "X-Sandbox-Token": token})[0] == 200  # a change: the poll answers
        assert json.loads(http(url.group(0) + "sandbox/wait?v=-1")[2])["version"] > version  # past the changes
    finally:
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "BrokenPipeError" not in err, err[-3000:]
    assert "stopped" in out and not os.path.exists(db)
    assert list(tmp_path.iterdir()) == []  # nothing left in the folder it ran in


def test_events_are_signed_as_slack_signs_them_and_only_subscribed_ones_are_sent():
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from slack_sdk.signature import SignatureVerifier

    from sandbox.people import People

    received: list[dict] = []
    verifier = SignatureVerifier("s3cret")

    class App(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            ok = verifier.is_valid(body=body, timestamp=self.headers["X-Slack-Request-Timestamp"],
                                   signature=self.headers["X-Slack-Signature"])
            received.append({"valid": ok, "body": json.loads(body)})
            self.send_response(200 if ok else 401)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), App)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    fake = FakeSlack(people={"U1": {"name": "Ann Lee"}}, channels={"C1": {"name": "safety"}})
    people = People(fake, f"http://127.0.0.1:{server.server_address[1]}/slack/events", "s3cret", ["/hazard"],
                    ["message.channels", "app_mention", "reaction_added"])
    try:
        ts = people.say("U1", "C1", "@SafeShift ask @Ann Lee about <b> & co")["ts"]
        people.say("U1", "D1", "a DM: message.im is not subscribed")
        people.react("U1", "C1", ts, "white_check_mark")
        people.react("U1", "C1", ts, "white_check_mark")  # taken back: reaction_removed, not subscribed
        assert people.idle()
        events = [r["body"]["event"] for r in received]
        assert all(r["valid"] for r in received) and all(r["body"]["event_id"].startswith("Ev") for r in received)
        assert [e["type"] for e in events] == ["message", "app_mention", "reaction_added"]
        assert events[0]["text"] == "<@UBOT> ask <@U1> about &lt;b&gt; &amp; co"
        assert events[0]["channel_type"] == "channel" and events[1]["channel"] == "C1"
        assert events[2]["item"] == {"type": "message", "channel": "C1", "ts": ts}
        assert fake.find("C1", ts)["reactions"] == []
    finally:
        people.stop()
        fake.close()
        server.shutdown()


def test_every_message_shortcut_of_the_manifest_reaches_the_bot_with_its_message(box):
    """Both declared message shortcuts (hazard, incident): one missing from the manifest is a failure, not a skip."""
    import yaml

    from bot.ids import HAZARD_SHORTCUT, INCIDENT_SHORTCUT
    from tests.conftest import ROOT

    slack, people = box.slack, box.people
    committed = yaml.safe_load((ROOT / "manifest.yaml").read_text(encoding="utf-8"))
    for manifest, where in ((committed, "manifest.yaml"), ({"features": {"shortcuts": box.shortcuts}}, "the sandbox")):
        declared = {s["callback_id"] for s in manifest["features"].get("shortcuts") or [] if s["type"] == "message"}
        assert declared >= {HAZARD_SHORTCUT, INCIDENT_SHORTCUT}, f"{where} lacks a message shortcut: {declared}"
    ts = people.say("U0AGENT1", "C0TEAMA", "the fire door on floor 3 is blocked")["ts"]
    assert people.shortcut("U0AGENT1", "no_such_thing", "C0TEAMA", ts)["error"] == "no_such_shortcut"
    for callback_id in (HAZARD_SHORTCUT, INCIDENT_SHORTCUT):
        opened = len(slack.modals.get("U0AGENT1") or [])
        assert people.shortcut("U0AGENT1", callback_id, "C0TEAMA", ts) == {"ok": True}
        stack = wait(lambda: len(slack.modals.get("U0AGENT1") or []) > opened and slack.modals["U0AGENT1"])
        modal = slack.views[stack[-1]]["view"]
        assert "fire door on floor 3" in json.dumps(modal, ensure_ascii=False), callback_id
        people.close_view("U0AGENT1", stack[-1])
    assert slack.problems == []


def test_fast_and_lang_pick_the_demo_policy_and_language():
    from sandbox.run import demo_org, workspace_names

    fast, slow = demo_org("en", True), demo_org("zh-CN", False)
    assert (fast.locale, slow.locale) == ("en", "zh-CN")
    assert fast.policy.hazard.levels[2].respond_within.seconds <= 5 * 60  # a ladder watched in minutes
    assert slow.policy.hazard.levels[2].respond_within.seconds == 30 * 60  # the built-in policy
    assert [r.after.seconds for r in fast.policy.escalation.acknowledge][-1] <= 5 * 60
    people, channels = workspace_names(slow)
    roles = " ".join(p["role"] for p in people.values())
    for role in ("一线客服专员", "业务主管", "安全专员", "部门负责人"):  # #25: the zh-CN demo names people in Chinese
        assert role in roles
    assert people["U0AGENT1"]["name"] == "李娜" and workspace_names(fast)[0]["U0AGENT1"]["name"] == "Li Na"
    assert {"safety", "leadership", "hotline-a", "hotline-b"} <= {c["name"] for c in channels.values()}
    # #25 finding 14: teams and shifts in the run's language (the catalogs no longer append 班 to a shift's name)
    assert [t.name for t in slow.teams] == ["热线A组", "热线B组"] and [t.name for t in fast.teams] == ["Hotline A", "Hotline B"]
    assert [s.name for s in slow.teams[0].shifts][:3] == ["早班", "中班", "夜班"]
    assert [s.name for s in fast.teams[0].shifts][:3] == ["Early", "Late", "Night"]


@pytest.mark.parametrize("lang, words", [("zh-CN", ("当前身份", "频道", "私信", "发送")),
                                         ("en", ("You are", "Channels", "Direct messages", "Send"))])
def test_the_pages_own_words_follow_lang(lang, words):
    """#25: the sandbox page's labels are in `--lang` (English only before); app.js asks only for known words."""
    import re

    from pathlib import Path

    from sandbox.labels import LABELS, fill

    html = fill((Path(__file__).resolve().parents[1] / "sandbox" / "static" / "index.html").read_bytes(), lang)
    page = html.decode("utf-8")
    assert "__L_" not in page and all(w in page for w in words), page
    assert f'<html lang="{lang}">' in page
    assert set(LABELS["zh-CN"]) == set(LABELS["en"])
    app = (Path(__file__).resolve().parents[1] / "sandbox" / "static" / "app.js").read_text(encoding="utf-8")
    assert set(re.findall(r'\bL\("([a-z_]+)"', app)) <= set(LABELS["en"])


def test_an_answer_slower_than_slacks_three_seconds_is_flagged(box):
    """Slack gives up after 3 s: an answer after 3.2 s is flagged, one after 2 s is not (with 30 s instead of 3 s,
    or a check that flags everything, this fails)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from sandbox import people as people_module

    assert people_module.SLACK_TIMEOUT == 3.0
    delay = {"s": 0.0}
    bot_url = box.people.bot_url

    class SlowBot(BaseHTTPRequestHandler):  # the real bot behind a pause, as a slow handler would be
        def log_message(self, *args):
            pass

        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(delay["s"])
            req = urllib.request.Request(bot_url, data=body, method="POST",
                                         headers={k: v for k, v in self.headers.items() if k.lower() != "host"})
            with urllib.request.urlopen(req, timeout=10) as resp:
                status, answer, ctype = resp.status, resp.read(), resp.headers.get("Content-Type", "text/plain")
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    proxy = ThreadingHTTPServer(("127.0.0.1", 0), SlowBot)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    try:
        box.people.bot_url = f"http://127.0.0.1:{proxy.server_address[1]}/slack/events"
        box.people.slow_after = people_module.SLACK_TIMEOUT  # the fixture's allowance for a loaded machine, undone
        delay["s"] = 2.0
        assert box.people.type("U0AGENT1", "C0TEAMA", "/hazard help") == {"ok": True}
        assert box.slack.problems == []  # 2 s: in time
        delay["s"] = 3.2
        box.people.type("U0AGENT1", "C0TEAMA", "/hazard help")
        assert len(box.slack.problems) == 1
        assert "operation_timeout" in box.slack.problems[-1]["errors"][0]
        assert "after 3 s" in box.slack.problems[-1]["errors"][0]
    finally:
        proxy.shutdown()
        proxy.server_close()
