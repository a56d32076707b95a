"""The anonymous suggestion box (匿名信箱, #24; §2.3.3, §3.5.3, §5.3.3) over signed HTTP with an injected clock:
`/suggest <words>`, the form, `/suggest status CODE`, the batch that posts to the leadership channel, the
leadership's Reply / Adopt / Decline and every refusal; and THE TEST: after suggestions by a known person, their
id is nowhere in the database (the SQLite file's bytes and its WAL, or every column of every table on PostgreSQL),
in the logs at DEBUG (SQLAlchemy's statements and rows included), or in any call to Slack; nor is the moment they
sent it (only the day)."""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import String, cast, inspect, select

from bot import ids, jobs
from bot.clock import FrozenClock
from storage.db import session_scope
from storage.models import AuditEvent, OutboxMessage, Suggestion
from tests.conftest import ORG_YAML, actions_payload, org_from, start_bot, stop_bot, without_jobs_of

SH = ZoneInfo("Asia/Shanghai")
SENDER = "U0WHISTLE7"  # an agent of Hotline A: the organisation knows them
HEAD, DEPUTY, OFFICER, SUPA, AGENT = "U0HEAD", "U0DEPUTY", "U0OFFICER", "U0SUPA", "U0AGENT1"
PROBE = "U0AGENT2"  # another agent, whose language choice is stored
SENT_AT = (2026, 9, 14, 10, 17, 23)  # Monday, Shanghai: the moment the suggestions are sent


def local(*a) -> dt.datetime:
    return dt.datetime(*a, tzinfo=SH).astimezone(dt.timezone.utc)


@pytest.fixture(autouse=True)
def _only_this_kind(monkeypatch):
    without_jobs_of(monkeypatch, "checks", "drills")


@pytest.fixture
def sbot(db_url, fake_slack):
    clock = FrozenClock(local(*SENT_AT))
    org = org_from(base=ORG_YAML.replace("members: [U0AGENT1, U0AGENT2]", f"members: [U0AGENT1, U0AGENT2, {SENDER}]"))
    bot = start_bot(db_url, fake_slack, org, clock=clock)
    bot.clock = clock
    yield bot
    stop_bot(bot)


def suggest(bot, user: str, text: str = ""):
    status, body = bot.form({
        "token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": "D0WHISTLE", "channel_name": "x",
        "user_id": user, "user_name": user.lower(), "command": ids.SUGGEST_COMMAND, "text": text, "api_app_id": "A1",
        "is_enterprise_install": "false", "response_url": "http://127.0.0.1:9/hooks",
        "trigger_id": f"trig-{uuid.uuid4().hex[:10]}"})
    assert status == 200, body
    return body


def submit_form(bot, user: str, text: str):
    return bot.submit(user, {ids.SUGGEST_TEXT_BLOCK: text}, callback_id=ids.SUGGEST_VIEW)


def rows(bot) -> list[Suggestion]:
    with session_scope(bot.ctx.engine) as s:
        return list(s.execute(select(Suggestion).order_by(Suggestion.id)).scalars())


def post_batch(bot, hhmm=(12, 0)) -> None:
    bot.clock.set(local(2026, 9, 14, *hhmm))
    assert jobs.run_due(bot.ctx, f"suggestions:post-{hhmm[0]:02d}{hhmm[1]:02d}")
    bot.drain()


def card_of(bot, code: str):
    calls = [c for c in bot.fake.calls if c.method in ("chat.postMessage", "chat.update")
             and code in json.dumps(c.params, ensure_ascii=False)]
    assert calls, f"no post of {code}"
    return calls[-1]


def press(bot, user: str, action: str, sid: int):
    status, _ = bot.interactive(actions_payload(user, action, str(sid), channel="C0LEAD",
                                                block_id=ids.SUGGEST_ACTIONS_BLOCK))
    assert status == 200


