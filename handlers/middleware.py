"""Work every listener needs, done once: our context and the person's language on the way in,
storage trouble mapped to the person's "try again" answer on the way out.

Listeners stay free of try/except copies and never import SQLAlchemy.
"""

from __future__ import annotations

import json
import logging

from slack_bolt.response import BoltResponse

from bot import i18n, ids, registry, untraced
from bot.context import STORAGE_ERRORS
from bot.prefs import user_locale
from handlers.common import INLINE_ERROR_MAX

log = logging.getLogger("safeshift.handlers")

# Where a form shows the "try again" answer: the block that holds the person's text.
_ERROR_BLOCK = {ids.REPORT_VIEW: "description", ids.RESOLVE_VIEW: ids.RESOLVE_NOTE_BLOCK,
                ids.INCIDENT_VIEW: "description", ids.INCIDENT_LEVEL_VIEW: ids.INCIDENT_LEVEL_BLOCK,
                ids.DRILL_VIEW: ids.DRILL_FORM_BLOCKS[0]}


def person_of(body: dict) -> str:
    """The Slack user behind a request, whatever its shape ('' when there is none)."""
    if not isinstance(body, dict):
        return ""
    user = body.get("user_id") or body.get("user")
    if isinstance(user, dict):
        user = user.get("id")
    if not user and isinstance(body.get("event"), dict):
        user = body["event"].get("user")
    return user if isinstance(user, str) else ""


def attach(ctx):
    """Middleware: `context["safeshift"]` is the app's Context, `context["locale"]` the person's language."""

    def safeshift_context(context, body, next):  # noqa: A002 - Bolt's argument name
        if untraced.is_untraced(body, registry.untraced_names()) and not untraced.active():
            with untraced.scope():  # Socket Mode has no WSGI front to mark it (HTTP: already marked there)
                return safeshift_context(context, body, next)
        context["safeshift"] = ctx
        locale = ctx.org.locale
        user = person_of(body)
        event = body.get("event") if isinstance(body, dict) else None
        if user and not (isinstance(event, dict) and event.get("type") == "message"):  # replies need no words
            try:
                locale = user_locale(ctx, user)
            except STORAGE_ERRORS:  # words still work without the database
                log.warning("database unavailable: answering in the organisation's language")
        context["locale"] = locale
        # Who asked for what, for an operator at DEBUG; an untraced request (bot/untraced.py) keeps none of it.
        log.debug("request %s from %s", _what(body), user or "-")
        return next()

    return safeshift_context


def _what(body) -> str:
    if not isinstance(body, dict):
        return "?"
    if isinstance(body.get("command"), str):
        return body["command"]
    event = body.get("event")
    return str((event or {}).get("type") if isinstance(event, dict) else body.get("type"))[:64]


def storage_errors(ctx):
    """Error handler: the database is away. Each kind of request gets the answer it can show."""

    def on_error(error, body, context, client):
        if not isinstance(error, STORAGE_ERRORS):
            log.error("listener failed: %s", type(error).__name__, exc_info=error)
            return None  # a bug: Bolt answers 500 and the traceback is in the log
        log.warning("database unavailable: %s", type(error).__name__)
        locale = (context or {}).get("locale") or ctx.org.locale
        text = i18n.t(locale, "errors.storage_unavailable")
        body = body if isinstance(body, dict) else {}
        if "command" in body:
            return _json({"response_type": "ephemeral", "text": text})
        kind = body.get("type")
        if kind == "view_submission":
            callback = (body.get("view") or {}).get("callback_id")
            block = _ERROR_BLOCK.get(callback, "description")
            return _json({"response_action": "errors",
                          "errors": {block: i18n.tp(locale, "errors.storage_unavailable")[:INLINE_ERROR_MAX]}})
        if kind == "block_actions":
            _direct_ephemeral(client, body, text)  # the outbox is in the database too: answer straight away
            return BoltResponse(status=200, body="")
        return BoltResponse(status=503, body="")  # events: Slack retries later

    return on_error


def _json(data: dict) -> BoltResponse:
    return BoltResponse(status=200, body=json.dumps(data, ensure_ascii=False),
                        headers={"content-type": "application/json;charset=utf-8"})


def _direct_ephemeral(client, body: dict, text: str) -> None:
    channel = (body.get("channel") or {}).get("id") if isinstance(body.get("channel"), dict) else None
    user = person_of(body)
    if not (channel and user):
        return
    try:
        client.chat_postEphemeral(channel=channel, user=user, text=text)
    except Exception:  # noqa: BLE001 - best effort
        log.warning("could not tell a person that the database is unavailable")
