"""Slack's schemas travel with the repository and the package (#20), and the sandbox's own validator (pure
Python, no jsonschema at run time) gives the verdicts jsonschema gives."""

from __future__ import annotations

import copy
import hashlib
import json
import random
import re
import time
from pathlib import Path

import pytest
from jsonschema.validators import validator_for

from sandbox.checks import DEFAULT_SCHEMA, Checker, SchemaCheck, SchemaError

SCHEMAS = Path(__file__).resolve().parents[1] / "sandbox" / "schemas"
# The upstream files, byte for byte (sandbox/schemas/README.md names the source commits).
UPSTREAM_SHA256 = {
    "block-kit.schema.json": "3bab65749e3829ad7e1a58a376563cc61d9e46944f049ad985edde73a46be824",
    "manifest.schema.json": "f2adf9f9800230e2fe44bab0762796492871edaab817e9160fdcdf0eb4642e58",
}


def test_the_schemas_are_vendored_unmodified_with_their_licences_and_source():
    readme = (SCHEMAS / "README.md").read_text(encoding="utf-8")
    for name, digest in UPSTREAM_SHA256.items():
        assert hashlib.sha256((SCHEMAS / name).read_bytes()).hexdigest() == digest, f"{name} differs from upstream"
        licence = (SCHEMAS / name.replace(".json", ".LICENSE")).read_text(encoding="utf-8")
        assert licence.startswith("MIT License") and "Copyright" in licence
        assert name in readme and name.replace(".json", ".LICENSE") in readme
    assert "github.com/TightknitAI/slack-block-kit-validator" in readme and "github.com/slackapi/manifest-schema" in readme
    assert DEFAULT_SCHEMA == SCHEMAS / "block-kit.schema.json"


def test_the_sandbox_validates_with_the_vendored_schema_and_no_jsonschema(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_jsonschema(name, *args, **kwargs):
        if name == "jsonschema" or name.startswith("jsonschema."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_jsonschema)
    checker = Checker()
    assert checker.on, checker.why_off
    assert checker("chat.postMessage", {"text": "x", "blocks": [{"type": "section", "text": {"type": "mrkdwn",
                                                                                             "text": "ok"}}]}) == []
    errors = checker("chat.postMessage", {"text": "x", "blocks": [{"type": "section",
                                                                   "text": {"type": "mrkdwn", "text": ""}}]})
    assert errors and errors[0].startswith("blocks/0")


def test_a_schema_keyword_the_validator_does_not_know_is_refused_not_ignored(tmp_path):
    with pytest.raises(SchemaError, match="unevaluatedProperties"):
        SchemaCheck({"type": "object", "unevaluatedProperties": False})
    schema = tmp_path / "newer.schema.json"
    schema.write_text(json.dumps({"$defs": {"modal_view": {}, "home_view": {}}, "dependentSchemas": {}}))
    checker = Checker(schema)
    assert not checker.on and "dependentSchemas" in checker.why_off


# A few payloads per keyword the Block Kit schema uses, valid and not.
SECTION = {"type": "section", "text": {"type": "mrkdwn", "text": "*card*"}}
BUTTON = {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "go", "value": "1"}
CHECKBOXES = {"type": "checkboxes", "action_id": "items",
              "options": [{"text": {"type": "mrkdwn", "text": f"item {i}"}, "value": str(i)} for i in range(3)]}
MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Form"}, "submit": {"type": "plain_text",
                                                                                    "text": "Send"},
         "callback_id": "f", "private_metadata": "{}",
         "blocks": [{"type": "input", "block_id": "what", "label": {"type": "plain_text", "text": "What"},
                     "element": {"type": "plain_text_input", "action_id": "v", "multiline": True,
                                 "max_length": 500}},
                    {"type": "input", "block_id": "level", "label": {"type": "plain_text", "text": "Level"},
                     "element": {"type": "radio_buttons", "action_id": "v",
                                 "options": [{"text": {"type": "plain_text", "text": "1"}, "value": "1"}]}},
                    {"type": "input", "block_id": "photos", "optional": True,
                     "label": {"type": "plain_text", "text": "Photos"},
                     "element": {"type": "file_input", "action_id": "v", "max_files": 3}}]}
HOME = {"type": "home", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "Home"}}, SECTION,
                                   {"type": "divider"}, {"type": "actions", "elements": [BUTTON]},
                                   {"type": "context", "elements": [{"type": "mrkdwn", "text": "a note"}]}]}
MESSAGE = [SECTION, {"type": "actions", "block_id": "acts", "elements": [BUTTON, CHECKBOXES]},
           {"type": "section", "text": {"type": "mrkdwn", "text": "x"}, "fields": [
               {"type": "mrkdwn", "text": "a"}, {"type": "plain_text", "text": "b", "emoji": True}],
            "accessory": dict(BUTTON, style="danger", confirm={
                "title": {"type": "plain_text", "text": "Sure?"}, "text": {"type": "plain_text", "text": "Really"},
                "confirm": {"type": "plain_text", "text": "Yes"}, "deny": {"type": "plain_text", "text": "No"}})},
           {"type": "image", "image_url": "https://example.com/a.png", "alt_text": "a"},
           {"type": "context", "elements": [{"type": "image", "image_url": "https://example.com/a.png",
                                             "alt_text": "a"}, {"type": "mrkdwn", "text": "b"}]}]


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


