"""Training (#23; §3.5.2): the question bank (the built-in one covers the document's topics, each question citing a
section that exists; a malformed bank stops the start with file and line for every error), the test taken in chat
over signed HTTP (one question at a time by radio buttons, the explanation after each answer, the score, a retake
with other questions after a fail, double clicks recorded once), the quarterly send (exactly once across two
replicas, from the first working day of the quarter), reminders and the deadline through the timers, and
`/training` (my record, a supervisor's team, participation by team)."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import ids, jobs
from bot.clock import FrozenClock
from bot.context import Context
from bot.orgfile import load_org
from bot.policy import ConfigError
from bot.policy_training import DEFAULT_BANK_PATH, load_bank
from bot.sweeper import Sweeper
from bot.training.quarterly import DAILY
from storage.db import make_engine, session_scope
from storage.models import AuditEvent, OutboxMessage, Timer, TrainingTest
from tests.conftest import ORG_YAML, org_from, start_bot, stop_bot, without_jobs_of

SH = ZoneInfo("Asia/Shanghai")
SEED = Path(__file__).resolve().parents[2] / "shared" / "seed"
AGENT, AGENT2, SUPA, HEAD = "U0AGENT1", "U0AGENT2", "U0SUPA", "U0HEAD"
EVERYONE = {"U0AGENT1", "U0AGENT2", "U0SUPA", "U0AGENT3", "U0SUPB"}


def local(*a) -> dt.datetime:
    return dt.datetime(*a, tzinfo=SH).astimezone(dt.timezone.utc)


@pytest.fixture(autouse=True)
def _training_jobs_only(monkeypatch):
    without_jobs_of(monkeypatch, "checks", "drills")


@pytest.fixture
def tbot(db_url, fake_slack):
    clock = FrozenClock(local(2027, 2, 15, 9, 0))  # Monday 15 February 2027 (after the Spring Festival)
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock)
    bot.clock = clock
    yield bot
    stop_bot(bot)


# --------------------------------------------------------------------------- helpers
def training(bot, user: str, text: str = "") -> dict:
    status, body = bot.form({
        "token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": "C0TEAMA", "channel_name": "x",
        "user_id": user, "user_name": user.lower(), "command": ids.TRAINING_COMMAND, "text": text, "api_app_id": "A1",
        "is_enterprise_install": "false", "response_url": "http://127.0.0.1:9/hooks",
        "trigger_id": f"trig-{uuid.uuid4().hex[:10]}"})
    assert status == 200, body
    return body


def choose(bot, user: str, value: str) -> None:
    """A radio button chosen on a question in the person's DM (Slack sends block_actions with selected_option)."""
    payload = {
        "type": "block_actions", "team": {"id": "T1", "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T1"},
        "api_app_id": "A1", "token": "legacy", "trigger_id": f"trig-{uuid.uuid4().hex[:8]}",
        "container": {"type": "message", "message_ts": "1.0", "channel_id": "D0DM", "is_ephemeral": False},
        "channel": {"id": "D0DM", "name": "directmessage"},
        "message": {"type": "message", "ts": "1.0", "text": "q", "blocks": []},
        "response_url": "http://127.0.0.1:9/actions",
        "actions": [{"action_id": ids.TRAINING_ANSWER_ACTION, "block_id": ids.TRAINING_ANSWER_BLOCK,
                     "type": "radio_buttons", "action_ts": str(time.time()),
                     "selected_option": {"text": {"type": "plain_text", "text": "x"}, "value": value}}],
        "is_enterprise_install": False,
    }
    status, body = bot.interactive(payload)
    assert status == 200, body


def tests_taken(engine, user: str | None = None) -> list[TrainingTest]:
    with session_scope(engine) as s:
        q = select(TrainingTest).order_by(TrainingTest.id)
        if user:
            q = q.where(TrainingTest.user_id == user)
        return list(s.execute(q).scalars())


def dms(bot, user: str, method: str = "chat.postMessage") -> list[dict]:
    bot.drain()
    return [c.params for c in bot.fake.of(method) if c.params.get("channel") == user]


def radio_values(params: dict) -> list[str]:
    return [o["value"] for b in params.get("blocks") or [] if b.get("block_id") == ids.TRAINING_ANSWER_BLOCK
            for e in b["elements"] for o in e["options"]]


def everything(params: dict) -> str:
    return params.get("text", "") + json.dumps(params.get("blocks") or [], ensure_ascii=False)


def right_choice(org, question_id: str) -> int:
    return org.question_bank.by_id()[question_id].answer


