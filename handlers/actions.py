"""Buttons on the report card."""

from __future__ import annotations

import logging

from bot import hazards, i18n
from handlers.common import STORAGE_ERRORS
from handlers.ids import ACK_ACTION, HOME_REPORT_ACTION, RESOLVE_ACTION

log = logging.getLogger("safeshift.handlers")


def _who_where(body: dict) -> tuple[str, str | None, str]:
    user = (body.get("user") or {}).get("id", "")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    action = (body.get("actions") or [{}])[0]
    return user, channel, str(action.get("value") or "")[:64]


def register(app, ctx) -> None:
    @app.action(ACK_ACTION)
    def acknowledge(ack, body):
        ack()
        user, channel, number = _who_where(body)
        try:
            outcome = hazards.acknowledge(ctx, number, user)
            if outcome.message:
                hazards.ephemeral(ctx, channel, user, outcome.message)
        except STORAGE_ERRORS:
            log.exception("database unavailable during acknowledge")
            _direct_ephemeral(app, channel, user, i18n.t(ctx.org.locale, "errors.storage_unavailable"))

    @app.action(RESOLVE_ACTION)
    def resolve(ack, body, client):
        ack()
        user, channel, number = _who_where(body)
        try:
            check = hazards.can_resolve(ctx, number, user)
            if not check.ok:
                hazards.ephemeral(ctx, channel, user, check.message)
                return
            locale = hazards.user_locale(ctx, user)
        except STORAGE_ERRORS:
            log.exception("database unavailable during resolve")
            _direct_ephemeral(app, channel, user, i18n.t(ctx.org.locale, "errors.storage_unavailable"))
            return
        try:
            client.views_open(trigger_id=body.get("trigger_id"), view=hazards.resolve_form(ctx, check.report, locale))
        except Exception:  # noqa: BLE001
            log.exception("views.open failed for the resolve form")

    register_home(app, ctx)


def register_home(app, ctx) -> None:
    @app.action(HOME_REPORT_ACTION)
    def report_from_home(ack, body, client):
        ack()
        user = (body.get("user") or {}).get("id", "")
        try:
            locale = hazards.user_locale(ctx, user)
        except STORAGE_ERRORS:
            locale = ctx.org.locale
        try:
            client.views_open(trigger_id=body.get("trigger_id"), view=hazards.report_form(ctx, locale, "", {}))
        except Exception:  # noqa: BLE001
            log.exception("views.open failed from the Home tab")


def _direct_ephemeral(app, channel, user, text) -> None:
    """With the database away the outbox is too: answer straight away, best effort."""
    if not channel:
        return
    try:
        app.client.chat_postEphemeral(channel=channel, user=user, text=text)
    except Exception:  # noqa: BLE001
        log.warning("could not tell %s that the database is unavailable", user)
