"""Working a report from its card's thread (#13): a reply or a reaction acknowledges, a mention of the bot acts.

Every path goes through the same use cases as the buttons (`transitions.acknowledge / resolve / assign`), so the
permission is checked against the report the action changes (a group's lead), and each event is one transaction:
the `processed_event` row that makes it exactly-once (Slack's retries, two replicas: the unique key decides),
the record, the audit rows and the outbox rows.

The rules:
* a reply in the thread of an open report, by someone who may acknowledge it, acknowledges it (policy
  `thread.acknowledge_by_reply`); anyone else's reply only joins the timeline, without a word back, and so
  does the reporter's own (a supervisor adding details to what they reported has not answered it);
* a reaction named in `thread.acknowledge_reactions` on the card, by someone who may acknowledge, acknowledges it;
  anyone else's is written to the operation log and otherwise ignored; removing a reaction changes nothing;
* a message that mentions the bot is a command (`app_mention`): it acts once, as its words say. Slack also
  delivers it as a `message`, which joins the timeline but does not acknowledge as a reply (it would act twice).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from bot import i18n
from bot.hazards import escalation, notices, transitions
from bot.hazards.lookups import status_message
from bot.i18n import Mrkdwn
from bot.limits import TEXT_ECHOED
from bot.outbox import REPLACE_ONLY, enqueue
from bot.prefs import user_locale
from bot.text import clean_text
from storage.db import session_scope
from storage.models import AuditEvent, ProcessedEvent, Report

COMMANDS = ("acknowledge", "resolve", "assign", "status", "help")
# What people type that the glossary keeps out of what the bot writes (resolve is 处理, never 解决): understood
# on the way in, never shown. Not policy: it is how people talk, like the catalogs' own words.
INPUT_ALIASES = {"resolve": ("已解决", "解决")}
_USER = re.compile(r"<@([UW][A-Z0-9]{2,31})(?:\|[^>]*)?>")
_LEADING = " \t\r\n:：,，、.。-—"
EVENT_ID_MAX = 64  # processed_event.event_id


@dataclass(frozen=True)
class Command:
    name: str  # one of COMMANDS, or "" when the words are not understood
    rest: str  # what follows the command word (the note of `resolve`)
    people: tuple[str, ...]  # users mentioned besides the bot (the assignee of `assign`)
    said: str  # the words as typed, the bot's mention removed


def _words() -> list[tuple[str, str]]:
    """(word, command) from both catalogs and the input aliases, longest first."""
    pairs = []
    for locale in i18n.LOCALES:
        for name in COMMANDS:
            pairs += [(w.lower(), name) for w in i18n.tp(locale, f"thread_work.words.{name}").split()]
    pairs += [(w, name) for name, words in INPUT_ALIASES.items() for w in words]
    return sorted(set(pairs), key=lambda p: -len(p[0]))


def parse(text: str, bot_user_id: str | None) -> Command:
    """`<@BOT> resolve cord replaced` → Command("resolve", "cord replaced", (), …); Chinese needs no space."""
    text = clean_text(text)
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    said = text.strip(_LEADING)
    people = tuple(dict.fromkeys(u for u in _USER.findall(said) if u != bot_user_id))
    low = said.lower()
    for word, name in _words():
        if not low.startswith(word):
            continue
        after = said[len(word):]
        if word.isascii() and after and after[0].isalnum():  # "assignment" is not "assign"
            continue
        rest = after.strip(_LEADING)
        if name == "assign":
            rest = _USER.sub(" ", rest).strip(_LEADING)
        return Command(name, rest, people, said)
    return Command("" if said else "help", said, people, said)


def event_moment(ts, now: dt.datetime) -> dt.datetime:
    """An event's own time (Slack's `ts` / `event_ts`: seconds since the epoch), never later than now."""
    try:
        moment = dt.datetime.fromtimestamp(float(ts), dt.timezone.utc)
    except (TypeError, ValueError, OverflowError, OSError):
        return now
    return min(moment, now)


def _processed(s, event_id: str | None, fallback: str, now: dt.datetime) -> None:
    """Mark the event handled in this transaction; a second delivery fails here (IntegrityError) and rolls back."""
    s.add(ProcessedEvent(event_id=(event_id or fallback)[:EVENT_ID_MAX], received_at=now))
    s.flush()


def _acted_on(s, card) -> Report:
    """The report an action in this card's thread changes: the card's report, or its lead when it joined one."""
    report = s.get(Report, card.report_id)
    return s.get(Report, report.group_id) if report.group_id else report


def _may_acknowledge(ctx, report: Report, user_id: str) -> bool:
    return report.status == "open" and ctx.directory.allowed(user_id, "acknowledge", report.team, report)


def _reported_by(s, lead: Report, user_id: str) -> bool:
    """Did `user_id` file this report (or one that joined it)? Their replies add to it (the form says the rest can
    follow in the thread); they do not answer it. The button still acknowledges for them."""
    return s.execute(select(Report.id).where(or_(Report.id == lead.id, Report.group_id == lead.id),
                                             Report.reporter_id == user_id).limit(1)).first() is not None


# --------------------------------------------------------------------------- replies
def on_reply(ctx, *, event_id: str | None, channel: str, thread_ts: str, ts: str, user_id: str, text: str,
             mentions_bot: bool) -> bool:
    """A reply in a card's thread: on the timeline, and the acknowledgement when a responder answers an open report.
    False: not a card's thread, or delivered before."""
    now = ctx.clock.now()
    at = event_moment(ts, now)
    try:
        with session_scope(ctx.engine) as s:
            card = transitions.record_reply(s, now, event_id=event_id, channel=channel, thread_ts=thread_ts, ts=ts,
                                            user_id=user_id, text=text, at=at, comment=not mentions_bot)
            if card is None:
                return False
            report = _acted_on(s, card)
            if (not mentions_bot and ctx.org.policy.thread.acknowledge_by_reply
                    and _may_acknowledge(ctx, report, user_id) and not _reported_by(s, report, user_id)):
                transitions.acknowledge(ctx, report.number, user_id, ctx.org.locale, via="reply", at=at, session=s)
            elif report.status != "resolved":  # #21 §3.1.3: IT's reply answers an equipment hazard
                escalation.answered(ctx, s, transitions.lock_report(s, report.id), user_id, at)
    except IntegrityError:
        return False
    ctx.wake()
    return True


