"""Rectification (整改) listeners: the hazard card's button, the item card's buttons, the step forms, `/risk`.

Each reads the payload, calls one use case in `bot.rectification`, and answers: a form, or an ephemeral
line when the step is refused or cannot be taken now.
"""

from __future__ import annotations

import logging

from bot import ids
from bot.hazards import transitions
from bot.rectification import register as risk_register
from bot.rectification import steps, work
from handlers.common import INLINE_ERROR_MAX, NUMBER_MAX, metadata, open_view, view_values, who_where

log = logging.getLogger("safeshift.handlers")

# Buttons that open a form (the step's name) and buttons that act at once.
FORMS = {ids.RECT_PLAN_ACTION: "plan", ids.RECT_SEND_BACK_ACTION: "send_back", ids.RECT_EXTENSION_ACTION: "extension",
         ids.RECT_COMPLETE_ACTION: "complete", ids.RECT_FAIL_ACTION: "verify_fail",
         ids.RECT_REASSIGN_ACTION: "reassign"}
# where each form's answer is shown when it is refused
ERROR_BLOCK = {"assess": "likelihood", "plan": "measures", "send_back": "comment", "extension": "reason",
               "complete": "completion", "verify_fail": "reason", "reassign": "assigned"}


def _who_where_what(body: dict) -> tuple[str, str | None, str, str]:
    """who_where, and which button it was (one listener serves every step's button)."""
    action = (body.get("actions") or [{}])[0]
    return (*who_where(body), str(action.get("action_id") or ""))


def values(view: dict) -> dict:
    """{block_id: value} of a submitted form, whatever the element: option, date, user, files or text (read
    strictly by the one form parser, `handlers.common.view_values`)."""
    return view_values(view)


def _open(client, body, ctx, channel, user, outcome, form):
    if not outcome.ok:
        transitions.ephemeral(ctx, channel, user, outcome.message)
        return
    open_view(client, body.get("trigger_id"), form, "a rectification form")


def on_button(ack, body, client, context):
    ack()
    ctx, locale = context["safeshift"], context["locale"]
    user, channel, number, action = _who_where_what(body)
    if action == ids.RECT_START_ACTION:
        return _open(client, body, ctx, channel, user, *steps.assess_form(ctx, number, user, locale))
    if action in FORMS:
        return _open(client, body, ctx, channel, user, *steps.form_for(ctx, number, user, FORMS[action], locale))
    if action == ids.RECT_APPROVE_ACTION:
        outcome = steps.decide_plan(ctx, number, user, True, locale=locale)
    elif action in (ids.RECT_EXT_APPROVE_ACTION, ids.RECT_EXT_DENY_ACTION):
        outcome = work.decide_extension(ctx, number, user, action == ids.RECT_EXT_APPROVE_ACTION, locale)
    elif action == ids.RECT_PASS_ACTION:
        outcome = work.verify(ctx, number, user, True, locale=locale)
    else:
        return
    if outcome.message:
        transitions.ephemeral(ctx, channel, user, outcome.message)


def submit_step(ack, body, view, context):
    ctx, locale = context["safeshift"], context["locale"]
    user = (body.get("user") or {}).get("id", "")
    meta = metadata(view)
    number, step = str(meta.get("number", ""))[:NUMBER_MAX], str(meta.get("step", ""))
    v = values(view)
    if step == "assess":
        outcome = steps.assess(ctx, number, user, v.get("likelihood"), v.get("impact"), locale)
    elif step == "plan":
        outcome = steps.submit_plan(ctx, number, user, v, locale)
    elif step == "send_back":
        outcome = steps.decide_plan(ctx, number, user, False, v.get("comment"), locale)
    elif step == "extension":
        outcome = work.request_extension(ctx, number, user, v.get("reason"), v.get("new_date"), locale)
    elif step == "complete":
        outcome = work.complete(ctx, number, user, v.get("completion"), v.get("photos"), locale)
    elif step == "verify_fail":
        outcome = work.verify(ctx, number, user, False, v.get("reason"), locale)
    elif step == "reassign":
        outcome = steps.reassign(ctx, number, user, v.get("accountable"), v.get("assigned"), locale)
    else:
        return ack()
    if not outcome.ok:
        return ack(response_action="errors", errors={ERROR_BLOCK[step]: str(outcome.message)[:INLINE_ERROR_MAX]})
    return ack()


def risk_command(ack, body, client, context):
    """`/risk` (the register by level and its matrix), `/risk add`, `/risk observe`, `/risk review N`."""
    ctx, locale = context["safeshift"], context["locale"]
    user = body.get("user_id", "")
    form = risk_register.form_for(ctx, user, str(body.get("text") or ""), locale)
    if form is None:
        text, blocks = risk_register.register_message(ctx, user, locale)
        return ack(response_type="ephemeral", text=text, blocks=blocks)
    if not form.ok:
        return ack(response_type="ephemeral", text=form.message)
    ack()
    open_view(client, body.get("trigger_id"), form.view, "a risk form")


def submit_risk(ack, body, view, context):
    ctx, locale = context["safeshift"], context["locale"]
    user = (body.get("user") or {}).get("id", "")
    outcome = risk_register.add(ctx, user, str(metadata(view).get("kind", "risk")), values(view), locale,
                                view_id=str(view.get("id") or ""))
    if not outcome.ok:
        return ack(response_action="errors", errors={"description": str(outcome.message)[:INLINE_ERROR_MAX]})
    return ack(response_action="update", view=outcome.view)


def register(app) -> None:
    """Rectification's listeners (#11): the hazard card's button and the item card's, the form, /risk."""
    for action_id in ids.RECT_ACTIONS:
        app.action(action_id)(on_button)
    app.view(ids.RECT_VIEW)(submit_step)
    app.command(ids.RISK_COMMAND)(risk_command)
    app.view(ids.RISK_VIEW)(submit_risk)
