"""Events API: a report card's thread (replies, reactions on the card, mentions of the bot); the Home tab."""

from __future__ import annotations

from bot import home
from bot.hazards import thread

HUMAN_SUBTYPES = (None, "file_share", "thread_broadcast")


def _bot_user(body, context) -> str | None:
    """The bot's own user id: from auth.test (Bolt's context), else from the event's authorizations."""
    bot = context.get("bot_user_id")
    if not bot:
        for auth in body.get("authorizations") or []:
            if auth.get("is_bot") and isinstance(auth.get("user_id"), str):
                bot = auth["user_id"]
                break
    return bot or None


def _text(event) -> str:
    text = event.get("text")
    return text if isinstance(text, str) else ""


def on_message(body, event, context):
    if event.get("bot_id") or event.get("subtype") not in HUMAN_SUBTYPES or not event.get("user"):
        return
    thread_ts, ts = event.get("thread_ts"), event.get("ts")
    if not thread_ts or thread_ts == ts:
        return
    bot = _bot_user(body, context)
    text = _text(event)
    # A message that mentions the bot also arrives as `app_mention`, which carries it out: here it only joins
    # the timeline, so that it cannot act twice.
    mentions_bot = bool(bot) and (f"<@{bot}>" in text or f"<@{bot}|" in text)
    thread.on_reply(context["safeshift"], event_id=body.get("event_id"), channel=event.get("channel", ""),
                    thread_ts=thread_ts, ts=ts, user_id=event["user"], text=text, mentions_bot=mentions_bot)


def on_reaction_added(body, event, context):
    item = event.get("item")
    if not isinstance(item, dict) or item.get("type") != "message" or not event.get("user"):
        return
    if not (item.get("channel") and item.get("ts") and isinstance(event.get("reaction"), str)):
        return
    thread.on_reaction(context["safeshift"], event_id=body.get("event_id"), channel=item["channel"], ts=item["ts"],
                       user_id=event["user"], reaction=event["reaction"], event_ts=event.get("event_ts"))


def on_mention(body, event, context):
    if event.get("bot_id") or not event.get("user") or not event.get("channel") or not event.get("ts"):
        return
    thread.on_mention(context["safeshift"], event_id=body.get("event_id"), channel=event["channel"],
                      thread_ts=event.get("thread_ts"), ts=event["ts"], user_id=event["user"], text=_text(event),
                      bot_user_id=_bot_user(body, context))


def on_home(event, context):
    if event.get("tab") != "home" or not event.get("user"):
        return
    home.publish_after_answer(context["safeshift"], event["user"], context["locale"])