# --------------------------------------------------------------------------- reactions
def on_reaction(ctx, *, event_id: str | None, channel: str, ts: str, user_id: str, reaction: str,
                event_ts) -> bool:
    """A reaction on a card: a listed one by a responder acknowledges an open report. True when it did."""
    name = reaction.split("::", 1)[0]  # "white_check_mark::skin-tone-2" is the same reaction
    if name not in ctx.org.policy.thread.acknowledge_reactions:
        return False
    now = ctx.clock.now()
    at = event_moment(event_ts, now)
    acted = False
    try:
        with session_scope(ctx.engine) as s:
            card = transitions.card_at(s, channel, ts)
            if card is None:
                return False
            report = _acted_on(s, card)
            if report.status != "open":
                return False
            _processed(s, event_id, f"reaction:{channel}:{ts}:{user_id}", now)
            if not ctx.directory.allowed(user_id, "acknowledge", report.team, report):  # operation log, no answer
                s.add(AuditEvent(at=now, actor=user_id, action="refused_acknowledge", note=report.number,
                                 after={"via": "reaction", "reaction": name[:64]}))
                return False
            acted = transitions.acknowledge(ctx, report.number, user_id, ctx.org.locale, via="reaction", at=at,
                                            session=s).ok
    except IntegrityError:
        return False
    ctx.wake()
    return acted


# --------------------------------------------------------------------------- mentions
def on_mention(ctx, *, event_id: str | None, channel: str, thread_ts: str | None, ts: str, user_id: str,
               text: str, bot_user_id: str | None) -> None:
    """`@SafeShift <command>` in a card's thread: carried out once; the answer goes into the thread."""
    now = ctx.clock.now()
    at = event_moment(ts, now)
    command = parse(text, bot_user_id)
    try:
        with session_scope(ctx.engine) as s:
            _processed(s, event_id, f"mention:{channel}:{ts}", now)
            locale = user_locale(ctx, user_id, s)
            card = transitions.card_at(s, channel, thread_ts) if thread_ts else None
            if card is None:
                notices.ephemeral(ctx, s, channel, user_id, i18n.t(locale, "thread_work.not_in_card_thread"),
                                  thread_ts=thread_ts or None)
                return
            report = _acted_on(s, card)
            answer = _carry_out(ctx, s, command, report, user_id, locale, at)
            if answer:
                notices.ephemeral(ctx, s, channel, user_id, answer, thread_ts=thread_ts)
    except IntegrityError:
        return
    ctx.wake()


