"""Training (#23): `/training` (and its record form), an answer chosen on a question (radio buttons), the retake button. Each reads the
payload, calls one use case in `bot.training`, and answers the person (an ephemeral line) when there is something
to say."""

from __future__ import annotations

import logging
import re

from bot import i18n, ids
from bot.hazards import transitions
from bot.training import command as commands
from bot.training import quiz, roster, sessions, star, topics
from handlers.common import INLINE_ERROR_MAX, metadata, open_view, state_of, view_values, who_where

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


def _ticked(body: dict) -> list[str]:
    """The people ticked in the roster's checkboxes (Slack sends the message's state with the Save click)."""
    out: list[str] = []
    for block_id, block in state_of(body).items():
        if not str(block_id).startswith(ids.TRAINING_ROSTER_BLOCK + ":") or not isinstance(block, dict):
            continue
        element = block.get(ids.TRAINING_ROSTER_TICK_ACTION)
        options = element.get("selected_options") if isinstance(element, dict) else None
        for o in options[:roster.PER_BLOCK] if isinstance(options, list) else []:
            if isinstance(o, dict) and isinstance(o.get("value"), str):
                out.append(o["value"][:32])
    return out[:roster.PEOPLE_MAX]


def roster_tick(ack):
    ack()  # ticking a box changes nothing until Save


def roster_save(ack, body, context):
    ack()
    ctx, locale = context["safeshift"], context["locale"]
    user, channel, value = who_where(body)
    outcome = roster.save(ctx, user, value, _ticked(body), locale)
    message = outcome.message or (i18n.t(locale, "training.roster_saved_ok") if outcome.ok else None)
    if message:
        transitions.ephemeral(ctx, channel, user, message)


def star_pick(ack, body, context):
    ack()
    ctx, locale = context["safeshift"], context["locale"]
    user, channel, value = who_where(body)
    outcome = star.pick(ctx, user, value, locale)
    if outcome.message:
        transitions.ephemeral(ctx, channel, user, outcome.message)


def topic_button(ack, body, client, context):
    ack()
    ctx, locale = context["safeshift"], context["locale"]
    user, channel, value = who_where(body)
    view, refusal = topics.form(ctx, user, value, locale)
    if refusal is not None:
        transitions.ephemeral(ctx, channel, user, refusal)
        return
    open_view(client, body.get("trigger_id"), view, "the training topic form",
              lambda: transitions.ephemeral(ctx, channel, user, i18n.t(locale, "training.form_failed")))


def submit_topic(ack, body, view, context):
    ctx, locale = context["safeshift"], context["locale"]
    user = (body.get("user") or {}).get("id", "")
    text = view_values(view).get(ids.TRAINING_TOPIC_BLOCK)
    if not isinstance(text, str) or not text.strip():
        return ack(response_action="errors", errors={ids.TRAINING_TOPIC_BLOCK: i18n.tp(locale, "training.topic_empty")})
    report = metadata(view).get("report")
    said = topics.add(ctx, user, text, locale, report_id=report if isinstance(report, int) else None)
    ack()
    transitions.ephemeral(ctx, user, user, said)


def register(app) -> None:
    """Training's listeners (#23)."""
    app.command(ids.TRAINING_COMMAND)(training_command)
    app.action(ids.TRAINING_ANSWER_ACTION)(answer)
    app.action(ids.TRAINING_RETAKE_ACTION)(retake)
    app.view(ids.TRAINING_RECORD_VIEW)(submit_record)
    app.action(ids.TRAINING_TOPIC_ACTION)(topic_button)
    app.view(ids.TRAINING_TOPIC_VIEW)(submit_topic)
    app.action(ids.TRAINING_ROSTER_TICK_ACTION)(roster_tick)
    app.action(ids.TRAINING_ROSTER_SAVE_ACTION)(roster_save)
    app.action(re.compile(rf"^{ids.STAR_PICK_ACTION}(:\d+)?$"))(star_pick)
