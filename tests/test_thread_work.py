"""Working a report from its card's thread (#13): reply or react to acknowledge, mention the bot to act.

Everything goes through signed HTTP events into the bot (the `bot` fixture) and reads what the fake Slack
received and what the database holds.
"""

from __future__ import annotations

import json
import threading
import time

from sqlalchemy import func, select

from storage.db import session_scope
from storage.models import AuditEvent, ProcessedEvent, Report, SlackMessage
from tests.conftest import org_from, start_bot, stop_bot

BOT = "<@UBOT>"
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}


# --------------------------------------------------------------------------- helpers
def _report(bot, user="U0AGENT1", **kw) -> tuple[Report, str]:
    """File a report, deliver its card, return (report, the card's ts)."""
    bot.report(user, **kw)
    bot.drain()
    with session_scope(bot.ctx.engine) as s:
        report = s.execute(select(Report).order_by(Report.id.desc())).scalars().first()
        ts = s.execute(select(SlackMessage.ts).where(SlackMessage.key == f"report:{report.id}:card")).scalar_one()
    return report, ts


def _get(bot, number) -> Report:
    with session_scope(bot.ctx.engine) as s:
        return s.execute(select(Report).where(Report.number == number)).scalar_one()


def _audit(bot, action, actor=None):
    with session_scope(bot.ctx.engine) as s:
        q = select(AuditEvent).where(AuditEvent.action == action)
        if actor:
            q = q.where(AuditEvent.actor == actor)
        return s.execute(q.order_by(AuditEvent.id)).scalars().all()


_seq = iter(range(1, 10**6))


def _ts(offset: float = 0.0) -> str:
    """A Slack message ts: now (plus `offset` seconds), unique."""
    return f"{time.time() + offset:.6f}"[:-3] + f"{next(_seq) % 1000:03d}"


def reply(bot, card_ts, user, text, ts=None, **kw):
    status, _ = bot.event({"type": "message", "channel": "C0SAFETY", "user": user, "text": text,
                           "ts": ts or _ts(), "thread_ts": card_ts, "channel_type": "channel"}, **kw)
    assert status == 200
    bot.drain()


def react(bot, card_ts, user, reaction, kind="reaction_added", channel="C0SAFETY", **kw):
    status, _ = bot.event({"type": kind, "user": user, "reaction": reaction, "item_user": "UBOT",
                           "item": {"type": "message", "channel": channel, "ts": card_ts}, "event_ts": _ts()}, **kw)
    assert status == 200
    bot.drain()


def mention(bot, card_ts, user, words, ts=None, also_message=True, **kw):
    """What Slack sends for `@SafeShift <words>` in the thread: the app_mention, and the same text as a message."""
    ts = ts or _ts()
    text = f"{BOT} {words}"
    if also_message:
        reply(bot, card_ts, user, text, ts=ts)
    status, _ = bot.event({"type": "app_mention", "channel": "C0SAFETY", "user": user, "text": text, "ts": ts,
                           "thread_ts": card_ts, "event_ts": ts}, **kw)
    assert status == 200
    bot.drain()


def card_updates(bot):
    return [c for c in bot.fake.of("chat.update") if '"facts"' in json.dumps(c.params.get("blocks") or [])]


def thread_lines(bot, card_ts):
    return [c.params for c in bot.fake.of("chat.postMessage") if c.params.get("thread_ts") == card_ts]


def ephemerals(bot, user=None):
    return [c.params for c in bot.fake.of("chat.postEphemeral") if user is None or c.params["user"] == user]


def set_lang(bot, user, lang):
    status, body = bot.slash(user, f"lang {lang}")
    assert status == 200, body


