"""Training (#23): `/training` (and its record form), an answer chosen on a question (radio buttons), the retake button. Each reads the
payload, calls one use case in `bot.training`, and answers the person (an ephemeral line) when there is something
to say."""

from __future__ import annotations

import logging

from bot import i18n, ids
from bot.hazards import transitions
from bot.training import command as commands
from bot.training import quiz, sessions
from handlers.common import INLINE_ERROR_MAX, open_view, view_values, who_where

log = logging.getLogger("safeshift.handlers")
VALUE_MAX = 40


def training_command(ack, command, client, context):
    ctx, locale = context["safeshift"], context["locale"]
    outcome = commands.command(ctx, command.get("user_id", ""), command.get("text"), locale)
    if outcome.view:
        ack()
        open_view(client, command.get("trigger_id"), outcome.view, "the training form",
                  lambda: transitions.ephemeral(ctx, command.get("channel_id"), command.get("user_id", ""),
                                                i18n.t(locale, "training.form_failed")))
        return None
    return ack(response_type="ephemeral", text=str(outcome.message))


def submit_record(ack, body, view, context):
    ctx, locale = context["safeshift"], context["locale"]
    user = (body.get("user") or {}).get("id", "")
    errors, _done = sessions.record(ctx, user, view_values(view), locale)
    if errors:
        return ack(response_action="errors",
                   errors={block: str(text)[:INLINE_ERROR_MAX] for block, text in errors.items()})
    return ack()


def answer(ack, body, context):
    ack()
    ctx, locale = context["safeshift"], context["locale"]
    user, channel, _ = who_where(body)
    action = (body.get("actions") or [{}])[0]
    value = str(((action.get("selected_option") or {}).get("value")) or "")[:VALUE_MAX]
    outcome = quiz.answer(ctx, user, value, locale)
    if outcome.message:
        transitions.ephemeral(ctx, channel, user, outcome.message)


def retake(ack, body, context):
    ack()
    ctx, locale = context["safeshift"], context["locale"]
    user, channel, value = who_where(body)
    outcome = quiz.retake(ctx, user, value, locale)
    if outcome.message:
        transitions.ephemeral(ctx, channel, user, outcome.message)


def register(app) -> None:
    """Training's listeners (#23)."""
    app.command(ids.TRAINING_COMMAND)(training_command)
    app.action(ids.TRAINING_ANSWER_ACTION)(answer)
    app.action(ids.TRAINING_RETAKE_ACTION)(retake)
    app.view(ids.TRAINING_RECORD_VIEW)(submit_record)
