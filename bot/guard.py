"""The one place for the rules on a request's shape, applied before any listener sees it.

Slack's payloads are documented, but a signed request can still arrive broken (a bug, a replayed capture
edited by someone holding the secret, a proxy mangling bytes). Listeners and Bolt's own parsing assume the
documented shape and answer 500 otherwise; Slack then retries and finally drops the delivery.

`screen()` runs in the WSGI front, after the signature and replay checks and before Bolt parses anything:

* what can be sanitised is: bytes that are not UTF-8 and lone UTF-16 surrogates (``"\\ud800"`` in JSON) become
  U+FFFD, NUL becomes U+FFFD (PostgreSQL cannot store it) — a genuine thread reply is still recorded;
* a shape that cannot be understood gets a quiet 200 (Slack stops retrying) and one log line, without user text;
* an id longer than the column that stores it is refused: 400, or 200 for Events API deliveries (anything but
  2xx makes Slack retry, and a high failure rate makes Slack switch the event subscription off).

`bolt_guard` applies the same rules inside Bolt, before its authorization step (`App(before_authorize=...)`): a
second line in HTTP mode, the only line in Socket Mode (which does not pass through WSGI and has no signatures).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import time
import urllib.parse
from dataclasses import dataclass

from bot import registry, untraced
from storage.models import ProcessedEvent, Report, SlackMessage, UserPref

log = logging.getLogger("safeshift.guard")

# Column lengths, read from the tables that store these ids: the rules cannot drift from the schema.
USER_ID = UserPref.__table__.c.user_id.type.length  # 32
CHANNEL_ID = SlackMessage.__table__.c.channel.type.length  # 32
TS = SlackMessage.__table__.c.ts.type.length  # 32
VIEW_ID = Report.__table__.c.source_key.type.length  # 128 (a report's source_key is its view id)
EVENT_ID = ProcessedEvent.__table__.c.event_id.type.length  # 64
NAME = 255  # commands, action ids, types: no column, but nothing legitimate is longer
METADATA = 3000  # Slack's limit for a view's private_metadata: a longer one was not written by us

IGNORE, REFUSE = "ignore", "refuse"
_BAD_CHARS = re.compile("[\ud800-\udfff\x00]")
_FIX = "\ufffd"


class Problem(Exception):
    """Why a body is not taken: `verdict` is IGNORE or REFUSE, `reason` names a field, never its content."""

    def __init__(self, verdict: str, reason: str):
        super().__init__(reason)
        self.verdict, self.reason = verdict, reason


# --------------------------------------------------------------------------- sanitising
def scrub(value):
    """`value` with every lone surrogate and NUL in every string (keys too) replaced by U+FFFD.

    Returns the same object when nothing needed fixing, so callers can tell with `is`.
    """
    if isinstance(value, str):
        return _BAD_CHARS.sub(_FIX, value) if _BAD_CHARS.search(value) else value
    if isinstance(value, dict):
        out, changed = {}, False
        for k, v in value.items():
            k2, v2 = scrub(k), scrub(v)
            changed = changed or k2 is not k or v2 is not v
            out[k2] = v2
        return out if changed else value
    if isinstance(value, list):
        items = [scrub(v) for v in value]
        return items if any(a is not b for a, b in zip(items, value)) else value
    return value


# --------------------------------------------------------------------------- the rules
def _ignore(reason: str):
    raise Problem(IGNORE, reason)


def _id(obj: dict, key: str, limit: int, where: str, required: bool = False) -> None:
    value = obj.get(key)
    if value is None or value == "":
        if required:
            _ignore(f"{where}.{key} missing")
        return
    if not isinstance(value, str):
        _ignore(f"{where}.{key} not a string")
    if len(value) > limit:
        raise Problem(REFUSE, f"{where}.{key} longer than {limit}")


def _optional(obj: dict, key: str, kinds: tuple, where: str) -> None:
    if obj.get(key) is not None and not isinstance(obj[key], kinds):
        _ignore(f"{where}.{key} has the wrong type")


def _list_of_dicts(obj: dict, key: str, where: str, required: bool = False) -> None:
    value = obj.get(key)
    if value is None and not required:
        return
    if not isinstance(value, list) or (required and not value) or not all(isinstance(v, dict) for v in value):
        _ignore(f"{where}.{key} not a list of objects")


def _envelope(obj: dict, where: str) -> None:
    """What Bolt's own context building reads (slack_bolt.request.internals) must have a type it can read."""
    for key in ("user", "team", "enterprise", "channel"):
        _optional(obj, key, (str, dict), where)
    _list_of_dicts(obj, "authorizations", where)
    _list_of_dicts(obj, "response_urls", where)
    if isinstance(obj.get("user"), dict):
        _id(obj["user"], "id", USER_ID, f"{where}.user")


def _slash_command(body: dict) -> None:
    _id(body, "command", NAME, "command", required=True)
    _id(body, "user_id", USER_ID, "command", required=True)
    _id(body, "channel_id", CHANNEL_ID, "command")