# --------------------------------------------------------------------------- replies
def test_a_supervisors_reply_acknowledges_an_agents_does_not_and_a_second_changes_nothing(bot):
    report, card = _report(bot)
    # an agent of the team replies: on the timeline, nothing else, not a word back
    reply(bot, card, "U0AGENT2", "I put a chair in front of it")
    assert _get(bot, report.number).status == "open"
    assert not card_updates(bot) and not thread_lines(bot, card) and not ephemerals(bot)
    assert not _audit(bot, "refused_acknowledge")
    # the supervisor's reply, written a moment before it is processed: the time to acknowledge counts from it
    time.sleep(1.2)
    written = time.time() - 1.0
    reply(bot, card, "U0SUPA", "on my way", ts=f"{written:.6f}")
    r = _get(bot, report.number)
    assert r.status == "acknowledged" and r.acknowledged_by == "U0SUPA"
    assert abs(r.acknowledged_at.timestamp() - written) < 0.001
    acked = _audit(bot, "acknowledged")
    assert len(acked) == 1 and acked[0].after["via"] == "reply"
    assert acked[0].after["seconds"] == int(written - r.reported_at.timestamp())
    # the card is updated in place exactly as for the button, and the thread says how
    assert len(card_updates(bot)) == 1
    updated = json.dumps(card_updates(bot)[0].params["blocks"], ensure_ascii=False)
    assert "<@U0SUPA>" in updated and "hazard_ack" not in updated and "hazard_resolve" in updated
    lines = thread_lines(bot, card)
    assert len(lines) == 1 and "<@U0SUPA>" in lines[0]["text"] and report.number in lines[0]["text"]
    assert "回复响应" in lines[0]["text"]  # zh-CN, the organisation's language
    # a second reply (and anyone's after it) changes nothing and says nothing
    reply(bot, card, "U0SUPA", "cable taped down")
    reply(bot, card, "U0OFFICER", "thanks")
    assert len(_audit(bot, "acknowledged")) == 1 and len(card_updates(bot)) == 1
    assert len(thread_lines(bot, card)) == 1 and not ephemerals(bot)
    assert _get(bot, report.number).acknowledged_at == r.acknowledged_at
    assert [c.note for c in _audit(bot, "comment")] == ["I put a chair in front of it", "on my way",
                                                        "cable taped down", "thanks"]


def test_the_reporters_own_reply_adds_to_the_report_and_does_not_answer_it(bot):
    report, card = _report(bot, "U0SUPA")  # a supervisor reports in their own team
    reply(bot, card, "U0SUPA", "photo of the socket attached")
    assert _get(bot, report.number).status == "open" and not thread_lines(bot, card)
    reply(bot, card, "U0OFFICER", "seen, coming")  # the safety officer answers it
    assert _get(bot, report.number).acknowledged_by == "U0OFFICER"


def test_the_reporter_of_a_joined_report_replying_in_the_thread_does_not_acknowledge_the_group(bot):
    """The lead's supervisor files a report of the same place: it joins the agent's lead. His reply in the lead's
    thread adds to his own report; it does not answer the group (he may acknowledge it, with the button)."""
    lead, card = _report(bot, "U0AGENT1", level=2, category="electrical", location="Room 7")
    bot.report("U0SUPA", level=2, category="electrical", location="room 7")
    bot.drain()
    with session_scope(bot.ctx.engine) as s:
        member = s.execute(select(Report).where(Report.group_id == lead.id)).scalar_one()
    assert member.reporter_id == "U0SUPA"
    reply(bot, card, "U0SUPA", "mine too: the socket is warm")
    assert _get(bot, lead.number).status == "open" and _get(bot, member.number).status == "open"
    assert not _audit(bot, "acknowledged") and len(_audit(bot, "comment", "U0SUPA")) == 1
    reply(bot, card, "U0OFFICER", "coming")  # someone else's reply does
    assert _get(bot, lead.number).acknowledged_by == "U0OFFICER"


def test_replies_do_not_acknowledge_when_the_policy_says_so(db_url, fake_slack):
    bot = start_bot(db_url, fake_slack, org_from("thread: {acknowledge_by_reply: false}"))
    try:
        report, card = _report(bot)
        reply(bot, card, "U0SUPA", "on my way")
        assert _get(bot, report.number).status == "open" and len(_audit(bot, "comment")) == 1
    finally:
        stop_bot(bot)


