"""Modal submissions: a new report, a resolution note."""

from __future__ import annotations

import logging

from bot import hazards, i18n
from handlers.common import STORAGE_ERRORS, metadata, view_values
from handlers.ids import REPORT_VIEW, RESOLVE_VIEW

log = logging.getLogger("safeshift.handlers")


def register(app, ctx) -> None:
    @app.view(REPORT_VIEW)
    def submit_report(ack, body, view):
        user = (body.get("user") or {}).get("id", "")
        try:
            locale = hazards.user_locale(ctx, user)
            data, errors = hazards.validate_report(ctx, locale, view_values(view))
            if errors:
                return ack(response_action="errors", errors=errors)
            created = hazards.create_hazard(ctx, source_key=str(view.get("id") or body.get("view", {}).get("id")),
                                            reporter_id=user, data=data,
                                            origin_channel=metadata(view).get("channel"))
        except STORAGE_ERRORS:
            log.exception("database unavailable while storing a report")
            return ack(response_action="errors",
                       errors={"description": i18n.tp(ctx.org.locale, "errors.storage_unavailable")[:150]})
        return ack(response_action="update",
                   view=hazards.confirmation_view(ctx, created.report, created.responders, locale))

    @app.view(RESOLVE_VIEW)
    def submit_resolution(ack, body, view):
        user = (body.get("user") or {}).get("id", "")
        number = str(metadata(view).get("number", ""))
        note = view_values(view).get("note")
        try:
            outcome = hazards.resolve(ctx, number, user, note)
        except STORAGE_ERRORS:
            log.exception("database unavailable while resolving")
            return ack(response_action="errors",
                       errors={"note": i18n.tp(ctx.org.locale, "errors.storage_unavailable")[:150]})
        if not outcome.ok:
            return ack(response_action="errors", errors={"note": str(outcome.message)[:150]})
        return ack()
