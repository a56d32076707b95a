"""`/hazard`: open the report form at once, or answer help / status / mine / lang."""

from __future__ import annotations

import logging

from bot import hazards, i18n
from handlers.common import STORAGE_ERRORS
from handlers.ids import COMMAND

log = logging.getLogger("safeshift.handlers")

SUBCOMMANDS = {
    "help": "help", "帮助": "help", "?": "help",
    "status": "status", "状态": "status", "查询": "status",
    "mine": "mine", "我的": "mine",
    "lang": "lang", "language": "lang", "语言": "lang",
}


def register(app, ctx) -> None:
    @app.command(COMMAND)
    def hazard_command(ack, body, client):
        user = body.get("user_id", "")
        text = hazards.clean_text(body.get("text"))
        word, _, rest = text.partition(" ")
        sub = SUBCOMMANDS.get(word.lower())
        if sub is None and hazards.parse_number(ctx, text):
            sub, rest = "status", text
        try:
            locale = hazards.user_locale(ctx, user)
        except STORAGE_ERRORS:  # words still work without the database
            locale = ctx.org.locale
        try:
            if sub == "help":
                return ack(response_type="ephemeral", text=i18n.t(locale, "commands.help"))
            if sub == "status":
                msg, blocks = hazards.status_message(ctx, rest, user)
                return ack(response_type="ephemeral", text=msg, blocks=blocks)
            if sub == "mine":
                msg, blocks = hazards.mine_message(ctx, user)
                return ack(response_type="ephemeral", text=msg, blocks=blocks)
            if sub == "lang":
                choice = rest.strip().lower()
                if choice not in ("en", "zh", "zh-cn", "中文", "english"):
                    return ack(response_type="ephemeral", text=i18n.t(locale, "commands.lang_usage"))
                new = "en" if choice in ("en", "english") else "zh-CN"
                hazards.set_user_locale(ctx, user, new)
                return ack(response_type="ephemeral", text=i18n.t(new, "commands.lang_set"))
        except STORAGE_ERRORS:
            log.exception("database unavailable during %s", COMMAND)
            return ack(response_type="ephemeral", text=i18n.t(locale, "errors.storage_unavailable"))
        # Anything else is the description of a new report: open the form now (the trigger dies in ~3 s).
        form = hazards.report_form(ctx, locale, text, {"channel": body.get("channel_id")})
        try:
            client.views_open(trigger_id=body.get("trigger_id"), view=form)
        except Exception:  # noqa: BLE001 - Slack refused or timed out: say so instead of failing silently
            log.exception("views.open failed")
            return ack(response_type="ephemeral", text=i18n.t(locale, "errors.generic"))
        return ack()
