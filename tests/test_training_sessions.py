"""Training sessions and culture (#23; §3.5.2, §2.2.2, §5.3.2, §3.5.3, §3.5.1, §6.2.1), through signed HTTP on the
injected clock: the roster on the session's day (sent once across two replicas), saved once (hours in each
record, absentees to their supervisor, participation for the indicators); the weekly team study's roster opened by
its check's Done (one message for one study); a topic added after a review listed in the next lecture's roster;
the Safety Star nominated, picked by the leadership group, announced; a person new to a team in the organisation
file in induction."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import compose, ids, jobs, registry
from bot.clock import FrozenClock
from bot.context import Context
from bot.indicators.compute import compute
from bot.training import calendar, participation, quarterly, star
from storage.db import make_engine, session_scope
from storage.models import AuditEvent, OutboxMessage, TrainingRoster, TrainingTopic
from tests.conftest import ORG_YAML, actions_payload, checkbox_state, org_from, start_bot, stop_bot
from tests.slackschema import assert_valid_message

SH = ZoneInfo("Asia/Shanghai")
MONTHLY = calendar.job_name("monthly_study")
LECTURE = calendar.job_name("lecture")
OFFICER, HEAD, SUPA, SUPB = "U0OFFICER", "U0HEAD", "U0SUPA", "U0SUPB"
A1, A2, A3 = "U0AGENT1", "U0AGENT2", "U0AGENT3"


def local(*a) -> dt.datetime:
    return dt.datetime(*a, tzinfo=SH).astimezone(dt.timezone.utc)


@pytest.fixture(autouse=True)
def _all_kinds(monkeypatch):
    monkeypatch.setattr(registry, "_installed", registry.Registry(compose.KINDS))


@pytest.fixture
def sbot(db_url, fake_slack):
    clock = FrozenClock(local(2027, 3, 15, 15, 0))  # Monday 15 March 2027: the monthly study session
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock, background=False)
    bot.clock = clock
    yield bot
    stop_bot(bot)


def send_all(bot) -> None:
    bot.runtime.start_background() if not getattr(bot, "_bg", False) else None
    bot._bg = True
    bot.ctx.wake()
    bot.drain()


def posts(bot, channel: str) -> list[dict]:
    send_all(bot)
    return [c.params for c in bot.fake.of("chat.postMessage") if c.params.get("channel") == channel]


def updates(bot) -> list[dict]:
    """Edits in place (their channel is the DM's, as Slack answered the post)."""
    send_all(bot)
    return [c.params for c in bot.fake.of("chat.update")]


def everything(params: dict) -> str:
    return params.get("text", "") + json.dumps(params.get("blocks") or [], ensure_ascii=False)


def click(bot, user: str, action_id: str, value: str, state: dict | None = None, block_id: str = "x") -> None:
    status, _ = bot.interactive(actions_payload(user, action_id, value, "D0DM", "9.1", block_id=block_id,
                                                state=state))
    assert status == 200


def command(bot, user: str, name: str, text: str) -> str:
    status, body = bot.form({
        "token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": "C0TEAMA", "channel_name": "x",
        "user_id": user, "user_name": user.lower(), "command": name, "text": text, "api_app_id": "A1",
        "is_enterprise_install": "false", "response_url": "http://127.0.0.1:9/hooks",
        "trigger_id": f"trig-{uuid.uuid4().hex[:10]}"})
    assert status == 200, body
    return body.get("text", "")


def ephemerals(bot, user: str) -> list[str]:
    send_all(bot)
    return [c.params.get("text", "") for c in bot.fake.of("chat.postEphemeral") if c.params.get("user") == user]


def rosters(engine) -> list[TrainingRoster]:
    with session_scope(engine) as s:
        return list(s.execute(select(TrainingRoster).order_by(TrainingRoster.id)).scalars())


def roster_people(params: dict) -> list[str]:
    return [o["value"] for b in params.get("blocks") or [] if str(b.get("block_id", "")).startswith("training_roster:")
            for e in b["elements"] for o in e["options"]]


def ticked(people: list[str]) -> dict:
    return checkbox_state(people, block_id=ids.TRAINING_ROSTER_BLOCK + ":0", action_id=ids.TRAINING_ROSTER_TICK_ACTION)


# --------------------------------------------------------------------------- the monthly study: roster, save
def test_a_roster_on_the_sessions_day_saved_once_records_hours_tells_supervisors_and_feeds_participation(sbot):
    assert jobs.run_job(sbot.ctx, MONTHLY, local(2027, 3, 15, 15, 0))
    sent = posts(sbot, OFFICER)
    assert len(sent) == 1 and "月度安全学习会" in everything(sent[0]) and "应到 5人" in everything(sent[0])
    assert_valid_message(sent[0])
    assert roster_people(sent[0]) == [A1, A2, SUPA, A3, SUPB]  # the department: every member, every supervisor
    roster = rosters(sbot.ctx.engine)[0]
    # not an organiser: refused, nothing saved
    click(sbot, A1, ids.TRAINING_ROSTER_SAVE_ACTION, str(roster.id), ticked([A1]))
    assert any("只有本次培训的组织者" in t for t in ephemerals(sbot, A1))
    assert rosters(sbot.ctx.engine)[0].status == "open"
    # the organiser ticks three and saves; a forged tick of someone not expected is ignored
    click(sbot, OFFICER, ids.TRAINING_ROSTER_SAVE_ACTION, str(roster.id), ticked([A1, SUPA, A3, "U0STRANGER"]))
    saved = rosters(sbot.ctx.engine)[0]
    assert saved.status == "saved" and saved.attended == [A1, SUPA, A3]
    edited = [p for p in updates(sbot) if "实到 3/5人" in everything(p)]
    assert len(edited) == 1 and roster_people(edited[0]) == [] and "<@U0AGENT2>" in everything(edited[0])
    assert_valid_message(edited[0])
    absent_a = [p["text"] for p in posts(sbot, SUPA) if "未到场" in p.get("text", "")]
    assert len(absent_a) == 1 and "<@U0AGENT2>" in absent_a[0] and "<@U0AGENT1>" not in absent_a[0]
    assert [p["text"] for p in posts(sbot, SUPB) if "未到场" in p.get("text", "")] == []  # all of theirs came
    absent_head = [p["text"] for p in posts(sbot, HEAD) if "未到场" in p.get("text", "")]
    assert len(absent_head) == 1 and "<@U0SUPB>" in absent_head[0]  # an absent supervisor: to the head
    # a second Save (a double click) changes nothing and tells no one again
    click(sbot, OFFICER, ids.TRAINING_ROSTER_SAVE_ACTION, str(roster.id), ticked([A1, A2]))
    assert any("已由 <@U0OFFICER>" in t for t in ephemerals(sbot, OFFICER))
    assert rosters(sbot.ctx.engine)[0].attended == [A1, SUPA, A3]
    assert len([p for p in posts(sbot, SUPA) if "未到场" in p.get("text", "")]) == 1
    # the hours are in the record of who came
    mine = command(sbot, A1, ids.TRAINING_COMMAND, "")
    assert "共1学时，1次" in mine and "月度安全学习会" in mine
    assert "共0学时，0次" in command(sbot, A2, ids.TRAINING_COMMAND, "")
    lead = command(sbot, HEAD, ids.TRAINING_COMMAND, "")
    assert "安全培训参与率 3/5（60%）" in lead and "Hotline A：实到 2/3人次" in lead and "Hotline B：实到 1/2人次" in lead
    # participation: per person, team, department; the indicators read it
    with session_scope(sbot.ctx.engine) as s:
        got = participation.for_month(sbot.ctx, s, "2027-03")
        month = compute(sbot.ctx, s, "2027-03")
        before = participation.for_month(sbot.ctx, s, "2027-02")
    assert got.people[A1] == [1, 1] and got.people[A2] == [0, 1]
    assert got.teams == {"Hotline A": [2, 3], "Hotline B": [1, 2]}
    assert (got.attended, got.expected, got.share()) == (3, 5, 60.0)
    figure = month.figures["training_participation"]
    assert (figure.value, figure.num, figure.den, figure.state) == (60.0, 3, 5, "ok")
    assert before.expected == 0 and before.share() is None


def test_the_rosters_of_a_session_go_out_once_across_two_replicas(engine, db_url):
    engines = [engine, make_engine(db_url)]
    moment = local(2027, 3, 15, 15, 0)
    try:
        ctxs = [Context(org=org_from(), engine=e, clock=FrozenClock(moment)) for e in engines]
        gate = threading.Barrier(2)
        ran = []

        def replica(ctx):
            gate.wait()
            ran.append(jobs.run_job(ctx, MONTHLY, moment))

        threads = [threading.Thread(target=replica, args=(c,)) for c in ctxs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(ran) == [False, True]
        # another replica's moment (a catch-up run) issues nothing twice; the next day has no session
        assert jobs.run_job(ctxs[1], MONTHLY, moment + dt.timedelta(minutes=1))
        assert jobs.run_job(ctxs[1], MONTHLY, moment + dt.timedelta(days=1))
        assert [r.key for r in rosters(engine)] == ["session:monthly_study:-:2027-03-15"]
        with session_scope(engine) as s:
            out = s.execute(select(OutboxMessage).where(OutboxMessage.method == "chat.postMessage")).scalars().all()
        assert [r.payload["channel"] for r in out if "月度安全学习会" in everything(r.payload)] == [OFFICER]
    finally:
        engines[1].dispose()


def test_a_session_on_a_day_off_is_held_on_the_next_working_day():
    org = org_from()
    lecture = org.policy.training.sessions["lecture"]
    assert calendar.occurrence_on(org, lecture, dt.date(2027, 2, 20)) is None  # a Saturday
    assert calendar.occurrence_on(org, lecture, dt.date(2027, 2, 22)) == dt.date(2027, 2, 20)
    assert "training:session:team_study" not in calendar.triggers(org)  # the check's calendar, not a second one


# --------------------------------------------------------------------------- the team study is the check
def test_the_weekly_team_study_is_one_message_its_checks_done_opens_the_roster(db_url, fake_slack):
    clock = FrozenClock(local(2027, 3, 19, 14, 0))  # Friday 19 March 2027, the team study's check
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock, background=False)
    try:
        from bot.checks import recurring
        from storage.models import CheckTask

        assert jobs.run_job(bot.ctx, recurring.job_name("team_study"), local(2027, 3, 19, 14, 0))
        with session_scope(bot.ctx.engine) as s:
            task = s.execute(select(CheckTask).where(CheckTask.name == "team_study", CheckTask.team == "Hotline A")
                             ).scalar_one()
        assert rosters(bot.ctx.engine) == []  # nothing but the check on the day
        assert len([p for p in posts(bot, SUPA) if "team_study" in everything(p) or "团队安全学习" in
                    everything(p) or "安全学习" in everything(p)]) == 1
        click(bot, SUPA, "task_ok", str(task.id), block_id="task_actions")  # Done opens the minutes form (#21)
        assert rosters(bot.ctx.engine) == []
        status, body = bot.submit(SUPA, {"check_content": "学习了消防器材的使用", "check_problems": ""},
                                  callback_id="check_record", private_metadata=json.dumps({"task": task.id}))
        assert status == 200 and not (body or {}).get("errors"), body
        roster = rosters(bot.ctx.engine)
        assert [(r.team, r.expected, r.organisers, r.kind) for r in roster] == [("Hotline A", [A1, A2], [SUPA],
                                                                                 "team_study")]
        sent = [p for p in posts(bot, SUPA) if roster_people(p)]
        assert len(sent) == 1 and roster_people(sent[0]) == [A1, A2] and "Hotline A" in everything(sent[0])
        click(bot, SUPA, ids.TRAINING_ROSTER_SAVE_ACTION, str(roster[0].id), ticked([A1, A2]))
        assert rosters(bot.ctx.engine)[0].attended == [A1, A2]
        assert [p for p in posts(bot, SUPA) if "未到场" in p.get("text", "")] == []
    finally:
        stop_bot(bot)


# --------------------------------------------------------------------------- topics after a review (§5.3.2)
def views_opened(bot) -> list[dict]:
    return [c.params["view"] for c in bot.fake.of("views.open")]


def submit_view(bot, user: str, view: dict, values: dict) -> dict:
    payload = {"type": "view_submission", "team": {"id": "T1", "domain": "acme"},
               "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T1"},
               "api_app_id": "A1", "token": "legacy", "trigger_id": f"trig-{uuid.uuid4().hex[:8]}",
               "view": dict(view, id="V1", state={"values": values}), "is_enterprise_install": False}
    status, body = bot.interactive(payload)
    assert status == 200, body
    return body if isinstance(body, dict) else {}


