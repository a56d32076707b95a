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
SEED = Path(__file__).resolve().parents[1] / "docs" / "seed"  # the source document, vendored (docs/seed/README.md)
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


def taken(engine, user: str | None = None) -> list[TrainingTest]:
    with session_scope(engine) as s:
        q = select(TrainingTest).order_by(TrainingTest.id)
        if user:
            q = q.where(TrainingTest.user_id == user)
        return list(s.execute(q).scalars())


def dms(bot, user: str) -> list[dict]:
    bot.drain()
    return [c.params for c in bot.fake.of("chat.postMessage") if c.params.get("channel") == user]


def updates(bot, test_id: int, index: int) -> list[dict]:
    """The edits of question `index` of a test (its DM is edited in place once answered)."""
    bot.drain()
    return [c.params for c in bot.fake.of("chat.update") if f'"training_q:{test_id}:{index}"' in everything(c.params)]


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
    test = [t for t in taken(bot.ctx.engine, user) if t.status == "open"][-1]
    for i, qid in enumerate(test.questions):
        question = dms(bot, user)[-1]
        values = radio_values(question)
        assert values, f"question {i + 1} has no radio buttons"
        right = right_choice(bot.ctx.org, qid)
        pick = right if i >= wrong else (right % len(values)) + 1
        assert f"{test.id}:{i}:{pick}" in values
        choose(bot, user, f"{test.id}:{i}:{pick}")
    return next(t for t in taken(bot.ctx.engine, user) if t.id == test.id)


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


# --------------------------------------------------------------------------- the test in chat
def test_an_answer_cites_its_section_once_in_both_languages(tbot):
    """The built-in bank's explanations begin with their section (§3.1.2：…): the answer does not cite it again;
    an explanation that does not cite it (an organisation's own bank) still gets the section after it."""
    status, body = tbot.slash(AGENT2, "lang en")
    assert status == 200, body
    bank = tbot.ctx.org.question_bank.by_id()
    for user, lang in ((AGENT, "zh_CN"), (AGENT2, "en")):
        training(tbot, user, "test")
        test = taken(tbot.ctx.engine, user)[0]
        q = bank[test.questions[0]]
        choose(tbot, user, f"{test.id}:0:{q.answer}")
        shown = everything(updates(tbot, test.id, 0)[-1])
        assert getattr(q.explanation, lang)[:20] in shown
        assert shown.count(f"§{q.section}") + shown.count(f"第{q.section}条") == 1, shown
    from bot import i18n

    for locale, cited in (("zh-CN", "（责任制第3.1.2条）"), ("en", " (§3.1.2)")):
        said = i18n.t(locale, "training.answer_right", given="A", explanation="Monthly.", section="3.1.2")
        assert said.endswith("Monthly." + cited)


