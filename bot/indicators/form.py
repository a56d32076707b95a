"""`/safeshift figures [YYYY-MM]` (#22): a short form for the month's figures that are not in Slack (calls handled,
complaints received and how many were about safety, training attended and expected). Opened by whoever the policy's
`give_figures` permits (the safety officer and leadership); the month defaults to the one before. What is already
given is filled in; a field left empty keeps the figure missing."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from bot import i18n, ids
from bot.indicators import figures
from bot.indicators.jobs import month_before
from bot.outbox import enqueue
from storage.db import session_scope

MONTH_MAX = 7


@dataclass
class Outcome:
    ok: bool
    message: str = ""
    view: dict | None = None
    errors: dict = field(default_factory=dict)


def _month(ctx, text: str) -> str | None:
    words = text.split()
    if len(words) < 2:
        return month_before(ctx.org, ctx.clock.now())
    return words[1] if figures._MONTH.match(words[1]) else None


def open_form(ctx, user: str, text: str, locale: str) -> Outcome:
    if not ctx.directory.allowed(user, "give_figures", None):
        return Outcome(False, i18n.t(locale, "indicators.form_refused"))
    month = _month(ctx, text)
    if month is None:
        return Outcome(False, i18n.t(locale, "indicators.form_usage"))
    with session_scope(ctx.engine) as s:
        given = figures.values(s, month)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": i18n.t(locale, "indicators.form_intro",
                                                                             month=month)}}]
    for key in figures.KEYS:
        element = {"type": "number_input", "action_id": key, "is_decimal_allowed": False, "min_value": "0"}
        if key in given:
            element["initial_value"] = f"{given[key]:g}"
        blocks.append({"type": "input", "block_id": key, "optional": True, "element": element,
                       "label": {"type": "plain_text", "text": i18n.tp(locale, f"indicators.figure.{key}")[:150]}})
    view = {"type": "modal", "callback_id": ids.FIGURES_VIEW, "private_metadata": json.dumps({"month": month}),
            "title": {"type": "plain_text", "text": i18n.tp(locale, "indicators.form_title")[:24]},
            "submit": {"type": "plain_text", "text": i18n.tp(locale, "indicators.form_submit")[:24]},
            "close": {"type": "plain_text", "text": i18n.tp(locale, "indicators.form_close")[:24]},
            "blocks": blocks}
    return Outcome(True, view=view)


def submit(ctx, user: str, meta: dict, values: dict, locale: str) -> Outcome:
    """Store what the form says (a field left empty is not given); inline errors for a value that is not one."""
    if not ctx.directory.allowed(user, "give_figures", None):
        return Outcome(False, errors={figures.KEYS[0]: i18n.tp(locale, "indicators.form_refused")})
    month = meta.get("month")
    if not isinstance(month, str) or not figures._MONTH.match(month):
        return Outcome(False, errors={figures.KEYS[0]: i18n.tp(locale, "indicators.form_usage")})
    lines = ["month,key,value"]
    errors = {}
    for key in figures.KEYS:
        raw = values.get(key)
        if raw is None or not str(raw).strip():
            continue
        if not str(raw).strip().isdigit() or len(str(raw).strip()) > 12:
            errors[key] = i18n.tp(locale, "indicators.form_number")
        lines.append(f"{month},{key},{str(raw).strip()}")
    if errors:
        return Outcome(False, errors=errors)
    try:
        rows = figures.parse("\n".join(lines) + "\n")
    except figures.FigureError:
        return Outcome(False, errors={"safety_complaints": i18n.tp(locale, "indicators.form_exceeds")})
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        figures.store(s, rows, user, now)
        text = i18n.t(locale, "indicators.form_saved", month=month, n=len(rows))
        enqueue(s, now, "chat.postMessage", {"channel": user, "text": text}, ordering_key=f"dm:{user}",
                expires_in=dt.timedelta(minutes=10))
    ctx.wake()
    return Outcome(True)