def answered(bot, user: str) -> str:
    bot.drain()
    calls = [c for c in bot.fake.of("chat.postEphemeral") if c.params.get("user") == user]
    assert calls, f"{user} got no answer"
    return calls[-1].params["text"]


class _Everything(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record) + " " + repr(record.args) + " " + str(record.__dict__))


@pytest.fixture
def all_logs():
    """Every log record of every logger at DEBUG, SQLAlchemy's statements, parameters and rows included (it keeps
    itself at WARNING unless told: an operator chasing a problem would tell it)."""
    root, handler = logging.getLogger(), _Everything()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loud = [root, logging.getLogger("sqlalchemy"), logging.getLogger("slack_sdk"), logging.getLogger("waitress")]
    old = [x.level for x in loud]
    for x in loud:
        x.setLevel(logging.DEBUG)
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)
    for x, level in zip(loud, old):
        x.setLevel(level)


def database_text(bot) -> str:
    """Everything the database holds, as text: the SQLite files' bytes, or every column of every PG table."""
    url = str(bot.ctx.engine.url)
    if url.startswith("sqlite"):
        path = Path(bot.ctx.engine.url.database)
        raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))  # the file, its WAL and SHM
        return raw.decode("utf-8", "replace")
    out = []
    with bot.ctx.engine.connect() as conn:
        conn.exec_driver_sql("SET TIME ZONE 'UTC'")  # times read as UTC text, like the SQLite file's
        for table in inspect(conn).get_table_names():
            cols = [c["name"] for c in inspect(conn).get_columns(table)]
            from sqlalchemy import column
            from sqlalchemy import table as tbl

            t = tbl(table, *[column(c) for c in cols])
            for row in conn.execute(select(*[cast(t.c[c], String) for c in cols])):
                out.append(" ".join(str(v) for v in row))
    return "\n".join(out)