def test_a_reply_under_a_group_acts_on_the_lead_with_the_leads_permissions(bot):
    lead, card = _report(bot, "U0AGENT1", level=2, category="electrical", location="Room 7")
    bot.report("U0AGENT3", level=2, category="electrical", location="room 7")  # team B joins team A's lead
    bot.drain()
    with session_scope(bot.ctx.engine) as s:
        member = s.execute(select(Report).where(Report.group_id == lead.id)).scalar_one()
    # team B's supervisor answers for the member, not for the lead: the reply changes nothing
    reply(bot, card, "U0SUPB", "mine is in that group")
    assert _get(bot, lead.number).status == "open" and _get(bot, member.number).status == "open"
    # the lead's supervisor acknowledges the whole group
    reply(bot, card, "U0SUPA", "on it")
    assert _get(bot, lead.number).status == "acknowledged" and _get(bot, member.number).status == "acknowledged"


# --------------------------------------------------------------------------- reactions
def test_a_responders_reaction_acknowledges_anyone_elses_does_not(bot):
    report, card = _report(bot)
    react(bot, card, "U0AGENT2", "white_check_mark")  # an agent: nothing, not a word; the operation log has it
    react(bot, card, "U0SUPA", "thumbsup")  # not a listed reaction: nothing
    react(bot, "1.000000", "U0SUPA", "eyes")  # not a card: nothing
    assert _get(bot, report.number).status == "open"
    assert not card_updates(bot) and not thread_lines(bot, card) and not ephemerals(bot)
    refused = _audit(bot, "refused_acknowledge", "U0AGENT2")
    assert len(refused) == 1 and refused[0].note == report.number and refused[0].after["via"] == "reaction"
    assert refused[0].subject_type is None  # operation log, not the report's timeline
    # the supervisor's 👀 acknowledges (a skin tone is the same reaction)
    react(bot, card, "U0SUPA", "eyes::skin-tone-2")
    r = _get(bot, report.number)
    assert r.status == "acknowledged" and r.acknowledged_by == "U0SUPA"
    assert _audit(bot, "acknowledged")[0].after["via"] == "reaction"
    assert len(card_updates(bot)) == 1 and "hazard_ack" not in json.dumps(card_updates(bot)[0].params)
    lines = thread_lines(bot, card)
    assert len(lines) == 1 and "表情响应" in lines[0]["text"]
    # taking the reaction back changes nothing; another responder's ✅ changes nothing either
    bot.event({"type": "reaction_removed", "user": "U0SUPA", "reaction": "eyes",
               "item": {"type": "message", "channel": "C0SAFETY", "ts": card}, "event_ts": _ts()})
    react(bot, card, "U0OFFICER", "white_check_mark")
    bot.drain()
    assert _get(bot, report.number).status == "acknowledged" and len(card_updates(bot)) == 1
    assert len(_audit(bot, "acknowledged")) == 1 and not ephemerals(bot)


# --------------------------------------------------------------------------- mentions
def test_resolve_by_mention_with_a_note_and_a_refusal_for_anyone_else(bot):
    report, card = _report(bot)
    mention(bot, card, "U0AGENT2", "resolve fixed it myself")
    assert _get(bot, report.number).status == "open"
    refusal = ephemerals(bot, "U0AGENT2")
    assert len(refusal) == 1 and refusal[0]["thread_ts"] == card and refusal[0]["channel"] == "C0SAFETY"
    assert "本次操作未生效" in refusal[0]["text"]
    assert len(_audit(bot, "refused_resolve", "U0AGENT2")) == 1
    assert not card_updates(bot) and not thread_lines(bot, card)
    # the supervisor resolves in Chinese; the note is what followed the word
    mention(bot, card, "U0SUPA", "已处理 已更换电源线并固定")
    r = _get(bot, report.number)
    assert r.status == "resolved" and r.resolved_by == "U0SUPA" and r.resolution_note == "已更换电源线并固定"
    assert _audit(bot, "resolved")[0].after["via"] == "mention"
    assert "已更换电源线并固定" in json.dumps(card_updates(bot)[-1].params["blocks"], ensure_ascii=False)
    lines = thread_lines(bot, card)
    assert len(lines) == 1 and "已更换电源线并固定" in lines[0]["text"] and "<@U0SUPA>" in lines[0]["text"]
    # the message event of the mention joined the timeline but acknowledged nothing on its own
    assert not [a for a in _audit(bot, "acknowledged")]


