"""Drills (#10): `/drill`, attendance on the day, the evaluation form. Each reads the payload, calls one use case in
`bot.drills`, and answers: an ephemeral line or message, a form, or the form's inline errors."""

from __future__ import annotations

import logging

from bot.drills import attendance, evaluation, manage
from bot.reports import transitions
from handlers.common import metadata, view_values, who_where
from handlers.middleware import INLINE_ERROR_MAX

log = logging.getLogger("safeshift.handlers")


def drill_command(ack, command, context):
    """`/drill` or `/drill list`, `/drill move <id> <YYYY-MM-DD> [HH:MM]`, `/drill help`: only for the person."""
    ctx, locale = context["safeshift"], context["locale"]
    outcome = manage.command(ctx, command.get("user_id", ""), command.get("text"), locale)
    if outcome.blocks:
        return ack(response_type="ephemeral", text=str(outcome.message), blocks=outcome.blocks)
    return ack(response_type="ephemeral", text=str(outcome.message))


def attend(ack, body, context):
    ack()
    ctx, locale = context["safeshift"], context["locale"]
    user, channel, value = who_where(body)
    outcome = attendance.attend(ctx, user, value, locale)
    transitions.ephemeral(ctx, channel, user, outcome.message)


def evaluate(ack, body, client, context):
    ack()
    ctx, locale = context["safeshift"], context["locale"]
    user, channel, value = who_where(body)
    outcome = evaluation.form_for(ctx, user, value, locale)
    if not outcome.ok:
        return transitions.ephemeral(ctx, channel, user, outcome.message)
    try:
        client.views_open(trigger_id=body.get("trigger_id"), view=outcome.view)
    except Exception:  # noqa: BLE001 - the trigger died or Slack refused: nothing was changed
        log.exception("views.open failed for the drill evaluation form")


def submit_evaluation(ack, body, view, context):
    ctx, locale = context["safeshift"], context["locale"]
    user = (body.get("user") or {}).get("id", "")
    outcome = evaluation.evaluate(ctx, user, metadata(view), view_values(view), locale)
    if not outcome.ok:
        return ack(response_action="errors",
                   errors={block: str(text)[:INLINE_ERROR_MAX] for block, text in outcome.errors.items()})
    return ack()
