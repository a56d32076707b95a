"""Events API: replies in a report card's thread join the report's timeline."""

from __future__ import annotations

import logging

from bot import hazards
from bot.home import home_view
from handlers.common import STORAGE_ERRORS

log = logging.getLogger("safeshift.handlers")

HUMAN_SUBTYPES = (None, "file_share", "thread_broadcast")


def register(app, ctx) -> None:
    @app.event("message")
    def on_message(body, event):
        if event.get("bot_id") or event.get("subtype") not in HUMAN_SUBTYPES or not event.get("user"):
            return
        thread_ts, ts = event.get("thread_ts"), event.get("ts")
        if not thread_ts or thread_ts == ts:
            return
        hazards.record_thread_reply(ctx, event_id=body.get("event_id"), channel=event.get("channel", ""),
                                    thread_ts=thread_ts, ts=ts, user_id=event["user"], text=event.get("text", ""))

    @app.event("app_home_opened")
    def on_home(event, client):
        if event.get("tab") != "home" or not event.get("user"):
            return
        user = event["user"]
        try:
            view = home_view(ctx, user, hazards.user_locale(ctx, user))
        except STORAGE_ERRORS:
            log.exception("database unavailable while rendering the Home tab")
            return
        hazards.publish_home(ctx, user, view)
