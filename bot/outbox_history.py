"""An uncertain post (its sender died mid-call, or the call timed out) is looked for before posting again:
every post carries its outbox id in its metadata (`METADATA_TYPE`), so it can be found in the channel's
recent history (or its thread's replies)."""

from __future__ import annotations

import logging

log = logging.getLogger("safeshift.outbox")

METADATA_TYPE = "safeshift_outbox"  # every post carries its outbox id, so an uncertain one can be found
HISTORY_PAGES = 20  # how far back an uncertain post is looked for (200 messages a page)


def find_posted(client, row, payload: dict) -> dict | None:
    """Look for this row's message in the channel's recent history (by its metadata)."""
    channel = payload.get("channel", "")
    try:
        if channel[:1] in ("U", "W"):  # a DM: history wants the D… channel
            channel = client.conversations_open(users=channel)["channel"]["id"]
        oldest = f"{row.created_at.timestamp() - 60:.6f}"
        kwargs = dict(channel=channel, oldest=oldest, limit=200, include_all_metadata=True)
        cursor = None
        for _ in range(HISTORY_PAGES):  # a busy channel has more than one page since the row was made
            if cursor:
                kwargs["cursor"] = cursor
            if payload.get("thread_ts"):
                history = client.conversations_replies(ts=payload["thread_ts"], **kwargs)
            else:
                history = client.conversations_history(**kwargs)
            for message in history.get("messages") or []:
                meta = message.get("metadata") or {}
                if meta.get("event_type") == METADATA_TYPE and \
                        (meta.get("event_payload") or {}).get("outbox_id") == row.id:
                    return {"ts": message.get("ts"), "channel": channel}
            cursor = ((history.get("response_metadata") or {}).get("next_cursor") or "").strip()
            if not cursor:
                break
    except Exception as exc:  # noqa: BLE001 - cannot tell: posting again is the lesser evil
        log.warning("could not check whether outbox row %s was posted: %s", row.id, type(exc).__name__)
        return None
    return None
