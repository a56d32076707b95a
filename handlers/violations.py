"""The violations ledger (#24): `/violation`, its form, the person's Appeal and the deciders' Uphold / Overturn.
Each reads the payload, calls one use case in `bot.violations`, and answers."""

from __future__ import annotations

import logging

from bot import i18n, ids
from bot.hazards import transitions
from bot.violations import appeals, appraisal, export, ledger
from handlers.common import INLINE_ERROR_MAX, answer_command, metadata, open_view, view_values, who_where

log = logging.getLogger("safeshift.handlers")


def _errors(ack, errors: dict):
    return ack(response_action="errors", errors={k: str(v)[:INLINE_ERROR_MAX] for k, v in errors.items()})


def violation_command(ack, command, client, context):
    ctx, locale = context["safeshift"], context["locale"]
    words = (command.get("text") or "").split()
    if words and words[0].lower() in ("export", "导出"):  # the ledger as a file, to the asker's DM (the group only)
        outcome = export.to_slack(ctx, command.get("user_id", ""), (words[1:] or ["csv"])[0].lower(), locale)
    else:
        outcome = ledger.command(ctx, command.get("user_id", ""), command.get("text"), locale)
    return answer_command(ack, client, command, outcome, "the violation form", i18n.t(locale, "violations.form_failed"))


def submit_violation(ack, body, view, context):
    ctx, locale = context["safeshift"], context["locale"]
    user = (body.get("user") or {}).get("id", "")
    outcome = ledger.record(ctx, user, (view or {}).get("id", ""), metadata(view), view_values(view), locale)
    if outcome.errors:
        return _errors(ack, outcome.errors)
    if not outcome.ok:
        return _errors(ack, {ids.VIOLATION_FORM_BLOCKS[0]: outcome.message})
    return ack(response_action="update", view={
        "type": "modal", "callback_id": ids.VIOLATION_VIEW,
        "title": {"type": "plain_text", "text": i18n.tp(locale, "violations.form_title")},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": str(outcome.message)}}]})


def appeal_button(ack, body, client, context):
    ack()
    ctx, locale = context["safeshift"], context["locale"]
    user, channel, value = who_where(body)
    outcome = appeals.appeal_form(ctx, user, value, locale)
    if not outcome.ok:
        return transitions.ephemeral(ctx, channel, user, outcome.message)
    open_view(client, body.get("trigger_id"), outcome.view, "the appeal form",
              lambda: transitions.ephemeral(ctx, channel, user, i18n.t(locale, "violations.form_failed")))


def submit_appeal(ack, body, view, context):
    ctx, locale = context["safeshift"], context["locale"]
    user = (body.get("user") or {}).get("id", "")
    outcome = appeals.appeal(ctx, user, metadata(view), view_values(view).get(ids.VIOLATION_APPEAL_BLOCK), locale)
    if not outcome.ok:
        return _errors(ack, outcome.errors or {ids.VIOLATION_APPEAL_BLOCK: outcome.message})
    return ack(response_action="update", view={
        "type": "modal", "callback_id": ids.VIOLATION_APPEAL_VIEW,
        "title": {"type": "plain_text", "text": i18n.tp(locale, "violations.appeal_title")},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": str(outcome.message)}}]})


def _decide(decision: str):
    def decide(ack, body, context):
        ack()
        ctx, locale = context["safeshift"], context["locale"]
        user, channel, value = who_where(body)
        transitions.ephemeral(ctx, channel, user, appeals.decide(ctx, user, value, decision, locale).message)

    decide.__name__ = f"violation_{decision}"
    return decide


def appraisal_command(ack, command, context):
    ctx, locale = context["safeshift"], context["locale"]
    text = appraisal.command(ctx, command.get("user_id", ""), command.get("text"), locale)
    return ack(response_type="ephemeral", text=str(text))


def register(app) -> None:
    """The violations ledger's listeners (#24)."""
    app.command(ids.VIOLATION_COMMAND)(violation_command)
    app.command(ids.APPRAISAL_COMMAND)(appraisal_command)
    app.view(ids.VIOLATION_VIEW)(submit_violation)
    app.action(ids.VIOLATION_APPEAL_ACTION)(appeal_button)
    app.view(ids.VIOLATION_APPEAL_VIEW)(submit_appeal)
    app.action(ids.VIOLATION_UPHOLD_ACTION)(_decide("upheld"))
    app.action(ids.VIOLATION_OVERTURN_ACTION)(_decide("overturned"))
