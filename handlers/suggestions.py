"""The suggestion box (#24): `/suggest` and its form, whose listeners never read who sent them (the use cases are
given the words and the language only; the front marks these requests untraced, bot/untraced.py), and the
leadership's Reply / Adopt / Decline on the post."""

from __future__ import annotations

import logging

from bot import i18n, ids
from bot.hazards import transitions
from bot.suggestions import answer, box
from handlers.common import INLINE_ERROR_MAX, answer_command, metadata, open_view, view_values, who_where

log = logging.getLogger("safeshift.handlers")


def suggest_command(ack, command, client, context):
    """Answered in the HTTP response only (an ephemeral answer through the outbox would store the sender)."""
    ctx, locale = context["safeshift"], context["locale"]
    outcome = box.command(ctx, command.get("text"), locale)
    return answer_command(ack, client, command, outcome, "the suggestion form",
                          i18n.t(locale, "suggestions.form_failed"))


def home_button(ack, body, client, context):
    """The Home tab's button: the form, like a bare `/suggest` (the click is untraced; nothing is answered on
    failure but the log's withheld line: an answer through the outbox would store the person)."""
    ack()
    ctx, locale = context["safeshift"], context["locale"]
    open_view(client, body.get("trigger_id"), box.form(ctx, locale), "the suggestion form")


def submit_suggestion(ack, view, context):
    ctx, locale = context["safeshift"], context["locale"]
    outcome = box.submit(ctx, view_values(view).get(ids.SUGGEST_TEXT_BLOCK), locale)
    if not outcome.code:
        return ack(response_action="errors", errors={ids.SUGGEST_TEXT_BLOCK: str(outcome.message)[:INLINE_ERROR_MAX]})
    return ack(response_action="update", view=box.submitted_view(locale, outcome))


def reply(ack, body, client, context):
    ack()
    ctx, locale = context["safeshift"], context["locale"]
    user, channel, value = who_where(body)
    outcome = answer.reply_form(ctx, user, value, locale)
    if not outcome.ok:
        return transitions.ephemeral(ctx, channel, user, outcome.message)
    open_view(client, body.get("trigger_id"), outcome.view, "the suggestion reply form",
              lambda: transitions.ephemeral(ctx, channel, user, i18n.t(locale, "suggestions.form_failed")))


def _decide(action: str):
    def decide(ack, body, context):
        ack()
        ctx, locale = context["safeshift"], context["locale"]
        user, channel, value = who_where(body)
        outcome = answer.act(ctx, user, value, action, locale)
        transitions.ephemeral(ctx, channel, user, outcome.message)

    decide.__name__ = f"suggestion_{action}"
    return decide


def submit_reply(ack, body, view, context):
    ctx, locale = context["safeshift"], context["locale"]
    user = (body.get("user") or {}).get("id", "")
    sid = (view or {}).get("private_metadata") or metadata(view).get("id")
    outcome = answer.act(ctx, user, sid, "reply", locale, reply=view_values(view).get(ids.SUGGEST_REPLY_BLOCK) or "")
    if outcome.errors:
        return ack(response_action="errors",
                   errors={k: str(v)[:INLINE_ERROR_MAX] for k, v in outcome.errors.items()})
    if not outcome.ok:
        return ack(response_action="errors", errors={ids.SUGGEST_REPLY_BLOCK: str(outcome.message)[:INLINE_ERROR_MAX]})
    return ack()


def register(app) -> None:
    """The suggestion box's listeners (#24)."""
    app.command(ids.SUGGEST_COMMAND)(suggest_command)
    app.view(ids.SUGGEST_VIEW)(submit_suggestion)
    app.action(ids.SUGGEST_HOME_ACTION)(home_button)
    app.action(ids.SUGGEST_REPLY_ACTION)(reply)
    app.action(ids.SUGGEST_ADOPT_ACTION)(_decide("adopted"))
    app.action(ids.SUGGEST_DECLINE_ACTION)(_decide("declined"))
    app.view(ids.SUGGEST_REPLY_VIEW)(submit_reply)
