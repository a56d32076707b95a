"""A global middleware: payloads whose shape is broken are answered with an empty 200 and logged.

Bolt itself raises on some malformed bodies (e.g. a view without `type`) and would answer 500.
Only requests that passed signature verification get here.
"""

from __future__ import annotations

import logging

from slack_bolt.response import BoltResponse

log = logging.getLogger("safeshift.guard")


def _is_str(x) -> bool:
    return isinstance(x, str) and 0 < len(x) <= 255


def shape_ok(body) -> bool:
    if not isinstance(body, dict):
        return False
    kind = body.get("type")
    if "command" in body:  # slash command (form fields)
        return _is_str(body.get("command")) and _is_str(body.get("user_id")) and isinstance(body.get("text", ""), str)
    if kind in ("view_submission", "view_closed"):
        view, user = body.get("view"), body.get("user")
        return (isinstance(view, dict) and _is_str(view.get("type")) and _is_str(view.get("id"))
                and isinstance(view.get("state", {}), dict) and isinstance(user, dict) and _is_str(user.get("id")))
    if kind == "block_actions":
        actions, user = body.get("actions"), body.get("user")
        return (isinstance(actions, list) and len(actions) > 0 and all(isinstance(a, dict) and
                _is_str(a.get("action_id")) for a in actions) and isinstance(user, dict) and _is_str(user.get("id")))
    if kind == "event_callback":
        event = body.get("event")
        return isinstance(event, dict) and _is_str(event.get("type"))
    return True


def register(app) -> None:
    @app.middleware
    def reject_malformed(req, resp, next):  # noqa: A002 - Bolt's argument name
        if not shape_ok(req.body):
            log.warning("ignored a signed but malformed payload (type=%r)",
                        req.body.get("type") if isinstance(req.body, dict) else None)
            return BoltResponse(status=200, body="")
        return next()
