"""Training (#23): `/training`, an answer chosen on a question (radio buttons), the retake button. Each reads the
payload, calls one use case in `bot.training`, and answers the person (an ephemeral line) when there is something
to say."""

from __future__ import annotations

from bot import ids
from bot.hazards import transitions
from bot.training import command as commands
from bot.training import quiz
from handlers.common import who_where

VALUE_MAX = 40


def training_command(ack, command, context):
    ctx, locale = context["safeshift"], context["locale"]
    outcome = commands.command(ctx, command.get("user_id", ""), command.get("text"), locale)
    return ack(response_type="ephemeral", text=str(outcome.message))


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