def test_a_topic_added_after_a_review_is_listed_in_the_next_lectures_roster_once(db_url, fake_slack):
    clock = FrozenClock(local(2027, 2, 16, 10, 0))
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock, background=False)
    try:
        assert "只有" in command(bot, A1, ids.TRAINING_COMMAND, "topic 情绪管理")
        assert "写上培训内容" in command(bot, OFFICER, ids.TRAINING_COMMAND, "topic")
        said = command(bot, OFFICER, ids.TRAINING_COMMAND, "topic 客户冲突升级时的情绪管理 13800138000")
        assert "下一次专题讲座（2027-02-22）" in said and "13800138000" not in said
        # the review recorded (the incidents kind calls the hook in its transaction): a DM with a button
        review = SimpleNamespace(id=7, number="INC-2027-00007", team="Hotline A")
        with session_scope(bot.ctx.engine) as s:
            for kind in registry.current().kinds:
                if (hook := kind.extra.get("postmortem_submitted")) is not None:
                    hook(bot.ctx, s, review, HEAD, clock.now())
        prompt = [p for p in posts(bot, OFFICER) if "INC-2027-00007" in everything(p)]
        assert len(prompt) == 1 and "复盘总结已记录" in prompt[0]["text"]
        assert_valid_message(prompt[0])
        click(bot, A1, ids.TRAINING_TOPIC_ACTION, "7")  # not the safety officer: refused, no form
        assert any("只有" in t for t in ephemerals(bot, A1)) and views_opened(bot) == []
        click(bot, OFFICER, ids.TRAINING_TOPIC_ACTION, "7")
        send_all(bot)
        form = views_opened(bot)[0]
        assert form["callback_id"] == ids.TRAINING_TOPIC_VIEW and json.loads(form["private_metadata"]) == {"report": 7}
        empty = submit_view(bot, OFFICER, form, {ids.TRAINING_TOPIC_BLOCK: {"value": {"type": "plain_text_input",
                                                                                       "value": "  "}}})
        assert empty.get("response_action") == "errors"
        submit_view(bot, OFFICER, form, {ids.TRAINING_TOPIC_BLOCK: {"value": {"type": "plain_text_input",
                                                                               "value": "备份机制与数据恢复"}}})
        with session_scope(bot.ctx.engine) as s:
            added = [(t.text, t.report_id) for t in s.execute(select(TrainingTopic).order_by(TrainingTopic.id)).scalars()]
        assert added[1:] == [("备份机制与数据恢复", 7)] and "13800138000" not in added[0][0]
        # the lecture's day (20 Feb is a Saturday: Monday 22 Feb): its roster lists both topics
        clock.set(local(2027, 2, 22, 15, 0))
        assert jobs.run_job(bot.ctx, LECTURE, local(2027, 2, 22, 15, 0))
        sent = [p for p in posts(bot, OFFICER) if "专题讲座" in everything(p) and roster_people(p)]
        assert len(sent) == 1 and "客户冲突升级时的情绪管理" in everything(sent[0])
        assert "备份机制与数据恢复" in everything(sent[0]) and "复盘后新增的培训内容" in everything(sent[0])
        # listed once: the next lecture (May) lists none of them
        clock.set(local(2027, 5, 20, 15, 0))
        assert jobs.run_job(bot.ctx, LECTURE, local(2027, 5, 20, 15, 0))
        may = rosters(bot.ctx.engine)[-1]
        assert may.day == dt.date(2027, 5, 20) and may.topics == []
    finally:
        stop_bot(bot)


