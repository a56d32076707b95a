"""Modal submissions: a new report, a resolution note."""

from __future__ import annotations

from bot import ids
from bot.checks import tasks
from bot.hazards import create, forms, transitions
from bot.hazards.kinds import kind
from handlers.common import INLINE_ERROR_MAX, metadata, view_values


def submit_report(ack, body, view, context):
    ctx, locale = context["safeshift"], context["locale"]
    user = (body.get("user") or {}).get("id", "")
    data, errors = create.validate_report(kind(ctx.org, "hazard"), locale, view_values(view))
    if errors:
        return ack(response_action="errors", errors=errors)
    meta = metadata(view)
    where = dict(source_key=str(view.get("id")), origin_channel=meta.get("channel"), locale=locale)
    if meta.get("check_task") is not None:  # opened from a check's Problem found (#10): filed and linked at once
        created = tasks.report_problem(ctx, meta["check_task"], user, data, **where)
    else:
        created = create.create_report(ctx, "hazard", reporter_id=user, data=data, **where)
    if created.refused:  # nothing was stored: say why, on the form
        return ack(response_action="errors", errors={"description": created.refused[:INLINE_ERROR_MAX]})
    return ack(response_action="update", view=forms.confirmation_view(ctx, created.report, created.responders, locale,
                                                                      created.lead_number))


def submit_resolution(ack, body, view, context):
    ctx = context["safeshift"]
    user = (body.get("user") or {}).get("id", "")
    number = str(metadata(view).get("number", ""))
    note = view_values(view).get(ids.RESOLVE_NOTE_BLOCK)
    outcome = transitions.resolve(ctx, number, user, note, context["locale"])
    if not outcome.ok:
        return ack(response_action="errors", errors={ids.RESOLVE_NOTE_BLOCK: str(outcome.message)[:INLINE_ERROR_MAX]})
    return ack()
