"""Risks (#21, §4.1.1): the weekly risk observation's buttons. Each reads the payload, calls one use case, answers."""

from __future__ import annotations

from bot import ids
from bot.hazards import transitions
from bot.rectification import register as risk_register
from bot.risks import observations
from handlers.common import open_view, who_where


def nothing_new(ack, body, context):
    ack()
    ctx = context["safeshift"]
    user, channel, value = who_where(body)
    transitions.ephemeral(ctx, channel, user, observations.nothing_new(ctx, value, user, context["locale"]))


def observe_form(ack, body, client, context):
    """The weekly ask's form: the observation form of `/risk observe` (an observation filed answers the week)."""
    ack()
    ctx = context["safeshift"]
    user, channel, _ = who_where(body)
    outcome = risk_register.form_for(ctx, user, "observe", context["locale"])
    if outcome is not None and outcome.view is not None:
        open_view(client, body.get("trigger_id"), outcome.view, "the risk observation form")
    elif outcome is not None and outcome.message:
        transitions.ephemeral(ctx, channel, user, outcome.message)


def register(app) -> None:
    """Risks' listeners (#21)."""
    app.action(ids.RISK_NOTHING_NEW_ACTION)(nothing_new)
    app.action(ids.RISK_OBSERVE_ACTION)(observe_form)