def _user_object(body: dict, where: str) -> None:
    user = body.get("user")
    if not isinstance(user, dict):
        _ignore(f"{where}.user not an object")
    _id(user, "id", USER_ID, f"{where}.user", required=True)


def _block_actions(body: dict) -> None:
    _user_object(body, "block_actions")
    _list_of_dicts(body, "actions", "block_actions", required=True)
    for action in body["actions"]:
        _id(action, "action_id", NAME, "block_actions.action", required=True)
    for key, id_key in (("channel", "id"), ("container", "channel_id")):
        _optional(body, key, (dict,), "block_actions")
        if isinstance(body.get(key), dict):
            _id(body[key], id_key, CHANNEL_ID, f"block_actions.{key}")
    _optional(body, "view", (dict,), "block_actions")
    _optional(body, "message", (dict,), "block_actions")
    _optional(body, "trigger_id", (str,), "block_actions")


def _view_payload(body: dict) -> None:
    kind = body["type"]
    _user_object(body, kind)
    view = body.get("view")
    if not isinstance(view, dict):
        _ignore(f"{kind}.view not an object")
    _id(view, "type", NAME, f"{kind}.view", required=True)
    _id(view, "id", VIEW_ID, f"{kind}.view", required=True)
    _id(view, "callback_id", NAME, f"{kind}.view")
    _optional(view, "state", (dict,), f"{kind}.view")
    _optional(view, "private_metadata", (str,), f"{kind}.view")
    if isinstance(view.get("private_metadata"), str) and len(view["private_metadata"]) > METADATA:
        raise Problem(REFUSE, f"{kind}.view.private_metadata longer than {METADATA}")


def _event_callback(body: dict) -> None:
    _id(body, "event_id", EVENT_ID, "event_callback")
    event = body.get("event")
    if not isinstance(event, dict):
        _ignore("event_callback.event not an object")
    _id(event, "type", NAME, "event", required=True)
    kind = event["type"]
    _envelope(event, f"event[{kind}]" if kind in ("message", "app_home_opened", "app_mention") else "event")
    if kind == "message":
        _id(event, "user", USER_ID, "event[message]")
        _id(event, "channel", CHANNEL_ID, "event[message]")
        _id(event, "ts", TS, "event[message]")
        _id(event, "thread_ts", TS, "event[message]")
        _optional(event, "subtype", (str,), "event[message]")
        _optional(event, "text", (str,), "event[message]")
    elif kind == "app_mention":  # a mention of the bot: read like a message
        for key, limit in (("user", USER_ID), ("channel", CHANNEL_ID), ("ts", TS), ("thread_ts", TS)):
            _id(event, key, limit, "event[app_mention]")
        _optional(event, "text", (str,), "event[app_mention]")
    elif kind in ("reaction_added", "reaction_removed"):
        _id(event, "user", USER_ID, f"event[{kind}]")
        _id(event, "reaction", NAME, f"event[{kind}]")
        _id(event, "event_ts", TS, f"event[{kind}]")
        _optional(event, "item", (dict,), f"event[{kind}]")
        if isinstance(event.get("item"), dict):
            _id(event["item"], "channel", CHANNEL_ID, f"event[{kind}].item")
            _id(event["item"], "ts", TS, f"event[{kind}].item")
    elif kind == "app_home_opened":
        _id(event, "user", USER_ID, "event[app_home_opened]", required=True)
        _id(event, "channel", CHANNEL_ID, "event[app_home_opened]")
        _optional(event, "tab", (str,), "event[app_home_opened]")


_BY_TYPE = {"block_actions": _block_actions, "view_submission": _view_payload, "view_closed": _view_payload,
            "event_callback": _event_callback}


def check(body) -> None:
    """Raise `Problem` unless `body` (as Bolt parses it) has a shape every listener and Bolt itself can read."""
    if not isinstance(body, dict):
        _ignore(f"body is {type(body).__name__}, not an object")
    _envelope(body, "body")
    if "command" in body:
        return _slash_command(body)
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        if body.get("ssl_check"):
            return None
        _ignore("no type")
    if kind == "url_verification":
        return _optional(body, "challenge", (str,), "url_verification")
    rule = _BY_TYPE.get(kind)
    return rule(body) if rule else None


# --------------------------------------------------------------------------- the WSGI front
@dataclass
class Screened:
    status: int | None  # None: hand on to Bolt; else answer this at once with an empty body
    body: bytes  # the body to hand on: the original object unless it was sanitised
    is_event: bool  # an Events API delivery (a raw JSON body of type event_callback), the only kind Slack retries
    reason: str = ""
    untraced: bool = False  # a request that must leave no trace of its sender (bot/untraced.py)


# In JSON text a lone surrogate or a NUL can only arrive as an escape: without one, there is nothing to scrub.
_JSON_ESCAPES = re.compile(r"\\u(?:[dD][89a-fA-F]|0000)")


