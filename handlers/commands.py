"""`/hazard`: open the report form at once, or answer help / status / mine / lang."""

from __future__ import annotations

import logging

from bot import i18n
from bot.hazards import forms, lookups
from bot.prefs import set_user_locale
from bot.text import clean_text, parse_number
from handlers.common import open_view

log = logging.getLogger("safeshift.handlers")

SUBCOMMANDS = {
    "help": "help", "帮助": "help", "?": "help",
    "status": "status", "状态": "status", "查询": "status",
    "mine": "mine", "我的": "mine",
    "lang": "lang", "language": "lang", "语言": "lang",
}
LANGUAGES = {"en": "en", "english": "en", "zh": "zh-CN", "zh-cn": "zh-CN", "中文": "zh-CN"}


def hazard_command(ack, body, client, context):
    ctx, locale = context["safeshift"], context["locale"]
    user = body.get("user_id", "")
    text = clean_text(body.get("text"))
    word, _, rest = text.partition(" ")
    sub = SUBCOMMANDS.get(word.lower())
    if sub is None and parse_number(text):
        sub, rest = "status", text
    if sub == "help":
        return ack(response_type="ephemeral", text=i18n.t(locale, "commands.help"))
    if sub == "status":
        msg, blocks = lookups.status_message(ctx, rest, user, locale)
        return ack(response_type="ephemeral", text=msg, blocks=blocks)
    if sub == "mine":
        msg, blocks = lookups.mine_message(ctx, user, locale)
        return ack(response_type="ephemeral", text=msg, blocks=blocks)
    if sub == "lang":
        new = LANGUAGES.get(rest.strip().lower())
        if new is None:
            return ack(response_type="ephemeral", text=i18n.t(locale, "commands.lang_usage"))
        set_user_locale(ctx, user, new)
        return ack(response_type="ephemeral", text=i18n.t(new, "commands.lang_set"))
    # Anything else is the description of a new report: open the form now (the trigger dies in ~3 s).
    form = forms.report_form(ctx, locale, text, {"channel": body.get("channel_id")})
    if not open_view(client, body.get("trigger_id"), form, "the report form"):
        return ack(response_type="ephemeral", text=i18n.t(locale, "errors.generic"))
    return ack()
