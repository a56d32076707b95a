"""Appeals (申诉, §3.6.2): the person it was recorded for appeals from their DM within the policy's days; the
deciders (`permissions.decide_appeal`, minus whoever recorded the entry) are told by DM and uphold or overturn it.
An overturned entry no longer counts towards the graded response."""

from __future__ import annotations

import datetime as dt
import json

from bot import i18n, ids
from bot.directory import Directory
from bot.outbox import ROUTINE, enqueue
from bot.prefs import locales_of
from bot.subjects import about
from bot.text import clean_text
from bot.violations.ledger import Outcome, step_name
from storage.db import read_scope, session_scope
from storage.models import AuditEvent, Violation


def _number(value) -> int | None:
    try:
        n = int(str(value))
    except ValueError:
        return None
    return n if 0 < n < 2**31 else None


def _check_appeal(ctx, row: Violation | None, user: str, locale: str) -> Outcome | None:
    if row is None or row.person_id != user:
        return Outcome(False, i18n.Refusal(i18n.t(locale, "violations.appeal_not_yours")))
    days = ctx.org.policy.violations.appeal_within_days
    if row.appeal_status:
        return Outcome(False, i18n.t(locale, "violations.appeal_twice"))
    if ctx.clock.now() - row.recorded_at > dt.timedelta(days=days):
        return Outcome(False, i18n.t(locale, "violations.appeal_late", appeal_days=days))
    return None


def appeal_form(ctx, user: str, value, locale: str) -> Outcome:
    vid = _number(value)
    with read_scope(ctx.engine) as s:
        row = s.get(Violation, vid) if vid else None
        refused = _check_appeal(ctx, row, user, locale)
        if refused:
            return refused
        intro = i18n.t(locale, "violations.appeal_intro", id=row.id, step_name=step_name(locale, row.step))
    return Outcome(True, view={
        "type": "modal", "callback_id": ids.VIOLATION_APPEAL_VIEW, "private_metadata": json.dumps({"id": vid}),
        "title": {"type": "plain_text", "text": i18n.tp(locale, "violations.appeal_title")},
        "submit": {"type": "plain_text", "text": i18n.tp(locale, "violations.appeal_submit")},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": intro}},
                   {"type": "input", "block_id": ids.VIOLATION_APPEAL_BLOCK,
                    "label": {"type": "plain_text", "text": i18n.tp(locale, "violations.appeal_label")},
                    "element": {"type": "plain_text_input", "action_id": "value", "multiline": True,
                                "max_length": 2000}}]})


def appeal(ctx, user: str, meta: dict, text, locale: str) -> Outcome:
    words = clean_text(text)[:2000]
    if not words:
        return Outcome(False, errors={ids.VIOLATION_APPEAL_BLOCK: i18n.tp(locale, "violations.appeal_empty")})
    vid, now = _number(meta.get("id")), ctx.clock.now()
    with session_scope(ctx.engine) as s:
        row = s.get(Violation, vid, with_for_update=True) if vid else None
        refused = _check_appeal(ctx, row, user, locale)
        if refused:
            return Outcome(False, errors={ids.VIOLATION_APPEAL_BLOCK: str(refused.message)})
        row.appeal, row.appeal_status, row.appealed_at = words, "pending", now
        s.add(AuditEvent(at=now, actor=user, action="violation_appealed", **about("violation", row.id),
                         before={"appeal": ""}, after={"appeal": "pending"}, note=words))
        directory = Directory(ctx.org)
        deciders = [u for u in directory.resolve_people(directory.permitted_roles("decide_appeal"), None, None)
                    if u != row.recorded_by]
        for who, loc in locales_of(s, ctx.org, deciders).items():
            text_ = i18n.t(loc, "violations.appeal_to_decide", person=i18n.mention(row.person_id), id=row.id,
                           step_name=step_name(loc, row.step), recorder=i18n.mention(row.recorded_by), text=words)
            enqueue(s, now, "chat.postMessage", {"channel": who, "text": text_, "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": text_}},
                {"type": "actions", "block_id": ids.VIOLATION_ACTIONS_BLOCK, "elements": [
                    {"type": "button", "action_id": aid, "value": str(row.id),
                     "text": {"type": "plain_text", "text": i18n.tp(loc, f"violations.button_{name}")}}
                    for aid, name in ((ids.VIOLATION_UPHOLD_ACTION, "uphold"),
                                      (ids.VIOLATION_OVERTURN_ACTION, "overturn"))]}]},
                    ordering_key=f"violation:{row.id}", priority=ROUTINE)
        message = i18n.t(locale, "violations.appeal_received", id=row.id)
    ctx.wake()
    return Outcome(True, message)


def decide(ctx, user: str, value, decision: str, locale: str) -> Outcome:
    """`decision`: upheld or overturned. Only the deciders, never whoever recorded the entry."""
    if not Directory(ctx.org).allowed(user, "decide_appeal", None):
        return Outcome(False, i18n.Refusal(i18n.t(locale, "violations.not_allowed")))
    vid, now = _number(value), ctx.clock.now()
    with session_scope(ctx.engine) as s:
        row = s.get(Violation, vid, with_for_update=True) if vid else None
        if row is None:
            return Outcome(False, i18n.t(locale, "violations.gone"))
        if row.recorded_by == user:
            return Outcome(False, i18n.Refusal(i18n.t(locale, "violations.appeal_self")))
        if row.appeal_status != "pending":
            return Outcome(False, i18n.t(locale, "violations.appeal_none"))
        row.appeal_status, row.appeal_decided_by = decision, user
        s.add(AuditEvent(at=now, actor=user, action=f"violation_appeal_{decision}", **about("violation", row.id),
                         before={"appeal": "pending"}, after={"appeal": decision}))
        loc = locales_of(s, ctx.org, [row.person_id])[row.person_id]
        enqueue(s, now, "chat.postMessage", {"channel": row.person_id, "text": i18n.t(
            loc, "violations.appeal_result", id=row.id, decision=i18n.tp(loc, f"violations.appeal_{decision}"))},
            ordering_key=f"violation:{row.id}", priority=ROUTINE)
        message = i18n.t(locale, "violations.appeal_decided", id=row.id,
                         decision=i18n.tp(locale, f"violations.appeal_{decision}"))
    ctx.wake()
    return Outcome(True, message)
