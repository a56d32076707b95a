"""The sender's side of the suggestion box. Nothing here is ever given the sender: the listener passes only the
words and the language, so no use case can store, log or send who wrote them.

A suggestion is a row with its words (numbers masked), a random case code and the day it arrived (no finer
time), and one audit row dated to that day. It reaches the leadership channel with the next batch (`post.py`),
so even the post's time says nothing about when it was written. The same words on the same day are one
suggestion: a replayed request (the front keeps no signature of these) adds nothing.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from bot import i18n, ids
from bot.subjects import about
from bot.text import clean_text
from storage.db import read_scope, session_scope
from storage.models import AuditEvent, Suggestion

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud or typed back without doubt
CODE_RE = re.compile(r"^(?:JY-)?([2-9A-HJKMNP-Z]{6})$")
ANONYMOUS = "anonymous"


@dataclass
class Outcome:
    message: str = ""
    view: dict | None = None
    code: str = ""


def today(ctx) -> dt.date:
    return ctx.clock.now().astimezone(ctx.org.tz).date()


def day_start(ctx, day: dt.date) -> dt.datetime:
    """The day's first moment (the organisation's zone), in UTC: the only time a suggestion's rows carry."""
    return dt.datetime.combine(day, dt.time(), tzinfo=ctx.org.tz).astimezone(dt.timezone.utc)


def new_code() -> str:
    return "JY-" + "".join(secrets.choice(ALPHABET) for _ in range(6))


def command(ctx, text: str | None, locale: str) -> Outcome:
    """`/suggest` (the form), `/suggest help`, `/suggest status CODE`, or `/suggest <words>`."""
    words = clean_text(text)
    head, _, rest = words.partition(" ")
    if not words:
        return Outcome(view=form(ctx, locale))
    # A subcommand only when the words are nothing else: "help", or "status" with at most one word (a code);
    # "status of the fire exits is poor" is a suggestion.
    if words.lower() in ("help", "帮助"):
        return Outcome(message=i18n.t(locale, "suggestions.help", limit=ctx.org.policy.suggestions.max_length))
    if head.lower() in ("status", "状态") and " " not in rest.strip():
        return status(ctx, rest, locale)
    return submit(ctx, words, locale)


def form(ctx, locale: str) -> dict:
    limit = ctx.org.policy.suggestions.max_length
    return {
        "type": "modal", "callback_id": ids.SUGGEST_VIEW,
        "title": {"type": "plain_text", "text": i18n.tp(locale, "suggestions.form_title")},
        "submit": {"type": "plain_text", "text": i18n.tp(locale, "suggestions.form_submit")},
        "close": {"type": "plain_text", "text": i18n.tp(locale, "suggestions.form_close")},
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": i18n.t(locale, "suggestions.form_intro")}},
            {"type": "input", "block_id": ids.SUGGEST_TEXT_BLOCK,
             "label": {"type": "plain_text", "text": i18n.tp(locale, "suggestions.form_label")},
             "element": {"type": "plain_text_input", "action_id": "value", "multiline": True,
                         "max_length": limit}},
        ],
    }


def submitted_view(locale: str, outcome: Outcome) -> dict:
    """What the form turns into once sent: the one confirmation, with the case code."""
    return {"type": "modal", "callback_id": ids.SUGGEST_VIEW,
            "title": {"type": "plain_text", "text": i18n.tp(locale, "suggestions.form_title")},
            "close": {"type": "plain_text", "text": i18n.tp(locale, "suggestions.form_done")},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": str(outcome.message)}}]}


def submit(ctx, words, locale: str) -> Outcome:
    """Store one suggestion. `words` is what was typed (cleaned again here: numbers masked)."""
    words = clean_text(words)
    policy = ctx.org.policy.suggestions
    if not ctx.org.channels.leadership:
        return Outcome(message=i18n.t(locale, "suggestions.no_channel"))
    if len(words) < 2:
        return Outcome(message=i18n.t(locale, "suggestions.too_short"))
    if len(words) > policy.max_length:
        return Outcome(message=i18n.t(locale, "suggestions.too_long", limit=policy.max_length))
    day = today(ctx)
    for _ in range(5):  # a code drawn twice (one in ~10^8 per pair) is drawn again
        code = new_code()
        try:
            with session_scope(ctx.engine) as s:
                count = s.execute(select(func.count()).select_from(Suggestion).where(Suggestion.day == day)).scalar()
                if count >= policy.daily_max:
                    return Outcome(message=i18n.t(locale, "suggestions.box_full"))
                same = s.execute(select(Suggestion.id).where(Suggestion.day == day, Suggestion.text == words)
                                 .limit(1)).first()
                if same is not None:
                    return Outcome(message=i18n.t(locale, "suggestions.already"))
                row = Suggestion(code=code, day=day, text=words)
                s.add(row)
                s.flush()
                s.add(AuditEvent(at=day_start(ctx, day), actor=ANONYMOUS, action="suggestion_received",
                                 **about("suggestion", row.id), after={"status": "received"}))
        except IntegrityError:
            continue
        return Outcome(message=i18n.t(locale, "suggestions.received", code=code), code=code)
    raise RuntimeError("no free suggestion code")


def status(ctx, code_text: str, locale: str) -> Outcome:
    m = CODE_RE.match((code_text or "").strip().upper())
    if not m:
        return Outcome(message=i18n.t(locale, "suggestions.status_usage"))
    code = "JY-" + m.group(1)
    with read_scope(ctx.engine) as s:
        row = s.execute(select(Suggestion).where(Suggestion.code == code)).scalar_one_or_none()
        if row is None:
            return Outcome(message=i18n.t(locale, "suggestions.not_found", code=code))
        state = i18n.tp(locale, f"suggestions.status_{row.status}")
        if row.reply:
            return Outcome(message=i18n.t(locale, "suggestions.status_reply", code=code, state=state,
                                          reply=row.reply))
        return Outcome(message=i18n.t(locale, "suggestions.status_line", code=code, state=state))


HOME_ORDER = 90  # near the foot of the Home tab (bot/home.py sorts every kind's parts)


def home_blocks(ctx, session, user_id, locale: str) -> list[tuple[int, list[dict]]]:
    """The Home tab's way in (the same for everyone: it says nothing about the person)."""
    return [(HOME_ORDER, [{"type": "divider"},
            {"type": "section", "text": {"type": "mrkdwn", "text": i18n.t(locale, "suggestions.home")},
             "accessory": {"type": "button", "action_id": ids.SUGGEST_HOME_ACTION, "value": "open",
                           "text": {"type": "plain_text", "text": i18n.tp(locale, "suggestions.home_button")}}}])]
