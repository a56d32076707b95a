"""Indicators (#22): `/safeshift figures [YYYY-MM]` and its form. Registered before the checks' `/safeshift` listener:
this one answers only the `figures` word (a matcher), everything else goes on to `/safeshift schedule`."""

from __future__ import annotations

import logging

from bot import i18n, ids
from bot.hazards import transitions
from bot.indicators import form
from handlers.common import INLINE_ERROR_MAX, metadata, open_view, view_values

log = logging.getLogger("safeshift.handlers")


def _is_figures(body) -> bool:
    words = str((body or {}).get("text") or "").split()
    return bool(words) and words[0].lower() == "figures"


def figures_command(ack, command, client, context):
    ctx, locale = context["safeshift"], context["locale"]
    user = command.get("user_id", "")
    outcome = form.open_form(ctx, user, str(command.get("text") or ""), locale)
    if not outcome.ok:
        return ack(response_type="ephemeral", text=str(outcome.message))
    ack()
    open_view(client, command.get("trigger_id"), outcome.view, "the figures form",
              lambda: transitions.ephemeral(ctx, command.get("channel_id"), user, i18n.t(locale, "indicators.form_failed")))


def submit_figures(ack, body, view, context):
    ctx, locale = context["safeshift"], context["locale"]
    user = (body.get("user") or {}).get("id", "")
    outcome = form.submit(ctx, user, metadata(view), view_values(view), locale)
    if not outcome.ok:
        return ack(response_action="errors",
                   errors={block: str(text)[:INLINE_ERROR_MAX] for block, text in outcome.errors.items()})
    return ack()


def register(app) -> None:
    """Indicators' listeners (#22)."""
    app.command(ids.SAFESHIFT_COMMAND, matchers=[_is_figures])(figures_command)
    app.view(ids.FIGURES_VIEW)(submit_figures)
