"""Buttons: on the report card (acknowledge, resolve), on a joined report (separate), on the Home tab."""

from __future__ import annotations

import logging

from bot.hazards import forms, transitions
from handlers.common import open_view, who_where

log = logging.getLogger("safeshift.handlers")

def acknowledge(ack, body, context):
    ack()
    ctx = context["safeshift"]
    user, channel, number = who_where(body)
    outcome = transitions.acknowledge(ctx, number, user, context["locale"])
    if outcome.message:
        transitions.ephemeral(ctx, channel, user, outcome.message)


def resolve(ack, body, client, context):
    ack()
    ctx, locale = context["safeshift"], context["locale"]
    user, channel, number = who_where(body)
    check = transitions.can_resolve(ctx, number, user, locale)
    if not check.ok:
        transitions.ephemeral(ctx, channel, user, check.message)
        return
    open_view(client, body.get("trigger_id"), forms.resolve_form(ctx, check.report, locale), "the resolve form")


def separate(ack, body, context):
    ack()
    ctx = context["safeshift"]
    user, channel, number = who_where(body)
    outcome = transitions.separate(ctx, number, user, context["locale"])
    if outcome.message:
        transitions.ephemeral(ctx, channel, user, outcome.message)


def report_from_home(ack, body, client, context):
    ack()
    open_view(client, body.get("trigger_id"), forms.report_form(context["safeshift"], context["locale"], "", {}),
              "the report form from the Home tab")