def test_a_whole_quiz_by_clicks_scored_right_a_retake_with_other_questions_after_a_fail(tbot):
    org = tbot.ctx.org
    assert "开始" in training(tbot, AGENT, "test")["text"]
    test = taken(tbot.ctx.engine, AGENT)[0]
    assert (test.reason, test.status, len(test.questions)) == ("demand", "open", 10)
    first = dms(tbot, AGENT)[0]
    assert "第1/10题" in everything(first) and "80%" in everything(first)
    assert len(radio_values(first)) == len(org.question_bank.by_id()[test.questions[0]].choices)
    # a second `/training test` while one is open starts nothing
    assert "还有一次测试没有完成" in training(tbot, AGENT, "test")["text"]
    assert len(taken(tbot.ctx.engine, AGENT)) == 1

    # question 1 answered wrong, twice (a double click): recorded once; then an old question clicked again
    q0 = test.questions[0]
    wrong = right_choice(org, q0) % len(radio_values(first)) + 1
    choose(tbot, AGENT, f"{test.id}:0:{wrong}")
    choose(tbot, AGENT, f"{test.id}:0:{right_choice(org, q0)}")
    after = taken(tbot.ctx.engine, AGENT)[0]
    assert after.answers == [wrong] and after.right == 0
    shown = updates(tbot, test.id, 0)
    assert len(shown) == 1 and radio_values(shown[0]) == []  # the answered question keeps no buttons
    explanation = org.question_bank.by_id()[q0].explanation.zh_CN
    assert "正确答案是" in everything(shown[0]) and explanation[:20] in everything(shown[0])
    assert "第2/10题" in everything(dms(tbot, AGENT)[-1])
    with session_scope(tbot.ctx.engine) as s:
        answers = s.execute(select(AuditEvent).where(AuditEvent.action == "training_answer",
                                                     AuditEvent.subject_id == test.id)).scalars().all()
    assert len(answers) == 1 and answers[0].subject_type == "training"

    # the rest: one more wrong (8/10 would pass; 7/10 fails at 80%)
    for i, qid in enumerate(test.questions[1:], start=1):
        right = right_choice(org, qid)
        pick = right if i >= 3 else right % len(radio_values(dms(tbot, AGENT)[-1])) + 1
        choose(tbot, AGENT, f"{test.id}:{i}:{pick}")
    done = taken(tbot.ctx.engine, AGENT)[0]
    assert (done.status, done.right, len(done.answers)) == ("failed", 7, 10)
    result = dms(tbot, AGENT)[-1]
    assert "7/10" in everything(result) and "70%" in everything(result) and "考核未通过" in everything(result)
    retake = [(e["action_id"], e["value"]) for b in result["blocks"] if b.get("block_id") == ids.TRAINING_ACTIONS_BLOCK
              for e in b["elements"]]
    assert retake == [(ids.TRAINING_RETAKE_ACTION, str(test.id))]
    # an answer after the end changes nothing and says so
    choose(tbot, AGENT, f"{test.id}:9:1")
    assert taken(tbot.ctx.engine, AGENT)[0].answers == done.answers

    # the retake (clicked twice: one retake), with other questions; passed with every answer right
    for _ in range(2):
        status, _body = tbot.click(AGENT, ids.TRAINING_RETAKE_ACTION, str(test.id), channel="D0DM")
        assert status == 200
    tests = taken(tbot.ctx.engine, AGENT)
    assert len(tests) == 2
    second = tests[1]
    assert second.attempt == 2 and not set(second.questions) & set(test.questions)
    assert take(tbot, AGENT, wrong=0).status == "passed"
    final = dms(tbot, AGENT)[-1]
    assert "10/10" in everything(final) and "考核通过" in everything(final)
    assert not [b for b in final["blocks"] if b.get("block_id") == ids.TRAINING_ACTIONS_BLOCK]
    # a passed test offers no retake
    tbot.click(AGENT, ids.TRAINING_RETAKE_ACTION, str(second.id), channel="D0DM")
    assert len(taken(tbot.ctx.engine, AGENT)) == 2


def test_nobody_answers_or_retakes_someone_elses_test(tbot):
    training(tbot, AGENT, "test")
    test = taken(tbot.ctx.engine, AGENT)[0]
    choose(tbot, AGENT2, f"{test.id}:0:1")
    assert taken(tbot.ctx.engine, AGENT)[0].answers == []
    tbot.drain()
    said = [c.params["text"] for c in tbot.fake.of("chat.postEphemeral") if c.params.get("user") == AGENT2]
    assert said and "找不到这次测试" in said[-1]
    # a failed test of AGENT: AGENT2 cannot start its retake
    take(tbot, AGENT, wrong=10)
    tbot.click(AGENT2, ids.TRAINING_RETAKE_ACTION, str(test.id), channel="D0DM")
    assert len(taken(tbot.ctx.engine)) == 1
    tbot.click(AGENT, ids.TRAINING_RETAKE_ACTION, str(test.id), channel="D0DM")
    assert len(taken(tbot.ctx.engine)) == 2
    choose(tbot, AGENT, "garbage")
    retake = taken(tbot.ctx.engine, AGENT)[1]
    choose(tbot, AGENT, f"{retake.id}:0:9")  # not one of the choices
    assert taken(tbot.ctx.engine, AGENT)[1].answers == []


