"""The leadership's side of the suggestion box: the batch that posts new suggestions to the leadership channel,
the post itself (its words and state, with Reply / Adopt / Decline), and those three answers. The answers keep
the leadership member's name and time like every other act (they are no trace of the sender)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select

from bot import i18n, ids
from bot.directory import Directory
from bot.masking import mask
from bot.outbox import BULK, ROUTINE, enqueue
from bot.subjects import about
from bot.text import clean_text
from storage.db import read_scope, session_scope
from storage.models import AuditEvent, Suggestion

PREFIX = "suggestions:"
CATCH_UP = dt.timedelta(hours=12)  # a batch missed while down is made up at start within this
DECIDED = ("adopted", "declined")


@dataclass
class Outcome:
    ok: bool
    message: str = ""
    view: dict | None = None
    errors: dict | None = None


def card_key(sid: int) -> str:
    return f"suggestion:{sid}:card"


def ordering_key(sid: int) -> str:
    return f"suggestion:{sid}"


def card(ctx, row: Suggestion) -> dict:
    locale = ctx.org.locale
    state = i18n.tp(locale, f"suggestions.status_{row.status}")
    lines = [i18n.t(locale, "suggestions.card_head", code=row.code, day=row.day.isoformat(), state=state),
             i18n.t(locale, "suggestions.card_text", text=mask(row.text))]
    if row.reply:
        lines.append(i18n.t(locale, "suggestions.card_reply", reply=mask(row.reply), who=i18n.mention(row.answered_by)))
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(str(x) for x in lines)}}]
    if row.status not in DECIDED:
        blocks.append({"type": "actions", "block_id": ids.SUGGEST_ACTIONS_BLOCK, "elements": [
            {"type": "button", "action_id": aid, "value": str(row.id),
             "text": {"type": "plain_text", "text": i18n.tp(locale, f"suggestions.button_{name}")},
             **({"style": "primary"} if name == "adopt" else {})}
            for aid, name in ((ids.SUGGEST_REPLY_ACTION, "reply"), (ids.SUGGEST_ADOPT_ACTION, "adopt"),
                              (ids.SUGGEST_DECLINE_ACTION, "decline"))]})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": i18n.t(locale, "suggestions.card_note")}]})
    return {"channel": ctx.org.channels.leadership, "text": str(lines[0]), "blocks": blocks}


# --------------------------------------------------------------------------- the batch (a recurring job)
def triggers(org) -> dict:
    out = {}
    for hhmm in org.policy.suggestions.post_at:
        h, m = (int(x) for x in hhmm.split(":"))
        out[f"{PREFIX}post-{h:02d}{m:02d}"] = CronTrigger(hour=h, minute=m, timezone=org.tz)
    return out


def catch_up(org, job: str) -> dt.timedelta:
    if not job.startswith(PREFIX + "post-"):
        raise KeyError(job)
    return CATCH_UP


def run(ctx, s, job: str, scheduled_for: dt.datetime) -> list:
    """Post every suggestion not posted yet, oldest first, in the claim's transaction (rows of our own)."""
    if not job.startswith(PREFIX + "post-"):
        raise KeyError(job)
    if not ctx.org.channels.leadership:
        return []
    now = ctx.clock.now()
    for row in s.execute(select(Suggestion).where(Suggestion.posted.is_(False)).order_by(Suggestion.id)
                         .with_for_update()).scalars():
        row.posted = True
        enqueue(s, now, "chat.postMessage", card(ctx, row), ordering_key=ordering_key(row.id),
                message_key=card_key(row.id), dedupe_key=f"{card_key(row.id)}:post", priority=BULK)
    return []


# --------------------------------------------------------------------------- the leadership's answers
def _may(ctx, user: str) -> bool:
    return Directory(ctx.org).allowed(user, "answer_suggestion", None)


def _number(value) -> int | None:
    try:
        n = int(str(value))
    except ValueError:
        return None
    return n if 0 < n < 2**31 else None


def reply_form(ctx, user: str, value, locale: str) -> Outcome:
    sid = _number(value)
    if not _may(ctx, user):
        return Outcome(False, i18n.Refusal(i18n.t(locale, "suggestions.not_allowed")))
    with read_scope(ctx.engine) as s:
        row = s.get(Suggestion, sid) if sid else None
        if row is None:
            return Outcome(False, i18n.t(locale, "suggestions.gone"))
        code = row.code
    view = {"type": "modal", "callback_id": ids.SUGGEST_REPLY_VIEW, "private_metadata": str(sid),
            "title": {"type": "plain_text", "text": i18n.tp(locale, "suggestions.reply_title")},
            "submit": {"type": "plain_text", "text": i18n.tp(locale, "suggestions.reply_submit")},
            "blocks": [{"type": "section", "text": {"type": "mrkdwn",
                                                    "text": i18n.t(locale, "suggestions.reply_intro", code=code)}},
                       {"type": "input", "block_id": ids.SUGGEST_REPLY_BLOCK,
                        "label": {"type": "plain_text", "text": i18n.tp(locale, "suggestions.reply_label")},
                        "element": {"type": "plain_text_input", "action_id": "value", "multiline": True,
                                    "max_length": 2000}}]}
    return Outcome(True, view=view)


def act(ctx, user: str, value, action: str, locale: str, reply: str | None = None) -> Outcome:
    """`action`: reply (with `reply`), adopted or declined. One transaction: the row, its audit row, the post."""
    sid = _number(value)
    if not _may(ctx, user):
        return Outcome(False, i18n.Refusal(i18n.t(locale, "suggestions.not_allowed")))
    words = clean_text(reply) if reply is not None else ""
    if action == "reply" and not words:
        return Outcome(False, errors={ids.SUGGEST_REPLY_BLOCK: i18n.tp(locale, "suggestions.reply_empty")})
    now = ctx.clock.now()
    with session_scope(ctx.engine) as s:
        row = s.get(Suggestion, sid, with_for_update=True) if sid else None
        if row is None:
            return Outcome(False, i18n.t(locale, "suggestions.gone"))
        if row.status in DECIDED:
            return Outcome(False, i18n.t(locale, "suggestions.already_decided", code=row.code,
                                         state=i18n.tp(locale, f"suggestions.status_{row.status}")))
        before = {"status": row.status}
        if action == "reply":
            row.reply, row.status = words, "replied"
        else:
            row.status, row.decided_on = action, now.astimezone(ctx.org.tz).date()
        row.answered_by = user
        s.add(AuditEvent(at=now, actor=user, action=f"suggestion_{action}", **about("suggestion", row.id),
                         before=before, after={"status": row.status}, note=words))
        if row.posted:
            enqueue(s, now, "chat.update", card(ctx, row), ordering_key=ordering_key(row.id),
                    target_key=card_key(row.id), priority=ROUTINE)
        code = row.code
    ctx.wake()
    return Outcome(True, i18n.t(locale, f"suggestions.done_{action}", code=code))


def adopted_count(session, start: dt.date, end: dt.date) -> int:
    """Suggestions adopted between `start` and `end` (inclusive): the monthly report's figure (§3.5.3 采纳)."""
    return session.execute(select(func.count()).select_from(Suggestion).where(
        Suggestion.status == "adopted", Suggestion.decided_on >= start, Suggestion.decided_on <= end)).scalar()