def _carry_out(ctx, s, command: Command, report: Report, user_id: str, locale: str,
               at: dt.datetime) -> Mrkdwn | None:
    """Do what the command says. Returns what only the person should see (a refusal, a usage hint), if anything."""
    number = report.number
    if command.name == "acknowledge":
        return transitions.acknowledge(ctx, number, user_id, locale, via="mention", at=at, session=s).message
    if command.name == "resolve":
        if not command.rest:
            if not ctx.directory.allowed(user_id, "resolve", report.team, report):  # refused first: no hint for a stranger
                return transitions.resolve(ctx, number, user_id, "", locale, via="mention", session=s).message
            return i18n.t(locale, "thread_work.resolve_usage")
        return transitions.resolve(ctx, number, user_id, command.rest, locale, via="mention", session=s).message
    if command.name == "assign":
        if not command.people:
            return i18n.t(locale, "thread_work.assign.usage")
        was_open = _may_acknowledge(ctx, report, user_id)
        outcome = transitions.assign(ctx, number, user_id, command.people[0], locale, session=s)
        if outcome.ok and was_open:  # naming who does the work answers the report, as resolving does
            transitions.acknowledge(ctx, number, user_id, locale, via="mention", at=at, session=s)
        return outcome.message
    if command.name == "status":
        title, blocks = status_message(ctx, number, user_id, locale)
        if blocks is None:  # not for this person (or not found): only they hear why
            return Mrkdwn(title)
        answer_quietly(ctx, s, report, ctx.clock.now(), title, blocks)
        return None
    unknown = i18n.t(locale, "thread_work.unknown", text=command.said[:TEXT_ECHOED]) if command.name == "" else None
    return help_text(ctx, locale, unknown)  # only the person who asked sees it: the thread is the report's


def answer_quietly(ctx, s, report: Report, now: dt.datetime, text: str, blocks: list[dict]) -> None:
    """An answer in the card's thread that names people (`status`: the reporter, who did what): posted without the
    blocks that mention anyone, then edited to the whole answer. Slack notifies the people a new message mentions,
    not those an edit adds (the card's timeline names them the same way), so asking for the status pages nobody
    again; the notices meant to reach people (the card, escalations, an assignment) still mention them."""
    key = f"{notices.card_key(report.id)}:answer:{uuid.uuid4().hex[:16]}"
    quiet = [b for b in blocks if "<@" not in json.dumps(b)]
    where = dict(ordering_key=notices.ordering_key(report.id), report_id=report.id,
                 priority=notices.priority_of(ctx, report))
    enqueue(s, now, "chat.postMessage", {"channel": ctx.org.channels.safety, "text": text, "blocks": quiet},
            target_key=notices.card_key(report.id), message_key=key, **where)
    if len(quiet) < len(blocks):
        enqueue(s, now, "chat.update", {"channel": ctx.org.channels.safety, "text": text, "blocks": blocks,
                                        REPLACE_ONLY: True},  # never a post of its own: it would page them
                target_key=key, **where)


def help_text(ctx, locale: str, first: str | None = None) -> Mrkdwn:
    thread = ctx.org.policy.thread
    lines = [first, i18n.t(locale, "thread_work.help_title")]
    if thread.acknowledge_by_reply:
        lines.append(i18n.t(locale, "thread_work.help_reply"))
    if thread.acknowledge_reactions:
        icons = i18n.join_list(locale, [Mrkdwn(f":{name}:") for name in thread.acknowledge_reactions])  # ✅ 或 👀
        lines.append(i18n.t(locale, "thread_work.help_reaction", icon=icons))
    lines.append(i18n.t(locale, "thread_work.help_commands"))
    return Mrkdwn("\n".join(line.rstrip("\n") for line in lines if line))