def test_my_record_a_supervisors_team_and_participation_by_team(tbot):
    training(tbot, AGENT, "test")
    take(tbot, AGENT, wrong=0)
    mine = training(tbot, AGENT)["text"]
    assert "我的培训档案" in mine and "通过（10/10）" in mine
    # the quarterly test of this quarter for the team: sent on the daily run, AGENT2 passes it, AGENT fails it
    tbot.clock.set(local(2027, 2, 15, 10, 0))
    assert jobs.run_job(tbot.ctx, DAILY, local(2027, 2, 15, 10, 0))
    take(tbot, AGENT2, wrong=0)
    take(tbot, AGENT, wrong=5)
    team = training(tbot, SUPA)["text"]
    assert "Hotline A · 2027Q1" in team
    assert "<@U0AGENT1>：未通过（5/10）" in team and "<@U0AGENT2>：通过（10/10）" in team
    lead = training(tbot, HEAD)["text"]
    assert "Hotline A：1/3人通过（33%）" in lead and "Hotline B：0/2人通过（0%）" in lead
    assert "参与率" not in training(tbot, AGENT)["text"] and "Hotline A ·" not in training(tbot, AGENT)["text"]
    assert "`/training test`" in training(tbot, AGENT, "help")["text"]


# --------------------------------------------------------------------------- the quarterly test
def quarter_ctx(engine, when) -> Context:
    return Context(org=org_from(), engine=engine, clock=FrozenClock(when))


def first_questions(engine) -> dict[str, int]:
    with session_scope(engine) as s:
        rows = s.execute(select(OutboxMessage).where(OutboxMessage.method == "chat.postMessage")).scalars().all()
    return Counter(r.payload["channel"] for r in rows if "第1/10题" in everything(r.payload))


def test_the_quarterly_test_goes_to_every_member_once_from_the_quarters_first_working_day(engine):
    # 1 Jan 2027 is New Year's Day (a Friday): the quarter's first working day is Monday 4 January
    ctx = quarter_ctx(engine, local(2027, 1, 1, 10, 0))
    assert jobs.run_job(ctx, DAILY, local(2027, 1, 1, 10, 0))
    assert taken(engine) == []
    ctx.clock.set(local(2027, 1, 4, 10, 0))
    assert jobs.run_job(ctx, DAILY, local(2027, 1, 4, 10, 0))
    tests = taken(engine)
    assert {t.user_id for t in tests} == EVERYONE and len(tests) == 5
    assert {t.key for t in tests} == {f"quarterly:2027Q1:{u}:1" for u in EVERYONE}
    assert first_questions(engine) == {u: 1 for u in EVERYONE}
    # the next days send nothing more; a member added to a team mid-quarter gets it on the next run
    ctx.clock.set(local(2027, 1, 5, 10, 0))
    assert jobs.run_job(ctx, DAILY, local(2027, 1, 5, 10, 0))
    assert len(taken(engine)) == 5
    grown = Context(org=org_from(base=ORG_YAML.replace("members: [U0AGENT3]", "members: [U0AGENT3, U0NEW]")),
                    engine=engine, clock=FrozenClock(local(2027, 1, 6, 10, 0)))
    assert jobs.run_job(grown, DAILY, local(2027, 1, 6, 10, 0))
    assert {t.user_id for t in taken(engine)} == EVERYONE | {"U0NEW"}
    # the next quarter: everyone again
    ctx.clock.set(local(2027, 4, 1, 10, 0))
    assert jobs.run_job(ctx, DAILY, local(2027, 4, 1, 10, 0))
    assert Counter(t.period for t in taken(engine)) == {"2027Q1": 6, "2027Q2": 5}