# --------------------------------------------------------------------------- THE TEST
def test_a_suggestion_leaves_no_trace_of_its_sender(sbot, all_logs):
    # the capture works: at DEBUG every request's person is logged (handlers/middleware.py)
    sbot.clock.set(local(2026, 9, 14, 9, 0))
    sbot.slash(PROBE, "help")
    assert any(PROBE in line for line in all_logs.lines), "the DEBUG capture does not see the requests"
    all_logs.lines.clear()
    sbot.clock.set(local(*SENT_AT))
    calls_before = len(sbot.fake.calls)

    # 1. typed: numbers masked, one confirmation with the code, in the HTTP answer
    body = suggest(sbot, SENDER, "夜班B区饮水机旁的插线板过热，建议更换。联系我 13812345678")
    code = body["text"].split("*")[1]
    assert body["response_type"] == "ephemeral" and code.startswith("JY-") and len(code) == 9
    # 2. the form: bare /suggest opens it; its submission turns into the confirmation
    suggest(sbot, SENDER)
    opened = sbot.fake.of("views.open")[-1]
    assert opened.params["view"]["callback_id"] == ids.SUGGEST_VIEW
    status, answer = submit_form(sbot, SENDER, "应急通道的灯不亮")
    assert status == 200 and answer["response_action"] == "update"
    code2 = json.dumps(answer["view"], ensure_ascii=False).split("*")[1]
    assert code2.startswith("JY-") and code2 != code
    # 2b. the Home tab's button opens the same form (the click is untraced too)
    press_home = actions_payload(SENDER, ids.SUGGEST_HOME_ACTION, "open", channel="D0WHISTLE", block_id="home")
    assert sbot.interactive(press_home)[0] == 200
    assert sbot.fake.of("views.open")[-1].params["view"]["callback_id"] == ids.SUGGEST_VIEW
    # 3. a replay of the same words the same day adds nothing
    assert "已收到同样内容" in suggest(sbot, SENDER, "夜班B区饮水机旁的插线板过热，建议更换。联系我 13812345678")["text"]
    stored = rows(sbot)
    assert [r.code for r in stored] == [code, code2]
    assert "13812345678" not in stored[0].text and "138****5678" in stored[0].text
    assert all(r.day == dt.date(2026, 9, 14) and not r.posted for r in stored)
    # nothing reached Slack yet (but the form): the post waits for the batch
    assert [c.method for c in sbot.fake.calls[calls_before:]] == ["views.open", "views.open"]

    # 4. the batch at 12:00 posts both to the leadership channel
    post_batch(sbot)
    first = card_of(sbot, code)
    assert first.params["channel"] == "C0LEAD" and "138****5678" in json.dumps(first.params, ensure_ascii=False)
    # 5. the leadership replies and adopts; the sender reads the reply by code
    sid = stored[0].id
    press(sbot, HEAD, ids.SUGGEST_REPLY_ACTION, sid)
    assert sbot.fake.of("views.open")[-1].params["view"]["callback_id"] == ids.SUGGEST_REPLY_VIEW
    status, _ = sbot.submit(HEAD, {ids.SUGGEST_REPLY_BLOCK: "已安排电工今晚更换，谢谢！"},
                            callback_id=ids.SUGGEST_REPLY_VIEW, private_metadata=str(sid))
    assert status == 200
    press(sbot, DEPUTY, ids.SUGGEST_ADOPT_ACTION, sid)
    assert "已采纳" in answered(sbot, DEPUTY)
    sbot.drain()
    assert "已采纳" in json.dumps(card_of(sbot, code).params, ensure_ascii=False)
    status_text = suggest(sbot, SENDER, f"status {code.lower()}")["text"]
    assert "已采纳" in status_text and "已安排电工今晚更换" in status_text
    sbot.drain()

    # THE TEST: the sender's id is nowhere
    held = database_text(sbot)
    assert code in held and code2 in held and "电工" in held  # the database is really read
    assert SENDER not in held
    assert SENDER.lower() not in held.lower()
    assert not [line for line in all_logs.lines if SENDER in line or SENDER.lower() in line]
    assert any("sqlalchemy" in line for line in all_logs.lines)  # SQLAlchemy's DEBUG lines were captured
    slack = json.dumps([c.params for c in sbot.fake.calls[calls_before:]], ensure_ascii=False)
    assert SENDER not in slack and SENDER.lower() not in slack.lower()
    # nor the moment: no time finer than the day in any row (10:17:23 Shanghai is 02:17:23 UTC)
    assert "02:17:23" not in held and "02:17" not in held
    with session_scope(sbot.ctx.engine) as s:
        audits = list(s.execute(select(AuditEvent).where(AuditEvent.subject_type == "suggestion",
                                                          AuditEvent.action == "suggestion_received")).scalars())
        assert [a.at for a in audits] == [local(2026, 9, 14, 0, 0)] * 2 and {a.actor for a in audits} == {"anonymous"}
        created = {o.created_at for o in s.execute(select(OutboxMessage)).scalars()}
        assert local(*SENT_AT) not in created