def _mutate(value, rng: random.Random):
    """One small change of the kind a bug makes: a key gone, empty, too long, of another type, or extra."""
    value = copy.deepcopy(value)
    path = rng.choice(list(_paths(value))[1:])
    parent = value
    for key in path[:-1]:
        parent = parent[key]
    key, how = path[-1], rng.randrange(8)
    if how == 0:
        del parent[key]
    elif how == 1:
        parent[key] = ""
    elif how == 2:
        parent[key] = "x" * 3001
    elif how == 3:
        parent[key] = 7
    elif how == 4:
        parent[key] = None
    elif how == 5:
        parent[key] = {"type": "plain_text", "text": "a"}
    elif how == 6:
        parent[key] = [parent[key]] * 101
    elif isinstance(parent[key], dict):
        parent[key]["unknown_key"] = True
    else:
        parent[key] = True
    return value


def _corpus():
    return [(None, MESSAGE), ("modal_view", MODAL), ("home_view", HOME)]


def test_the_sandboxs_validator_agrees_with_jsonschema_on_valid_and_broken_payloads():
    schema = json.loads((SCHEMAS / "block-kit.schema.json").read_text(encoding="utf-8"))
    rng = random.Random(20)
    checked = disagreements = invalid = 0
    for ref, payload in _corpus():
        part = schema if ref is None else {"$schema": schema["$schema"], "$defs": schema["$defs"],
                                           "$ref": f"#/$defs/{ref}"}
        theirs, ours = validator_for(part)(part), SchemaCheck(schema, ref)
        assert theirs.is_valid(payload) and not list(ours.errors(payload))
        for _ in range(120):  # jsonschema takes ~10 ms a case here (ours ~1 ms)
            broken = _mutate(payload, rng)
            verdict = next(iter(ours.errors(broken)), None) is None
            checked, invalid = checked + 1, invalid + (not verdict)
            if verdict != theirs.is_valid(broken):
                disagreements += 1
                assert disagreements == 0, (ref, json.dumps(broken)[:500], list(ours.errors(broken))[:3])
    assert checked == 360 and invalid > 180  # most mutations break the payload: both must see it


def test_what_the_bot_really_sends_gets_the_same_verdict_from_both(tmp_path):
    """The demo workspace after a report, a few commands and a Home tab: every payload the stand-in took."""
    from sandbox.run import Sandbox

    schema = json.loads((SCHEMAS / "block-kit.schema.json").read_text(encoding="utf-8"))
    box = Sandbox(port=0, lang="en", db_dir=str(tmp_path), channel_interval=0).start()
    try:
        box.slack.trigger_ttl = box.people.slow_after = 60.0
        people = box.people
        people.type("U0AGENT1", "C0TEAMA", "/hazard cable across the aisle")
        for text in ("/hazard help", "/incident help", "/plan", "/risk", "/safeshift", "/drill list"):
            people.type("U0SUPA", "C0SAFETY", text)
        people.open_home("U0SUPA")
        assert people.idle()

        def payloads():
            with box.slack._lock:
                found = [(None, m["blocks"]) for msgs in box.slack.messages.values() for m in msgs if m.get("blocks")]
                found += [(None, m["blocks"]) for m in box.slack.ephemeral if m.get("blocks")]
                found += [("home_view" if v["view"].get("type") == "home" else "modal_view", v["view"])
                          for v in box.slack.views.values()]
            return found

        deadline = time.time() + 20  # the Home tab is published after its event, the answers after the commands
        while len(payloads()) < 6 and time.time() < deadline:
            time.sleep(0.1)
        sent = payloads()
    finally:
        box.stop()
    assert len(sent) >= 6, sent
    payloads = sent
    rng = random.Random(7)
    for ref, payload in payloads:
        part = schema if ref is None else {"$schema": schema["$schema"], "$defs": schema["$defs"],
                                           "$ref": f"#/$defs/{ref}"}
        theirs, ours = validator_for(part)(part), SchemaCheck(schema, ref)
        for case in [payload] + [_mutate(payload, rng) for _ in range(20)]:
            assert (next(iter(ours.errors(case)), None) is None) == theirs.is_valid(case), json.dumps(case)[:500]


def test_nothing_in_the_repository_reads_from_beside_it():
    """A clone from the code host has no ../shared: no code or test may reach outside the repository."""
    root = SCHEMAS.parents[1]
    outside = re.compile(r"""parents\[\d+\]\.parent\b|\.parent\.parent\.parent|["']\.\./shared|/ ["']shared["']""")
    found = [f"{p.relative_to(root)}:{n}" for folder in ("bot", "handlers", "storage", "schedules", "sandbox", "tests")
             for p in sorted((root / folder).rglob("*.py")) if "__pycache__" not in p.parts
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if outside.search(line) and "outside = re.compile" not in line]
    assert found == [], found
