"""Checks (#10): the buttons of a checklist or recurring check (All OK / Done, Problem found, the checkboxes) and
`/safeshift schedule`. Each reads the payload, calls one use case in `bot.checks`, and answers."""

from __future__ import annotations

import logging

from bot import ids
from bot.checks import findings, schedule, tasks
from bot.checks import log as check_log
from bot.hazards import transitions
from bot.training import notes, star
from handlers.common import INLINE_ERROR_MAX, metadata, open_view, state_of, view_values, who_where

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


def task_ok(ack, body, client, context):
    ack()
    outcome, user, channel = _complete(body, context, True)
    if outcome.form is not None:  # a check done with what it found (#21): its form
        _open_record(client, body, context, outcome.form, user, channel)


def _open_record(client, body, context, form: dict, user: str, channel) -> None:
    ctx = context["safeshift"]
    open_view(client, body.get("trigger_id"), form, "a check's record form",
              lambda: transitions.ephemeral(ctx, channel, user, findings.form_failed(context["locale"])))


def submit_record(ack, body, view, context):
    """A check's content and problems submitted (#21): recorded, or the form says what is wrong."""
    ctx = context["safeshift"]
    user = (body.get("user") or {}).get("id", "")
    done = findings.record(ctx, metadata(view).get("task"), user, view_values(view), context["locale"])
    if not done.ok:
        return ack(response_action="errors", errors={k: str(v)[:INLINE_ERROR_MAX] for k, v in done.errors.items()})
    return ack()


def finding_hazard(ack, body, context):
    """File as hazard on a recorded problem (#21): one click, the answer only to the person."""
    ack()
    ctx = context["safeshift"]
    user, channel, value = who_where(body)
    transitions.ephemeral(ctx, channel, user, findings.file_hazard(ctx, value, user, context["locale"]))


def task_problem(ack, body, client, context):
    ack()
    ctx = context["safeshift"]
    outcome, user, channel = _complete(body, context, False)
    if outcome.form is not None and outcome.form.get("callback_id") == ids.CHECK_RECORD_VIEW:
        _open_record(client, body, context, outcome.form, user, channel)
    elif outcome.form is not None:
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
    if words and words[0].lower() in check_log.WORDS:  # the check log (#21): who did what when
        text, blocks = check_log.answer(ctx, body.get("user_id", ""), words[1] if len(words) > 1 else "", locale)
        return ack(response_type="ephemeral", text=text, blocks=blocks)
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
    app.action(ids.CHECK_FINDING_ACTION)(finding_hazard)
    app.view(ids.CHECK_RECORD_VIEW)(submit_record)
    app.command(ids.SAFESHIFT_COMMAND)(safeshift_command)