def _parse(text: str, content_type: str):
    """(format, parsed, form fields, may need scrubbing) exactly as Bolt's `parse_body` would see `text`."""
    if not text:
        return "empty", {}, None, False
    if content_type.split(";")[0] == "application/json" or text.startswith("{"):
        return "json", json.loads(text), None, bool(_JSON_ESCAPES.search(text))
    fields = dict(urllib.parse.parse_qsl(text, keep_blank_values=True))
    if "payload" in fields:
        payload = fields["payload"]
        return "payload", json.loads(payload), fields, bool(_JSON_ESCAPES.search(payload))
    return "form", fields, fields, True


def _encode(fmt: str, body, fields) -> bytes:
    if fmt == "json":
        return json.dumps(body, ensure_ascii=False).encode()
    if fmt == "payload":
        return urllib.parse.urlencode(dict(fields, payload=json.dumps(body, ensure_ascii=False))).encode()
    # Bolt reads any form body containing the letters "payload" as an interactive payload and finds none:
    # spell them with one escaped letter, which decodes to the same text.
    return urllib.parse.urlencode(body).replace("payload", "p%61yload").encode()


def screen(raw: bytes, content_type: str) -> Screened:
    """Judge and, where possible, sanitise one signed body before Bolt parses it. Pure: no I/O."""
    try:
        text = raw.decode("utf-8")
        changed = False
    except UnicodeDecodeError:
        text, changed = raw.decode("utf-8", "replace"), True
    fmt, is_event = "unparsed", False
    try:
        fmt, body, fields, suspect = _parse(text, content_type or "")
        is_event = fmt == "json" and isinstance(body, dict) and body.get("type") == "event_callback"
        clean = scrub(body) if suspect else body
        changed = changed or clean is not body or (fmt == "form" and "payload" in text)
        body = clean
        check(body)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than anything Slack sends
        return _answer(raw, is_event, fmt, Problem(IGNORE, "body or payload is not JSON Bolt can read"))
    except Problem as problem:
        return _answer(raw, is_event, fmt, problem)
    return Screened(None, _encode(fmt, body, fields) if changed else raw, is_event,
                    untraced=untraced.is_untraced(body, registry.untraced_names()))


def _answer(raw: bytes, is_event: bool, fmt: str, problem: Problem) -> Screened:
    status = 400 if problem.verdict == REFUSE and not is_event else 200
    log.warning("signed request %s (%s, %s body): answered %d", "refused" if problem.verdict == REFUSE
                else "not understood", problem.reason, fmt, status)
    return Screened(status, raw, is_event, problem.reason)


def resign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature Slack would have given `body`: the sanitised body stays verifiable by Bolt."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_bytes_valid(secret: str, body: bytes, timestamp: str, signature: str, now: float | None = None) -> bool:
    """Slack's signature check over raw bytes, for a body that is not UTF-8 (the SDK's verifier cannot read it)."""
    if not (timestamp.isascii() and timestamp.isdigit()) \
            or abs((time.time() if now is None else now) - int(timestamp)) > 60 * 5:
        return False
    return hmac.compare_digest(resign(secret, timestamp, body), signature)


# --------------------------------------------------------------------------- the Bolt middleware
def bolt_guard(req, resp, next):  # noqa: A002 - Bolt's argument name
    """The same rules inside Bolt. Give it to `App(before_authorize=...)`: Bolt's own authorization step already
    reads the body, so a plain global middleware would run too late for Socket Mode."""
    clean = scrub(req.body)
    if clean is not req.body and isinstance(req.body, dict):  # Socket Mode: no WSGI front sanitised it
        req.body.clear()
        req.body.update(clean)
    try:
        check(req.body)
    except Problem as problem:
        log.warning("signed request %s (%s) in %s mode: acknowledged and ignored",
                    "refused" if problem.verdict == REFUSE else "not understood", problem.reason, req.mode)
        from slack_bolt.response import BoltResponse  # here: the kinds read this module's rules without Bolt

        return BoltResponse(status=200, body="")
    return next()


def register(app) -> None:
    """Install `bolt_guard` as a global middleware, unless the App already runs it before authorization."""
    if getattr(getattr(app, "_before_authorize", None), "func", None) is not bolt_guard:
        app.middleware(bolt_guard)


# --------------------------------------------------------------------------- Socket Mode
def socket_mode_handler(app, app_token: str):
    """A Bolt SocketModeHandler that applies the rules before Bolt builds its request.

    Bolt reads a payload's ids while constructing the request, before any middleware: a number where an id
    belongs raises there, the envelope is never acknowledged, and Slack re-delivers it until it gives up.
    """
    from slack_bolt.adapter.socket_mode import SocketModeHandler
    from slack_sdk.socket_mode.response import SocketModeResponse

    class GuardedSocketModeHandler(SocketModeHandler):
        def handle(self, client, req) -> None:
            try:
                payload = scrub(req.payload)
                check(payload)
            except (Problem, RecursionError) as problem:
                reason = problem.reason if isinstance(problem, Problem) else "nested too deep"
                log.warning("Socket Mode envelope not understood (%s, %s): acknowledged and ignored", reason, req.type)
                client.send_socket_mode_response(SocketModeResponse(envelope_id=req.envelope_id))
                return
            req.payload = payload
            super().handle(client, req)

    return GuardedSocketModeHandler(app, app_token)