def test_the_message_of_a_mention_does_not_also_acknowledge_as_a_reply(bot):
    report, card = _report(bot)
    mention(bot, card, "U0SUPA", "status")
    assert _get(bot, report.number).status == "open"  # a command, not a reply: status changes nothing
    lines = thread_lines(bot, card)
    assert len(lines) == 1 and report.number in json.dumps(lines[0], ensure_ascii=False)
    assert len(_audit(bot, "comment")) == 0  # #25 finding 12: a command is not also a comment on the timeline
    # an explicit acknowledge by mention acts once, from the mention's own message
    mention(bot, card, "U0SUPA", "响应")
    assert _get(bot, report.number).status == "acknowledged"
    assert [a.after["via"] for a in _audit(bot, "acknowledged")] == ["mention"]


def test_a_status_by_mention_names_people_without_paging_them_again(bot):
    """`@SafeShift status` answers in the thread, naming the reporter and who did what: Slack notifies the people a
    new message mentions, so the answer is posted without them and edited to name them (an edit notifies nobody,
    like the card's timeline). What is meant to reach people (an assignment) still mentions them."""
    report, card = _report(bot)
    reply(bot, card, "U0SUPA", "收到，马上处理")  # acknowledges: the timeline now names the supervisor too
    mention(bot, card, "U0OFFICER", "status")
    posted = [p for p in thread_lines(bot, card) if "处理记录" in json.dumps(p, ensure_ascii=False)
              or report.number in p.get("text", "")]
    status_post = posted[-1]
    assert report.number in status_post["text"]
    assert "<@" not in json.dumps(status_post, ensure_ascii=False), status_post  # nobody paged by the answer
    message = next(m for m in bot.fake.messages["C0SAFETY"] if m.get("thread_ts") == card
                   and report.number in str(m.get("text")) and m.get("edited"))
    shown = json.dumps(message["blocks"], ensure_ascii=False)
    assert "处理记录" in shown and "<@U0AGENT1>" in shown and "<@U0SUPA>" in shown  # named, once edited in
    edits = [c.params for c in bot.fake.of("chat.update") if c.params.get("ts") == message["ts"]]
    assert len(edits) == 1 and "safeshift_replace_only" not in edits[0]  # the outbox's own key stays home
    # an assignment is meant to reach the assignee: its thread line still mentions them
    mention(bot, card, "U0SUPA", "assign <@U0AGENT2>")
    assert any("<@U0AGENT2>" in line["text"] for line in thread_lines(bot, card))


def test_assign_records_the_assignee_and_shows_it_on_the_card(bot):
    report, card = _report(bot)
    mention(bot, card, "U0AGENT2", "assign <@U0AGENT1>")
    assert _get(bot, report.number).assigned_to is None
    assert len(_audit(bot, "refused_assign", "U0AGENT2")) == 1
    assert ephemerals(bot, "U0AGENT2")[0]["thread_ts"] == card
    mention(bot, card, "U0SUPA", "指派 <@U0AGENT2>")
    r = _get(bot, report.number)
    assert r.assigned_to == "U0AGENT2"
    assert r.status == "acknowledged" and r.acknowledged_by == "U0SUPA"  # naming who does the work answers it
    assigned = _audit(bot, "assigned")
    assert len(assigned) == 1 and assigned[0].after == {"assigned_to": "U0AGENT2", "via": "mention"}
    card_now = json.dumps(card_updates(bot)[-1].params["blocks"], ensure_ascii=False)
    assert "处理人" in card_now and "<@U0AGENT2>" in card_now and "<@U0SUPA>" in card_now
    assert any("<@U0AGENT2>" in line["text"] and "指派" in line["text"] for line in thread_lines(bot, card))
    told = [c.params["text"] for c in bot.fake.of("chat.postMessage") if c.params.get("channel") == "U0AGENT2"]
    assert len(told) == 1 and report.number in told[0]
    # the same person again: nothing changes, only the asker hears it; someone else: reassigned
    mention(bot, card, "U0SUPA", "assign <@U0AGENT2>")
    assert len(_audit(bot, "assigned")) == 1 and "本次操作未生效" in ephemerals(bot, "U0SUPA")[-1]["text"]
    mention(bot, card, "U0OFFICER", "assign <@U0IT>")
    assert _get(bot, report.number).assigned_to == "U0IT"
    assert _audit(bot, "assigned")[-1].before == {"assigned_to": "U0AGENT2"}
    # /hazard status shows it on the timeline
    status, body = bot.slash("U0SUPA", f"status {report.number}")
    assert "指派 <@U0IT> 处理" in json.dumps(body, ensure_ascii=False)


