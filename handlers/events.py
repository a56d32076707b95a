"""Events API: replies in a report card's thread join the report's timeline; the Home tab."""

from __future__ import annotations

from bot.home import home_view
from bot.reports import transitions

HUMAN_SUBTYPES = (None, "file_share", "thread_broadcast")


def on_message(body, event, context):
    if event.get("bot_id") or event.get("subtype") not in HUMAN_SUBTYPES or not event.get("user"):
        return
    thread_ts, ts = event.get("thread_ts"), event.get("ts")
    if not thread_ts or thread_ts == ts:
        return
    transitions.record_thread_reply(context["safeshift"], event_id=body.get("event_id"),
                                    channel=event.get("channel", ""), thread_ts=thread_ts, ts=ts,
                                    user_id=event["user"], text=event.get("text", ""))


def on_home(event, context):
    if event.get("tab") != "home" or not event.get("user"):
        return
    ctx = context["safeshift"]
    user = event["user"]
    transitions.publish_home(ctx, user, home_view(ctx, user, context["locale"]))
