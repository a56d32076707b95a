"""Small helpers shared by the listeners: reading view state, naming database trouble."""

from __future__ import annotations

import json
import logging

from bot.guard import scrub

log = logging.getLogger("safeshift.handlers")

INLINE_ERROR_MAX = 150  # Slack shows an inline error of at most this length


def open_view(client, trigger_id, view: dict, what: str, on_failure=None) -> bool:
    """`views.open` (the trigger dies in ~3 s): True when Slack opened it. When it could not (the trigger died,
    Slack refused or timed out) nothing was changed: it is logged with `what`, and `on_failure()` tells the person."""
    try:
        client.views_open(trigger_id=trigger_id, view=view)
        return True
    except Exception:  # noqa: BLE001 - whatever Slack or the network said: the person hears it from on_failure
        log.exception("views.open failed for %s", what)
        if on_failure is not None:
            on_failure()
        return False


def answer_command(ack, client, command: dict, outcome, what: str, failed_text) -> None:
    """A slash command's answer, in the HTTP response only: the use case's form (opened before the answer, so the
    client's timeout keeps inside Slack's 3 s; `failed_text` when Slack would not open it) or its words, ephemeral.
    Nothing goes through the outbox (an anonymous sender's answer must not be stored)."""
    if outcome.view:
        if not open_view(client, command.get("trigger_id"), outcome.view, what):
            return ack(response_type="ephemeral", text=str(failed_text))
        return ack()
    return ack(response_type="ephemeral", text=str(outcome.message))


def _text_or_none(value):
    """A value Slack sends as a string; anything else (a list, an object, a number) a forged one: None."""
    return value if isinstance(value, str) else None


def _files(value) -> list:
    """A file_input's files: only objects (what Slack sends); a number or a string is no file."""
    return [f for f in value if isinstance(f, dict)] if isinstance(value, list) else []


def element_value(element: dict):
    """What one input element of a submitted view holds, read strictly: the option's value, the person, the date
    or the text as a string, the files as objects; a shape Slack does not send reads as nothing."""
    kind = element.get("type")
    option = element.get("selected_option")
    if isinstance(option, dict) or kind in ("radio_buttons", "static_select"):
        return _text_or_none(option.get("value")) if isinstance(option, dict) else None
    if kind == "multi_users_select":  # the people of a training session (#23)
        users = element.get("selected_users")
        return [u for u in users if isinstance(u, str)][:200] if isinstance(users, list) else None
    if kind == "file_input" or "files" in element:
        return _files(element.get("files"))
    for key in ("selected_user", "selected_date", "value"):
        if element.get(key) is not None:
            return _text_or_none(element[key])
    return None


def state_of(container) -> dict:
    """{block_id: {action_id: element}} of a view's state, or of a message's (a click carries its message's state);
    {} for any other shape."""
    state = container.get("state") if isinstance(container, dict) else None
    values = state.get("values") if isinstance(state, dict) else None
    return values if isinstance(values, dict) else {}


def view_values(view: dict) -> dict:
    """{block_id: value} from a submitted view's state, whatever the element type (see `element_value`)."""
    out: dict = {}
    state = state_of(view)
    for block_id, actions in state.items():
        if not isinstance(actions, dict):
            continue
        for element in actions.values():
            if isinstance(element, dict):
                out[block_id] = element_value(element)
    return out


def metadata(view: dict) -> dict:
    """A view's private_metadata as an object ({} when it is none). Its JSON may spell a lone surrogate or a NUL as
    an escape (a forged form; the guard only sees the outer payload): those become U+FFFD, like everywhere else."""
    try:
        data = json.loads((view or {}).get("private_metadata") or "{}")
    except (TypeError, ValueError, RecursionError):
        return {}
    return scrub(data) if isinstance(data, dict) else {}


NUMBER_MAX = 64  # a button value longer than any report number is not ours


def who_where(body: dict) -> tuple[str, str | None, str]:
    """(who clicked, the channel it was in, the clicked button's value) of a block_actions payload."""
    user = (body.get("user") or {}).get("id", "")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    action = (body.get("actions") or [{}])[0]
    return user, channel, str(action.get("value") or "")[:NUMBER_MAX]