def test_exactly_once_across_two_replicas(engine, db_url):
    """Two processes (their own engines and contexts) run the quarter's first run at the same moment."""
    engines = [engine, make_engine(db_url)]
    try:
        ctxs = [quarter_ctx(e, local(2027, 4, 1, 10, 0)) for e in engines]
        moment = local(2027, 4, 1, 10, 0)
        gate = threading.Barrier(2)
        ran = []

        def replica(ctx):
            gate.wait()
            ran.append(jobs.run_job(ctx, DAILY, moment))

        threads = [threading.Thread(target=replica, args=(c,)) for c in ctxs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(ran) == [False, True]
        # and a different scheduled moment (a catch-up run of another replica) still sends nothing twice
        assert jobs.run_job(ctxs[1], DAILY, moment + dt.timedelta(minutes=1))
        assert len(taken(engines[0])) == 5 and first_questions(engines[0]) == {u: 1 for u in EVERYONE}
    finally:
        engines[1].dispose()


def test_reminders_before_the_days_run_out_then_the_deadline_records_it(engine):
    ctx = quarter_ctx(engine, local(2027, 4, 1, 10, 0))
    jobs.run_job(ctx, DAILY, local(2027, 4, 1, 10, 0))
    test = next(t for t in taken(engine) if t.user_id == AGENT)
    assert test.due_at == local(2027, 4, 15, 10, 0)  # 14 days
    with session_scope(engine) as s:
        timers = s.execute(select(Timer).where(Timer.subject_type == "training", Timer.subject_id == test.id)
                           .order_by(Timer.fire_at)).scalars().all()
    assert [(t.purpose, t.fire_at) for t in timers] == [
        ("training_remind", local(2027, 4, 12, 10, 0)), ("training_remind", local(2027, 4, 14, 10, 0)),
        ("training_due", local(2027, 4, 15, 10, 0))]
    sweeper = Sweeper(ctx)

    def reminders(user):
        with session_scope(engine) as s:
            rows = s.execute(select(OutboxMessage).where(OutboxMessage.method == "chat.postMessage")).scalars().all()
        return [r.payload for r in rows if r.payload["channel"] == user and "还没有完成" in r.payload["text"]]

    ctx.clock.set(local(2027, 4, 12, 10, 0))
    assert sweeper.run_once() == 5 and sweeper.run_once() == 0
    assert len(reminders(AGENT)) == 1 and "2027-04-15 10:00" in reminders(AGENT)[0]["text"]
    # AGENT2 finishes the test: no more reminders for them, and no deadline
    with session_scope(engine) as s:
        t2 = s.execute(select(TrainingTest).where(TrainingTest.user_id == AGENT2)).scalar_one()
        t2.status, t2.finished_at = "passed", local(2027, 4, 13, 9, 0)
    ctx.clock.set(local(2027, 4, 15, 10, 0))
    sweeper.run_once()
    assert len(reminders(AGENT)) == 2 and len(reminders(AGENT2)) == 1
    by_user = {t.user_id: t.status for t in taken(engine)}
    assert by_user[AGENT] == "expired" and by_user[AGENT2] == "passed"
    with session_scope(engine) as s:
        rows = s.execute(select(OutboxMessage).where(OutboxMessage.method == "chat.postMessage")).scalars().all()
    ended = [r.payload for r in rows if r.payload["channel"] == AGENT and "测试时限已到" in everything(r.payload)]
    assert len(ended) == 1 and ids.TRAINING_RETAKE_ACTION in everything(ended[0])


# --------------------------------------------------------------------------- recording a session
def record_form(bot, user: str, course, kind, people, hours, day) -> dict:
    state = {
        "course": {"value": {"type": "plain_text_input", "value": course}},
        "kind": {"value": {"type": "static_select", "selected_option": None if kind is None else {
            "text": {"type": "plain_text", "text": kind}, "value": kind}}},
        "people": {"value": {"type": "multi_users_select", "selected_users": people}},
        "hours": {"value": {"type": "plain_text_input", "value": hours}},
        "day": {"value": {"type": "datepicker", "selected_date": day}},
    }
    payload = {
        "type": "view_submission", "team": {"id": "T1", "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T1"},
        "api_app_id": "A1", "token": "legacy", "trigger_id": f"trig-{uuid.uuid4().hex[:8]}",
        "view": {"id": f"V{uuid.uuid4().hex[:10].upper()}", "team_id": "T1", "type": "modal",
                 "callback_id": ids.TRAINING_RECORD_VIEW, "private_metadata": "{}", "hash": "h1", "blocks": [],
                 "title": {"type": "plain_text", "text": "x"}, "state": {"values": state}, "app_id": "A1",
                 "bot_id": "BBOT"},
        "response_urls": [], "is_enterprise_install": False,
    }
    status, body = bot.interactive(payload)
    assert status == 200, body
    return body if isinstance(body, dict) else {}


def test_the_safety_officer_or_a_supervisor_records_a_session_and_it_shows_in_the_record(tbot):
    # an agent may not open the form; the supervisor and the safety officer may
    assert "只有" in training(tbot, AGENT, "record")["text"]
    before = len(tbot.fake.of("views.open"))
    training(tbot, SUPA, "record")
    training(tbot, "U0OFFICER", "record")
    opened = tbot.fake.of("views.open")[before:]
    assert len(opened) == 2 and opened[0].params["view"]["callback_id"] == ids.TRAINING_RECORD_VIEW
    # wrong answers come back inline, nothing recorded
    bad = record_form(tbot, SUPA, "", None, ["U0AGENT3"], "25", "2027-02-16")
    assert set(bad["errors"]) == {"course", "kind", "people", "hours", "day"}
    assert "本团队" in bad["errors"]["people"]
    assert "共0学时，0次" in training(tbot, AGENT)["text"]
    # the supervisor records an induction theory session for their team; the officer a lecture for everyone
    assert record_form(tbot, SUPA, "消防器材使用 13800138000", "induction_theory", [AGENT, AGENT2], "8",
                       "2027-02-10") == {}
    assert record_form(tbot, "U0OFFICER", "专题讲座：冲突处理技巧", "lecture", [AGENT, "U0AGENT3"], "1.5",
                       "2027-02-12") == {}
    mine = training(tbot, AGENT)["text"]
    assert "共9.5学时，2次" in mine
    assert "2027-02-10 消防器材使用 138****8000（入职培训·理论学习，8学时）" in mine  # the typed number masked
    assert "共8学时，1次" in training(tbot, AGENT2)["text"]
    confirm = dms(tbot, SUPA)[-1]["text"]
    assert "2人" in confirm and "8学时" in confirm
    with session_scope(tbot.ctx.engine) as s:
        audit = s.execute(select(AuditEvent).where(AuditEvent.action == "training_recorded")).scalars().all()
    assert [a.actor for a in audit] == [SUPA, "U0OFFICER"] and audit[0].after["people"] == [AGENT, AGENT2]


# --------------------------------------------------------------------------- induction (§3.5.1)
@pytest.fixture
def ibot(db_url, fake_slack):
    clock = FrozenClock(local(2027, 2, 15, 9, 0))
    bot = start_bot(db_url, fake_slack, org_from("training:\n  induction:\n    pending: [U0AGENT2]"), clock=clock)
    bot.clock = clock
    yield bot
    stop_bot(bot)


def induction_reminders(bot, user: str) -> list[str]:
    return [p["text"] for p in dms(bot, user) if "入职培训提醒" in p.get("text", "")]


def daily_run(bot, *when) -> None:
    bot.drain()
    bot.clock.set(local(*when))
    assert jobs.run_job(bot.ctx, DAILY, local(*when))


def test_induction_the_supervisor_is_reminded_until_hours_and_a_passed_test_clear_the_person(ibot):
    daily_run(ibot, 2027, 2, 15, 10, 0)
    got = induction_reminders(ibot, SUPA)
    assert len(got) == 1 and "<@U0AGENT2>" in got[0] and "尚不能上岗" in got[0]
    assert "理论学习 0/8学时" in got[0] and "实操演练 0/4学时" in got[0] and "考核未通过" in got[0]
    assert induction_reminders(ibot, "U0SUPB") == []  # not their team
    assert "尚不能上岗" in training(ibot, AGENT2)["text"] and "尚不能上岗" not in training(ibot, AGENT)["text"]
    # the hours recorded; the test not passed yet: still reminded the next working day
    record_form(ibot, SUPA, "入职培训理论", "induction_theory", [AGENT2], "8", "2027-02-15")
    record_form(ibot, SUPA, "入职培训实操", "induction_practice", [AGENT2], "4", "2027-02-15")
    daily_run(ibot, 2027, 2, 16, 10, 0)
    got = induction_reminders(ibot, SUPA)
    assert len(got) == 2 and "理论学习 8/8学时" in got[-1] and "实操演练 4/4学时" in got[-1] and "考核未通过" in got[-1]
    # a Saturday: no reminder
    daily_run(ibot, 2027, 2, 20, 10, 0)
    assert len(induction_reminders(ibot, SUPA)) == 2
    # the test passed (the quarterly one was sent on the 15th: taken by clicks): cleared, no more reminders
    take(ibot, AGENT2, wrong=0)
    assert "可以上岗" in training(ibot, AGENT2)["text"]
    assert "<@U0AGENT2> 入职培训已完成" in training(ibot, SUPA)["text"]
    daily_run(ibot, 2027, 2, 22, 10, 0)
    assert len(induction_reminders(ibot, SUPA)) == 2


SHIFT_ORG = ORG_YAML.replace(
    "  - {name: Hotline A, channel: C0TEAMA, supervisors: [U0SUPA], members: [U0AGENT1, U0AGENT2]}",
    "  - name: Hotline A\n    channel: C0TEAMA\n    supervisors: [U0SUPA]\n    members: [U0AGENT1, U0AGENT2]\n"
    "    shifts:\n      - {name: Early, start: \"08:00\", end: \"16:00\", days: every_day}")


def test_a_pre_shift_self_check_sent_to_someone_in_induction_tells_the_supervisor_once(engine, monkeypatch):
    from bot import compose, registry
    from bot.checks import shifts

    monkeypatch.setattr(registry, "_installed", registry.Registry(compose.KINDS))  # the checks' jobs too
    org = org_from("training:\n  induction:\n    pending: [U0AGENT2]", base=SHIFT_ORG)
    issue = next(name for name, job in shifts.jobs(org).items()
                 if job.kind == "pre_shift" and job.phase == "issue" and job.shift == "Early")
    ctx = Context(org=org, engine=engine, clock=FrozenClock(local(2027, 2, 16, 7, 45)))
    moment = local(2027, 2, 16, 7, 45)
    assert jobs.run_job(ctx, issue, moment)
    assert jobs.run_job(Context(org=org, engine=engine, clock=FrozenClock(moment)), issue,
                        moment + dt.timedelta(seconds=1))  # a second run (another replica's moment): no repeat

    def told(user):
        with session_scope(engine) as s:
            rows = s.execute(select(OutboxMessage).where(OutboxMessage.method == "chat.postMessage")).scalars().all()
        return [r.payload["text"] for r in rows if r.payload["channel"] == user and "尚不能上岗" in r.payload["text"]]

    got = told(SUPA)
    assert len(got) == 1 and "<@U0AGENT2>" in got[0] and "班前自查" in got[0] and "<@U0AGENT1>" not in got[0]
    assert told("U0SUPB") == []


# --------------------------------------------------------------------------- the daily safety update (§2.3.3)
def safeshift(bot, user: str, text: str) -> dict:
    status, body = bot.form({
        "token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": "C0SAFETY", "channel_name": "x",
        "user_id": user, "user_name": user.lower(), "command": ids.SAFESHIFT_COMMAND, "text": text, "api_app_id": "A1",
        "is_enterprise_install": "false", "response_url": "http://127.0.0.1:9/hooks",
        "trigger_id": f"trig-{uuid.uuid4().hex[:10]}"})
    assert status == 200, body
    return body


def test_the_safety_officers_note_goes_out_once_in_the_next_daily_digest(tbot, monkeypatch):
    from bot import compose, registry

    monkeypatch.setattr(registry, "_installed", registry.Registry(compose.KINDS))  # the digest's job
    assert "只有" in safeshift(tbot, AGENT, "note 我也想发")["text"]
    assert "写上" in safeshift(tbot, "U0OFFICER", "note")["text"]
    assert "下一期安全日报" in safeshift(tbot, "U0OFFICER", "note 3号消防通道已清理，请勿堆放杂物 13800138000")["text"]

    def digests_with_note(day: int) -> list[dict]:
        moment = local(2027, 2, day, 9, 0)
        tbot.clock.set(moment)
        assert jobs.run_job(tbot.ctx, "daily_digest", moment)
        tbot.drain()
        return [c.params for c in tbot.fake.of("chat.postMessage")
                if "3号消防通道已清理" in everything(c.params) and f"02-{day:02d}" in everything(c.params)]

    first = digests_with_note(16)
    assert {p["channel"] for p in first} == {"C0SAFETY", "C0TEAMA", "C0TEAMB"}
    assert "今日安全动态" in everything(first[0]) and "13800138000" not in everything(first[0])
    assert digests_with_note(17) == []  # once
