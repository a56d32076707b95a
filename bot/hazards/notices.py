"""The Slack messages a report becomes, as outbox rows written in the caller's transaction.

Keys: a report's messages in the safety channel share `ordering_key` (delivered in order: the card before its
thread lines and edits); its DMs go in order per person (`dm_ordering_key`), never behind the paced safety channel
(the people paged about a level-1 report are told at once, whatever the channel's queue); its card is remembered under
`card_key` so updates edit it and thread lines go under it; a group's rolling thread message
under `group_key`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from bot import i18n
from bot.hazards.kinds import kind_of_report
from bot.hazards.present import card_message as hazard_card
from bot.i18n import Refusal
from bot.incidents.card import incident_card
from bot.outbox import ROUTINE, URGENT, enqueue
from storage.models import OutboxMessage

EPHEMERAL_TTL = dt.timedelta(minutes=2)  # an answer to a click is useless after this: not policy, Slack UX


def card_key(report_id: int) -> str:
    return f"report:{report_id}:card"


def group_key(lead_id: int) -> str:
    return f"report:{lead_id}:group"


def ordering_key(report_id: int) -> str:
    return f"report:{report_id}"


def dm_ordering_key(report_id: int, channel: str) -> str:
    """A report's messages to one person (or to a channel other than the safety channel), in order."""
    return f"report:{report_id}:to:{channel}"[:64]


def priority_of(ctx, report) -> int:
    """Cards and notices of an urgent level go before routine traffic."""
    return URGENT if kind_of_report(ctx.org, report).level(report.level).urgent else ROUTINE


def post_card(ctx, s, report, now: dt.datetime, new: bool = False) -> None:
    """The report's card. `new`: stored in this transaction (nothing has joined it yet: its card reads no group)."""
    enqueue(s, now, "chat.postMessage", card_message(ctx, s, report, now, new), ordering_key=ordering_key(report.id),
            message_key=card_key(report.id), report_id=report.id, priority=priority_of(ctx, report))


def update_card(ctx, s, report, now: dt.datetime) -> None:
    enqueue(s, now, "chat.update", card_message(ctx, s, report, now), ordering_key=ordering_key(report.id),
            target_key=card_key(report.id), report_id=report.id, priority=priority_of(ctx, report))


def thread_line(ctx, s, report, now: dt.datetime, text: str, blocks: list | None = None,
                priority: int | None = None) -> None:
    payload = {"channel": ctx.org.channels.safety, "text": text}
    if blocks:
        payload["blocks"] = blocks
    enqueue(s, now, "chat.postMessage", payload, ordering_key=ordering_key(report.id),
            target_key=card_key(report.id), report_id=report.id,
            priority=priority_of(ctx, report) if priority is None else priority)


def direct(ctx, s, report, now: dt.datetime, user: str, text: str, priority: int | None = None) -> None:
    """A DM (or a post to a channel other than the safety channel) about `report`."""
    enqueue(s, now, "chat.postMessage", {"channel": user, "text": text}, ordering_key=dm_ordering_key(report.id, user),
            report_id=report.id, priority=priority_of(ctx, report) if priority is None else priority)


def group_thread(ctx, s, lead, now: dt.datetime, payload: dict, first: bool) -> None:
    """The group's one rolling thread message: posted once under the lead's card, then edited."""
    if first:
        enqueue(s, now, "chat.postMessage", payload, ordering_key=ordering_key(lead.id),
                target_key=card_key(lead.id), message_key=group_key(lead.id), report_id=lead.id)
    else:
        enqueue(s, now, "chat.update", payload, ordering_key=ordering_key(lead.id),
                target_key=group_key(lead.id), report_id=lead.id)


def ephemeral(ctx, s, channel: str | None, user_id: str, text: str, thread_ts: str | None = None) -> None:
    """An answer only `user_id` sees (in a thread when `thread_ts` is given); dropped if Slack cannot take it
    within a couple of minutes. The answer to a refused attempt (`Refusal`) is ROUTINE (never ahead of a
    level-1 card, a page or an escalation) and limited to one per person per `answers.refusals_every`."""
    if not channel:
        return
    payload = {"channel": channel, "user": user_id, "text": text}
    if thread_ts:
        payload["thread_ts"] = thread_ts
    now = ctx.clock.now()
    if isinstance(text, Refusal):
        key = f"refusal:{user_id}"
        if _coalesced(s, key, payload, now - ctx.org.policy.answers.refusals_every.timedelta):
            return
        enqueue(s, now, "chat.postEphemeral", payload, ordering_key=key, expires_in=EPHEMERAL_TTL, priority=ROUTINE)
        return
    enqueue(s, now, "chat.postEphemeral", payload, ordering_key=f"ephemeral:{user_id}", expires_in=EPHEMERAL_TTL,
            priority=URGENT)


def _coalesced(s, key: str, payload: dict, since: dt.datetime) -> bool:
    """True when a refusal was answered to this person since `since`: one still waiting takes the newer words
    (the person sees the latest), one already sent is enough."""
    s.flush()
    last = s.execute(select(OutboxMessage.id, OutboxMessage.status).where(
        OutboxMessage.ordering_key == key, OutboxMessage.created_at > since)
        .order_by(OutboxMessage.id.desc()).limit(1)).first()
    if last is None:
        return False
    if last.status == "pending":
        s.execute(update(OutboxMessage).where(OutboxMessage.id == last.id, OutboxMessage.status == "pending")
                  .values(payload=payload))
    return True


def link(locale: str, ctx) -> i18n.Mrkdwn:
    return i18n.t(locale, "escalation.link", channel=i18n.channel_link(ctx.org.channels.safety))


def card_message(ctx, s, report, now: dt.datetime, new: bool = False) -> dict:
    """The card as it stands now: an incident's has its own facts and buttons."""
    if report.kind == "incident":
        return incident_card(ctx, s, report, now)
    return hazard_card(ctx, s, report, now, new)
