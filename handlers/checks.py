"""Checks (#10): the buttons of a checklist or recurring check (All OK / Done, Problem found, the checkboxes) and
`/safeshift schedule`. Each reads the payload, calls one use case in `bot.checks`, and answers."""

from __future__ import annotations

import logging

from bot import ids
from bot.checks import schedule, tasks
from bot.hazards import transitions
from bot.training import notes, star
from handlers.common import open_view, state_of, who_where

log = logging.getLogger("safeshift.handlers")
TICKED_MAX = 20  # Slack allows 10 checkboxes: more ticked items than this are not a message of ours


def _ticked(body: dict) -> list[str]:
    """The item keys ticked in the message's checkboxes (Slack sends the message's state with the click)."""
    block = state_of(body).get(ids.TASK_ITEMS_BLOCK)
    element = block.get(ids.TASK_ITEMS_ACTION) if isinstance(block, dict) else None
    options = element.get("selected_options") if isinstance(element, dict) else None
    if not isinstance(options, list):
        return []
    return [str(o.get("value"))[:64] for o in options[:TICKED_MAX] if isinstance(o, dict) and o.get("value")]


def _complete(body: dict, context, ok: bool):
    """All OK / Done (`ok`) or Problem found: recorded, and any refusal said to the person. (outcome, who, where)"""
    ctx = context["safeshift"]
    user, channel, value = who_where(body)
    outcome = tasks.complete(ctx, value, user, ok, _ticked(body), context["locale"])
    if outcome.message:
        transitions.ephemeral(ctx, channel, user, outcome.message)
    return outcome, user, channel


def task_ok(ack, body, context):
    ack()
    _complete(body, context, True)


def task_problem(ack, body, client, context):
    ack()
    ctx = context["safeshift"]
    outcome, user, channel = _complete(body, context, False)
    if outcome.form is not None:
        # the problem is recorded: if the form cannot open, say how to report it all the same
        open_view(client, body.get("trigger_id"), outcome.form, "the hazard form of a check",
                  lambda: transitions.ephemeral(ctx, channel, user, tasks.form_failed(context["locale"])))


def task_items(ack):
    ack()  # ticking a box changes nothing until a button is pressed


def safeshift_command(ack, body, context):
    ctx, locale = context["safeshift"], context["locale"]
    words = str(body.get("text") or "").strip().split(maxsplit=1)
    if words and words[0].lower() in ("note", "动态"):  # the daily safety update (#23, §2.3.3)
        said = notes.add(ctx, body.get("user_id", ""), words[1] if len(words) > 1 else "", locale)
        return ack(response_type="ephemeral", text=str(said))
    if words and words[0].lower() in ("star", "安全之星"):  # the Safety Star nomination (#23, §3.5.3)
        said = star.nominate(ctx, body.get("user_id", ""), words[1] if len(words) > 1 else "", locale)
        return ack(response_type="ephemeral", text=str(said))
    text, blocks = schedule.answer(ctx, body.get("user_id", ""), str(body.get("text") or ""), locale)
    return ack(response_type="ephemeral", text=text, blocks=blocks)


def register(app) -> None:
    """Checks' listeners (#10)."""
    app.action(ids.TASK_OK_ACTION)(task_ok)
    app.action(ids.TASK_PROBLEM_ACTION)(task_problem)
    app.action(ids.TASK_ITEMS_ACTION)(task_items)
    app.command(ids.SAFESHIFT_COMMAND)(safeshift_command)