def test_help_and_unknown_words_in_both_languages(bot):
    report, card = _report(bot)
    set_lang(bot, "U0AGENT2", "en")
    mention(bot, card, "U0AGENT2", "what now?")
    mention(bot, card, "U0AGENT1", "帮助")
    mention(bot, card, "U0STRANGER", "help")
    # help and unknown words are answered to the person only (in the thread, ephemeral), never posted in it
    assert thread_lines(bot, card) == []
    lines = ephemerals(bot, "U0AGENT2") + ephemerals(bot, "U0AGENT1")
    assert len(lines) == 2 and all(e.get("thread_ts") == card for e in lines)
    assert "Unknown command" in lines[0]["text"] and "@SafeShift assign" in lines[0]["text"]
    assert ":white_check_mark: or :eyes:" in lines[0]["text"]  # the policy's reactions, joined as a list (#25)
    assert "指派" in lines[1]["text"] and "Unknown command" not in lines[1]["text"]
    assert len(ephemerals(bot, "U0STRANGER")) == 1
    # a refusal comes in the asker's language: English for the one who chose it, Chinese by default
    mention(bot, card, "U0AGENT2", "resolve done")
    mention(bot, card, "U0AGENT1", "resolve done")
    assert "Nothing was changed" in ephemerals(bot, "U0AGENT2")[-1]["text"]
    assert "本次操作未生效" in ephemerals(bot, "U0AGENT1")[-1]["text"]
    # a resolve without a note says how, in English for an English reader
    set_lang(bot, "U0SUPA", "en")
    mention(bot, card, "U0SUPA", "resolve")
    assert "Say what was done" in ephemerals(bot, "U0SUPA")[-1]["text"]
    assert _get(bot, report.number).status == "open"
    # the thread line of an action is in the organisation's language whoever acted
    mention(bot, card, "U0SUPA", "resolve cord replaced")
    assert "在消息串中处理" in thread_lines(bot, card)[-1]["text"]


def test_a_mention_outside_a_cards_thread_gets_a_hint_only_for_its_author(bot):
    _report(bot)
    status, _ = bot.event({"type": "app_mention", "channel": "C0TEAMA", "user": "U0AGENT1",
                           "text": f"{BOT} help", "ts": _ts(), "event_ts": _ts()})
    assert status == 200
    bot.drain()
    hint = ephemerals(bot, "U0AGENT1")
    assert len(hint) == 1 and hint[0]["channel"] == "C0TEAMA" and "卡片的消息串" in hint[0]["text"]


# --------------------------------------------------------------------------- exactly once
def test_the_same_event_delivered_twice_acts_once(bot):
    report, card = _report(bot)
    ts = _ts()
    resolve = {"type": "app_mention", "channel": "C0SAFETY", "user": "U0SUPA", "text": f"{BOT} resolve taped down",
               "ts": ts, "thread_ts": card, "event_ts": ts}
    # first delivery, Slack's retry (marked), and a later redelivery of the same event_id (not marked)
    assert bot.event(resolve, event_id="EvRESOLVE1")[0] == 200
    assert bot.event(resolve, event_id="EvRESOLVE1", headers=RETRY)[0] == 200
    time.sleep(1.1)  # a new signature, so the replay guard lets it through: the event_id decides
    assert bot.event(resolve, event_id="EvRESOLVE1")[0] == 200
    bot.drain()
    assert len(_audit(bot, "resolved")) == 1 and len(thread_lines(bot, card)) == 1 and len(card_updates(bot)) == 1
    assert not ephemerals(bot, "U0SUPA")  # not even an "already resolved" for the copies
    # a reply and a reaction, each delivered twice
    report2, card2 = _report(bot, description="loose ceiling tile", location="row 9")
    msg = {"type": "message", "channel": "C0SAFETY", "user": "U0SUPA", "text": "coming", "ts": _ts(),
           "thread_ts": card2}
    for headers in (None, RETRY):
        assert bot.event(msg, event_id="EvREPLY1", headers=headers)[0] == 200
    bot.drain()
    assert len(_audit(bot, "comment")) == 1 and len(_audit(bot, "acknowledged")) == 1
    report3, card3 = _report(bot, description="wet floor", location="pantry")
    reaction = {"type": "reaction_added", "user": "U0SUPA", "reaction": "white_check_mark",
                "item": {"type": "message", "channel": "C0SAFETY", "ts": card3}, "event_ts": _ts()}
    for headers in (None, RETRY):
        assert bot.event(reaction, event_id="EvREACT1", headers=headers)[0] == 200
    bot.drain()
    assert len(_audit(bot, "acknowledged")) == 2
    refused = {"type": "app_mention", "channel": "C0SAFETY", "user": "U0AGENT2", "text": f"{BOT} resolve x",
               "ts": _ts(), "thread_ts": card3}
    for headers in (None, RETRY):
        assert bot.event(refused, event_id="EvREFUSED1", headers=headers)[0] == 200
    bot.drain()
    assert len(_audit(bot, "refused_resolve")) == 1 and len(ephemerals(bot, "U0AGENT2")) == 1


