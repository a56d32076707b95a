"""Small helpers shared by the listeners: reading view state, naming database trouble."""

from __future__ import annotations

import json


def view_values(view: dict) -> dict:
    """{block_id: value} from a submitted view's state, whatever the element type."""
    out: dict = {}
    state = ((view or {}).get("state") or {}).get("values") or {}
    if not isinstance(state, dict):
        return out
    for block_id, actions in state.items():
        if not isinstance(actions, dict):
            continue
        for element in actions.values():
            if not isinstance(element, dict):
                continue
            kind = element.get("type")
            if kind in ("radio_buttons", "static_select"):
                option = element.get("selected_option") or {}
                out[block_id] = option.get("value") if isinstance(option, dict) else None
            elif kind == "users_select":
                out[block_id] = element.get("selected_user")
            elif kind == "datepicker":
                out[block_id] = element.get("selected_date")
            elif kind == "file_input":
                out[block_id] = element.get("files") or []
            else:
                out[block_id] = element.get("value")
    return out


def metadata(view: dict) -> dict:
    try:
        data = json.loads((view or {}).get("private_metadata") or "{}")
    except (TypeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


NUMBER_MAX = 64  # a button value longer than any report number is not ours


def who_where(body: dict) -> tuple[str, str | None, str]:
    """(who clicked, the channel it was in, the clicked button's value) of a block_actions payload."""
    user = (body.get("user") or {}).get("id", "")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    action = (body.get("actions") or [{}])[0]
    return user, channel, str(action.get("value") or "")[:NUMBER_MAX]