# --------------------------------------------------------------------------- the Safety Star (§3.5.3)
def test_the_safety_star_nominated_picked_by_the_leadership_group_once_announced_in_the_team_channels(db_url,
                                                                                                      fake_slack):
    clock = FrozenClock(local(2027, 2, 16, 10, 0))
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock, background=False)
    try:
        star_cmd = ids.SAFESHIFT_COMMAND
        assert "不能提名自己" in command(bot, A1, star_cmd, f"star <@{A1}|me> 我很棒")
        assert "不在组织文件中" in command(bot, A1, star_cmd, "star <@U0NOBODY> 好")
        assert "请写" in command(bot, A1, star_cmd, "star someone")
        assert "请写" in command(bot, A1, star_cmd, f"star <@{A2}>")  # no reason
        assert "已记下" in command(bot, A1, star_cmd, f"star <@{A2}|agent2> 及时发现并上报裸露电线")
        assert "已记下" in command(bot, SUPA, star_cmd, f"star <@{A2}> 冲突处理得当")
        for _ in range(3):  # one person nominating the same colleague again and again is one nomination
            assert "已记下" in command(bot, A1, star_cmd, f"star <@{A3}> 主动清理消防通道")
        # the star's day of the next month (3 March 2027, a working day): the leadership channel is asked, once
        moment = local(2027, 3, 3, 10, 0)
        clock.set(moment)
        assert jobs.run_job(bot.ctx, star.JOB, local(2027, 3, 2, 10, 0))  # not the day: nothing
        assert [p for p in posts(bot, "C0LEAD") if "安全之星" in everything(p)] == []
        assert jobs.run_job(bot.ctx, star.JOB, moment)
        assert jobs.run_job(bot.ctx, star.JOB, moment + dt.timedelta(minutes=1))  # another replica's moment
        asked = [p for p in posts(bot, "C0LEAD") if "2027-02 安全之星" in everything(p)]
        assert len(asked) == 1
        assert_valid_message(asked[0])
        buttons = [e for b in asked[0]["blocks"] if b.get("block_id") == ids.STAR_ACTIONS_BLOCK for e in b["elements"]]
        assert [b["value"].split(":")[1] for b in buttons] == [A2, A3]  # the most nominated first
        assert "2次提名" in everything(asked[0]) and "及时发现并上报裸露电线" in everything(asked[0])
        click(bot, A1, buttons[0]["action_id"], buttons[0]["value"])  # not the leadership group
        assert any("只有" in t for t in ephemerals(bot, A1))
        click(bot, HEAD, buttons[0]["action_id"], buttons[0]["value"].split(":")[0] + ":U0AGENT1")  # not nominated
        assert any("未找到" in t for t in ephemerals(bot, HEAD))
        click(bot, HEAD, buttons[0]["action_id"], buttons[0]["value"])
        click(bot, OFFICER, buttons[1]["action_id"], buttons[1]["value"])  # a second pick: already picked
        assert any("已评出" in t and "<@U0AGENT2>" in t for t in ephemerals(bot, OFFICER))
        for channel in ("C0TEAMA", "C0TEAMB"):
            told = [p["text"] for p in posts(bot, channel) if "安全之星" in p.get("text", "")]
            assert len(told) == 1 and "2027-02 安全之星：<@U0AGENT2>" in told[0]
        picked = [p for p in updates(bot) if "评选 <@U0AGENT2> 为安全之星" in everything(p)]
        assert len(picked) == 1 and not any(b.get("block_id") == ids.STAR_ACTIONS_BLOCK for b in picked[0]["blocks"])
        with session_scope(bot.ctx.engine) as s:
            acts = [a.action for a in s.execute(select(AuditEvent).where(AuditEvent.action.like("%star%"))).scalars()]
        assert acts.count("star_nominated") == 5 and acts.count("star_picked") == 1 and acts.count("star_asked") == 1
    finally:
        stop_bot(bot)