def take(bot, user: str, wrong: int) -> TrainingTest:
    """Answer the user's open test by clicks, the first `wrong` answers wrong and the rest right, each answer on
    the question the DM just showed."""
    test = [t for t in tests_taken(bot.ctx.engine, user) if t.status == "open"][-1]
    for i, qid in enumerate(test.questions):
        question = dms(bot, user)[-1]
        values = radio_values(question)
        assert values, f"question {i + 1} has no radio buttons"
        right = right_choice(bot.ctx.org, qid)
        pick = right if i >= wrong else (right % len(values)) + 1
        assert f"{test.id}:{i}:{pick}" in values
        choose(bot, user, f"{test.id}:{i}:{pick}")
    return next(t for t in tests_taken(bot.ctx.engine, user) if t.id == test.id)


# --------------------------------------------------------------------------- the question bank
def test_the_built_in_bank_covers_the_documents_topics_in_both_languages_and_cites_real_sections():
    bank = load_bank(DEFAULT_BANK_PATH)
    assert len(bank.questions) >= 40
    topics = Counter(q.topic for q in bank.questions)
    assert set(topics) == {"fire", "conflict", "data", "electrical", "reporting"} and min(topics.values()) >= 8
    seed = "".join(p.read_text(encoding="utf-8") for p in SEED.glob("*.txt"))
    headings = set(re.findall(r"^(\d+\.\d+\.\d+)", seed, re.M))
    assert {q.section for q in bank.questions} <= headings
    for q in bank.questions:
        assert q.question.en != q.question.zh_CN and all(c.en and c.zh_CN for c in q.choices)
        assert re.search(r"[\u4e00-\u9fff]", q.question.zh_CN + q.explanation.zh_CN)
        assert f"§{q.section}" in q.explanation.en and f"§{q.section}" in q.explanation.zh_CN
        assert 1 <= q.answer <= len(q.choices)
    assert len({q.id for q in bank.questions}) == len(bank.questions)


BAD_BANK = """questions:
  - id: fire-01
    topic: fire
    section: "3.1.2"
    question: {en: "How often", zh-CN: 多久一次}
    choices: [{en: Monthly, zh-CN: 每月}, {en: Yearly, zh-CN: 每年}]
    answer: 3
    explanation: {en: Monthly., zh-CN: 每月。}
  - id: fire-01
    topic: fire
    section: "3.1.2"
    question: {en: "Who"}
    choices: [{en: A, zh-CN: 甲}, {en: B, zh-CN: 乙}]
    answer: 1
    explanation: {en: A., zh-CN: 甲。}
"""


def test_a_malformed_bank_stops_the_start_with_file_and_line_for_every_error(tmp_path):
    (tmp_path / "bank.yaml").write_text(BAD_BANK, encoding="utf-8")
    org = tmp_path / "org.yaml"
    org.write_text(ORG_YAML + "policy:\n  training:\n    bank: bank.yaml\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_org(org)
    lines = str(err.value).splitlines()
    bank = str(tmp_path / "bank.yaml")
    assert lines == [
        f"{bank}:2: questions.0: answer 3 is not one of the choices 1…2",
        f"{bank}:9: questions.1.id: 'fire-01' is already the id of question 0",
        f"{bank}:12: questions.1.question.zh-CN: Field required",
    ]
    (tmp_path / "bank.yaml").write_text("questions:\n  - id: x\n    topic: [oops\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(bank) + r":\d+: not valid YAML"):
        load_org(org)
    org.write_text(ORG_YAML + "policy:\n  training:\n    bank: nowhere.yaml\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="question bank does not exist"):
        load_org(org)


def test_a_good_bank_of_the_organisation_is_used_and_must_hold_a_whole_test(tmp_path):
    second = BAD_BANK.index("  - id: fire-01", 20)
    good = (BAD_BANK[:second].replace("answer: 3", "answer: 1")
            + BAD_BANK[second:].replace("fire-01", "fire-02").replace('{en: "Who"}', '{en: "Who", zh-CN: 谁}'))
    (tmp_path / "bank.yaml").write_text(good, encoding="utf-8")
    org = tmp_path / "org.yaml"
    org.write_text(ORG_YAML + "policy:\n  training:\n    bank: bank.yaml\n    test: {questions: 2}\n", encoding="utf-8")
    assert [q.id for q in load_org(org).question_bank.questions] == ["fire-01", "fire-02"]
    org.write_text(ORG_YAML + "policy:\n  training:\n    bank: bank.yaml\n", encoding="utf-8")  # 10 a test
    with pytest.raises(ConfigError, match=r"org.yaml:\d+: policy.training.test.questions: 10 questions a test, "
                                          r"but the bank has 2"):
        load_org(org)