def test_two_replicas_given_the_same_event_act_once(db_url, fake_slack, org):
    one = start_bot(db_url, fake_slack, org)
    two = start_bot(db_url, fake_slack, org)
    try:
        report, card = _report(one)
        ts = _ts()
        event = {"type": "app_mention", "channel": "C0SAFETY", "user": "U0SUPA", "text": f"{BOT} 已解决 换了插座",
                 "ts": ts, "thread_ts": card, "event_ts": ts}
        answers = []
        threads = [threading.Thread(target=lambda b=b: answers.append(b.event(event, event_id="EvTWICE",
                                                                              headers=RETRY)[0]))
                   for b in (one, two)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        one.drain()
        assert answers == [200, 200]
        r = _get(one, report.number)
        assert r.status == "resolved" and r.resolution_note == "换了插座"  # 已解决 is understood (never written)
        assert len(_audit(one, "resolved")) == 1 and len(thread_lines(one, card)) == 1
        with session_scope(one.ctx.engine) as s:
            assert s.execute(select(func.count()).select_from(ProcessedEvent)
                             .where(ProcessedEvent.event_id == "EvTWICE")).scalar_one() == 1
    finally:
        stop_bot(two)
        stop_bot(one)


def test_thread_events_of_a_broken_shape_are_ignored_quietly(bot):
    report, card = _report(bot)
    long_user = "U" + "X" * 40
    for event in (
        {"type": "reaction_added", "user": "U0SUPA", "reaction": "eyes", "item": "C0SAFETY", "event_ts": _ts()},
        {"type": "reaction_added", "user": "U0SUPA", "reaction": ["eyes"], "item": {"channel": "C0SAFETY", "ts": card}},
        {"type": "reaction_added", "user": long_user, "reaction": "eyes",
         "item": {"type": "message", "channel": "C0SAFETY", "ts": card}},
        {"type": "reaction_added", "user": "U0SUPA", "reaction": "eyes",
         "item": {"type": "message", "channel": 7, "ts": card}},
        {"type": "app_mention", "user": long_user, "channel": "C0SAFETY", "text": f"{BOT} resolve x", "ts": _ts(),
         "thread_ts": card},
        {"type": "app_mention", "user": "U0SUPA", "channel": "C0SAFETY", "text": {"a": 1}, "ts": _ts(),
         "thread_ts": card},
        {"type": "app_mention", "user": "U0SUPA", "channel": "C0SAFETY", "text": f"{BOT} resolve x", "ts": _ts(),
         "thread_ts": 1.5},
    ):
        status, _ = bot.event(event)
        assert status in (200, 400), (status, event)
    bot.drain()
    assert _get(bot, report.number).status == "open"
    with session_scope(bot.ctx.engine) as s:
        assert s.execute(select(func.count()).select_from(ProcessedEvent)).scalar_one() == 0
    assert not ephemerals(bot) and not thread_lines(bot, card)