def test_the_leadership_answers_and_everyone_else_is_refused(sbot):
    code = suggest(sbot, AGENT, "Fire door on floor 3 is propped open every night")["text"].split("*")[1]
    post_batch(sbot)
    sid = rows(sbot)[0].id
    for user in (SUPA, AGENT, "U0IT", "U0STRANGER"):
        press(sbot, user, ids.SUGGEST_ADOPT_ACTION, sid)
        assert "只有安全生产领导小组" in answered(sbot, user)
        press(sbot, user, ids.SUGGEST_REPLY_ACTION, sid)
        status, body = sbot.submit(user, {ids.SUGGEST_REPLY_BLOCK: "forged"}, callback_id=ids.SUGGEST_REPLY_VIEW,
                                   private_metadata=str(sid))
        assert status == 200 and body["response_action"] == "errors"
    assert rows(sbot)[0].status == "received" and rows(sbot)[0].reply == ""
    assert [c for c in sbot.fake.of("views.open") if c.params["view"]["callback_id"] == ids.SUGGEST_REPLY_VIEW] == []
    # the safety officer declines; a second decision is refused
    press(sbot, OFFICER, ids.SUGGEST_DECLINE_ACTION, sid)
    assert "未采纳" in answered(sbot, OFFICER)
    press(sbot, HEAD, ids.SUGGEST_ADOPT_ACTION, sid)
    assert "本次操作未生效" in answered(sbot, HEAD)
    assert rows(sbot)[0].status == "declined" and rows(sbot)[0].answered_by == OFFICER
    # an empty reply is refused on the form; an unknown number is answered
    status, body = sbot.submit(HEAD, {ids.SUGGEST_REPLY_BLOCK: "  "}, callback_id=ids.SUGGEST_REPLY_VIEW,
                               private_metadata=str(sid))
    assert body["response_action"] == "errors"
    press(sbot, HEAD, ids.SUGGEST_DECLINE_ACTION, 999)
    assert "找不到" in answered(sbot, HEAD)
    # the status by code, in English for an English reader; an unknown code
    assert "没有编号" in suggest(sbot, AGENT, "status JY-222222")["text"]
    assert "未采纳" in suggest(sbot, AGENT, f"status {code}")["text"]
    assert "请输入建议编号" in suggest(sbot, AGENT, "status nonsense")["text"]


def test_posting_waits_for_the_batch_and_the_box_has_a_daily_cap(db_url, fake_slack):
    clock = FrozenClock(local(*SENT_AT))
    bot = start_bot(db_url, fake_slack, org_from("suggestions: {daily_max: 2}"), clock=clock)
    bot.clock = clock
    try:
        suggest(bot, AGENT, "one")
        suggest(bot, "U0AGENT2", "two")
        assert "已满" in suggest(bot, "U0AGENT3", "three")["text"]
        assert "太短" in suggest(bot, "U0AGENT3", "x")["text"]
        assert "帮助" not in suggest(bot, AGENT, "help")["text"] and "匿名信箱" in suggest(bot, AGENT, "help")["text"]
        assert not bot.fake.of("chat.postMessage")
        post_batch(bot, (12, 0))
        assert len([c for c in bot.fake.of("chat.postMessage") if c.params["channel"] == "C0LEAD"]) == 2
        post_batch(bot, (17, 0))  # the next batch posts nothing twice
        assert len([c for c in bot.fake.of("chat.postMessage") if c.params["channel"] == "C0LEAD"]) == 2
    finally:
        stop_bot(bot)


def test_the_home_tab_has_the_way_in(sbot):
    status, _ = sbot.event({"type": "app_home_opened", "user": AGENT, "channel": "D1", "tab": "home"})
    assert status == 200
    published = sbot.fake.wait_for(lambda c: c.method == "views.publish" and c.params.get("user_id") == AGENT)
    view = json.dumps(published[-1].params["view"], ensure_ascii=False)
    assert ids.SUGGEST_HOME_ACTION in view and "匿名信箱" in view


def test_words_that_begin_like_a_subcommand_are_a_suggestion(sbot):
    """Only "help" alone and "status" with one word (a code) are subcommands; a sentence that starts with either
    word is a suggestion like any other."""
    for words in ("status of the fire exit lights is poor", "help desk headsets crackle on line 3", "状态 灯 不亮 很久了"):
        assert "已匿名收到" in suggest(sbot, AGENT, words)["text"], words
    assert sorted(r.text for r in rows(sbot)) == sorted(["status of the fire exit lights is poor",
                                                          "help desk headsets crackle on line 3", "状态 灯 不亮 很久了"])
    assert "请输入建议编号" in suggest(sbot, AGENT, "status")["text"]
    assert "匿名信箱" in suggest(sbot, AGENT, "help")["text"] and not rows(sbot)[3:]