# --------------------------------------------------------------------------- induction from the file (§3.5.1)
def test_a_person_new_to_a_team_in_the_organisation_file_starts_induction(db_url, fake_slack):
    clock = FrozenClock(local(2027, 2, 15, 10, 0))
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock, background=False)
    try:
        assert jobs.run_job(bot.ctx, quarterly.DAILY, local(2027, 2, 15, 10, 0))  # the first run: nobody is new
        assert [p for p in posts(bot, SUPA) if "入职培训提醒" in p.get("text", "")] == []
    finally:
        stop_bot(bot)
    # the file changes (a restart): U0NEW joins Hotline A; U0AGENT3 moves from Hotline B to Hotline A
    moved = ORG_YAML.replace("members: [U0AGENT1, U0AGENT2]", "members: [U0AGENT1, U0AGENT2, U0NEW, U0AGENT3]") \
                    .replace("members: [U0AGENT3]", "members: []")
    clock = FrozenClock(local(2027, 2, 16, 10, 0))
    bot = start_bot(db_url, fake_slack, org_from(base=moved), clock=clock, background=False)
    try:
        assert jobs.run_job(bot.ctx, quarterly.DAILY, local(2027, 2, 16, 10, 0))
        got = [p["text"] for p in posts(bot, SUPA) if "入职培训提醒" in p.get("text", "")]
        assert len(got) == 1 and "<@U0NEW>" in got[0] and "<@U0AGENT3>" not in got[0] and "尚不能上岗" in got[0]
        assert "尚不能上岗" in command(bot, "U0NEW", ids.TRAINING_COMMAND, "")
        assert "尚不能上岗" not in command(bot, A3, ids.TRAINING_COMMAND, "")
    finally:
        stop_bot(bot)
