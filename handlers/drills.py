"""Drills (#10): `/drill`, attendance on the day, the evaluation form. Each reads the payload, calls one use case in
`bot.drills`, and answers: an ephemeral line or message, a form, or the form's inline errors."""

from __future__ import annotations

import logging

from bot import i18n, ids
from bot.drills import attendance, evaluation, manage
from bot.hazards import transitions
from handlers.common import INLINE_ERROR_MAX, metadata, open_view, view_values, who_where

log = logging.getLogger("safeshift.handlers")


def drill_command(ack, command, client, context):
    """`/drill` or `/drill list`, `/drill move <id> <YYYY-MM-DD> [HH:MM]`, `/drill evaluate <id>` (the form),
    `/drill help`: answered only to the person."""
    ctx, locale = context["safeshift"], context["locale"]
    outcome = manage.command(ctx, command.get("user_id", ""), command.get("text"), locale)
    if outcome.view:
        ack()
        return _open(ctx, client, command.get("trigger_id"), outcome.view, command.get("channel_id"),
                     command.get("user_id", ""), locale)
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
    _open(ctx, client, body.get("trigger_id"), outcome.view, channel, user, locale)


def _open(ctx, client, trigger_id, view, channel, user, locale) -> None:
    open_view(client, trigger_id, view, "the drill evaluation form",
              lambda: transitions.ephemeral(ctx, channel, user, i18n.t(locale, "drills.form_failed")))


def submit_evaluation(ack, body, view, context):
    ctx, locale = context["safeshift"], context["locale"]
    user = (body.get("user") or {}).get("id", "")
    outcome = evaluation.evaluate(ctx, user, metadata(view), view_values(view), locale)
    if not outcome.ok:
        return ack(response_action="errors",
                   errors={block: str(text)[:INLINE_ERROR_MAX] for block, text in outcome.errors.items()})
    return ack()


def register(app) -> None:
    """Drills' listeners (#10)."""
    app.command(ids.DRILL_COMMAND)(drill_command)
    app.action(ids.DRILL_ATTEND_ACTION)(attend)
    app.action(ids.DRILL_EVALUATE_ACTION)(evaluate)
    app.view(ids.DRILL_VIEW)(submit_evaluation)
