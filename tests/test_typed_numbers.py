"""Nothing typed comes back in clear (§3.3.1, issue 19): ID-card, bank-card and mobile numbers a person types
are masked before they are stored, repeated, posted or logged, whatever the command, mention word or form.

Everything goes over signed HTTP (or through a real `safeshift serve` process for the log); every call the bot
made to Slack (the fake records each, response_url posts included) and every HTTP answer is searched.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import uuid

import pytest
from sqlalchemy import inspect, select, text

from bot import ids
from bot.clock import FrozenClock
from bot.hazards import thread
from storage.db import session_scope
from storage.models import Report, SlackMessage
from tests.conftest import SECRET as SIGNING_SECRET
from tests.conftest import org_from, sign, start_bot, stop_bot

T0 = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.timezone.utc)  # 10:00 Shanghai
ID = "11010519491231002X"
CARD = "6222021234567890128"  # Luhn-valid, 19 digits
CARD_GROUPED = "6222 0212 3456 7890 128"
MOBILE = "13812345678"
SECRET = f"my id is {ID} card {CARD_GROUPED} call {MOBILE}"
RAW = (ID, ID.lower(), CARD, CARD_GROUPED, MOBILE)
MASKED = ("110***********002X", "138****5678")


def leaks(text_: str) -> list[str]:
    return [raw for raw in RAW if raw in text_]


@pytest.fixture
def nbot(db_url, fake_slack):
    clock = FrozenClock(T0)
    bot = start_bot(db_url, fake_slack, org_from(), clock=clock)
    bot.clock = clock
    yield bot
    stop_bot(bot)


def command(bot, user: str, name: str, text_: str, answers: list):
    status, body = bot.form({
        "token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": "C0TEAMA", "channel_name": "x",
        "user_id": user, "user_name": user.lower(), "command": name, "text": text_, "api_app_id": "A1",
        "is_enterprise_install": "false", "response_url": f"{bot.fake.base}/hooks/T1/B1/{uuid.uuid4().hex[:8]}",
        "trigger_id": bot.fake.issue_trigger(user)})
    assert status == 200, (name, text_, body)
    answers.append(body)


def card_ts(bot) -> str:
    bot.drain()
    with session_scope(bot.ctx.engine) as s:
        report = s.execute(select(Report).order_by(Report.id)).scalars().first()
        return s.execute(select(SlackMessage.ts).where(SlackMessage.key == f"report:{report.id}:card")).scalar_one()


def everything_sent(bot, answers: list) -> str:
    bot.drain()
    return (json.dumps([[c.method, c.params] for c in bot.fake.calls], ensure_ascii=False)
            + json.dumps(answers, ensure_ascii=False))


def all_rows(bot) -> str:
    return all_rows_of(bot.ctx.engine)


def all_rows_of(engine) -> str:
    """Every row of every table of ours, as text."""
    out = []
    with engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            if table == "alembic_version":
                continue
            out += [json.dumps([str(v) for v in row], ensure_ascii=False)
                    for row in conn.execute(text(f'SELECT * FROM "{table}"'))]
    return "\n".join(out)


COMMANDS = [  # (command, text): every subcommand word, each followed by the numbers
    ("/hazard", "help"), ("/hazard", "status"), ("/hazard", "mine"), ("/hazard", "lang"), ("/hazard", "状态"),
    ("/hazard", ""),  # the rest is a new report's description: the form opens prefilled
    ("/incident", "help"), ("/incident", ""),
    ("/plan", ""), ("/plan", "fire"),
    ("/risk", ""), ("/risk", "add"), ("/risk", "observe"), ("/risk", "review"), ("/risk", "评审"),
    ("/safeshift", "schedule"), ("/safeshift", ""), ("/safeshift", "help"),
    ("/drill", ""), ("/drill", "list"), ("/drill", "move 1"), ("/drill", "evaluate"), ("/drill", "help"),
]


def test_numbers_typed_into_any_command_or_mention_word_never_come_back_in_clear(nbot):
    bot = nbot
    answers: list = []
    bot.report("U0AGENT1", level=2, description="loose cable under desk 12", location="row 3")
    ts = card_ts(bot)
    for name, words in COMMANDS:
        for user in ("U0HEAD", "U0AGENT1", "U0STRANGER"):
            command(bot, user, name, f"{words} {SECRET}".strip(), answers)
    # every word a mention understands, in both languages, and words it does not: by a responder and a stranger
    words = sorted({w for w, _ in thread._words()}) + ["", "dance"]
    for word in words:
        for user in ("U0STRANGER", "U0SUPA"):
            now = f"{time.time():.6f}"
            for kind in ("message", "app_mention"):
                status, _ = bot.event({"type": kind, "channel": "C0SAFETY", "user": user, "ts": now,
                                       "text": f"<@UBOT> {word} {SECRET}", "thread_ts": ts, "event_ts": now,
                                       "channel_type": "channel"})
                assert status == 200
    # a mention outside any card's thread
    now = f"{time.time():.6f}"
    bot.event({"type": "app_mention", "channel": "C0TEAMA", "user": "U0AGENT1", "ts": now, "event_ts": now,
               "text": f"<@UBOT> status {SECRET}"})
    sent = everything_sent(bot, answers)
    assert not leaks(sent), [m.start() for m in re.finditer(MOBILE, sent)][:3] and sent[:0]
    assert MASKED[0] in sent and MASKED[1] in sent  # the words arrived, masked
    assert bot.fake.of("views.open")  # the prefilled forms were searched too
    unknown = [c.params for c in bot.fake.of("chat.postMessage") + bot.fake.of("chat.postEphemeral")
               if "110***********002X" in json.dumps(c.params, ensure_ascii=False)]
    assert unknown  # the "I do not know …" answer was given, and masked
    rows = all_rows(bot)  # the operation log and the thread's timeline keep the words masked too
    assert not leaks(rows), leaks(rows)


def rect_submit(bot, user, number, step, **values):
    status, body = bot.submit(user, values, callback_id=ids.RECT_VIEW,
                              private_metadata=json.dumps({"number": number, "step": step}))
    assert status == 200, body
    return body


def test_what_people_type_is_stored_with_the_numbers_masked(nbot):
    """Hazard, incident, thread reply, resolution, rectification (plan, send back, extension, completion,
    verification), risk and observation, drill evaluation: every text field is stored masked."""
    bot = nbot
    bot.report("U0AGENT1", level=2, description=f"cord {SECRET}", location=f"desk near {MOBILE}")
    ts = card_ts(bot)
    with session_scope(bot.ctx.engine) as s:
        number = s.execute(select(Report.number)).scalar_one()
    status, _ = bot.event({"type": "message", "channel": "C0SAFETY", "user": "U0SUPA", "ts": f"{time.time():.6f}",
                           "text": f"on it {SECRET}", "thread_ts": ts, "channel_type": "channel"})
    # incident form
    status, body = bot.submit("U0AGENT1", {"category": "fire", "level": "3", "description": f"smoke {SECRET}",
                                           "location": f"B2 {MOBILE}", "affected": SECRET, "actions": SECRET},
                              callback_id=ids.INCIDENT_VIEW)
    assert status == 200 and body.get("response_action") == "update", body
    # rectification: assess, plan, send back, plan again, approve, extension, complete, fail
    bot.click("U0SUPA", ids.RECT_START_ACTION, number)
    assert rect_submit(bot, "U0SUPA", number, "assess", likelihood="high", impact="general") == ""
    target = "2026-12-10"
    assert rect_submit(bot, "U0SUPA", number, "plan", measures=SECRET, resources=SECRET, target=target) == ""
    assert rect_submit(bot, "U0HEAD", number, "send_back", comment=SECRET) == ""
    assert rect_submit(bot, "U0SUPA", number, "plan", measures=SECRET, resources=SECRET, target=target) == ""
    bot.click("U0DEPUTY", ids.RECT_APPROVE_ACTION, number)
    assert rect_submit(bot, "U0SUPA", number, "extension", reason=SECRET, new_date="2026-12-10") == ""
    assert rect_submit(bot, "U0SUPA", number, "complete", completion=SECRET) == ""
    assert rect_submit(bot, "U0OFFICER", number, "verify_fail", reason=SECRET) == ""
    # the register
    for kind, values in (("risk", {"description": SECRET, "likelihood": "high", "impact": "general",
                                   "controls": SECRET}), ("observation", {"description": SECRET, "location": SECRET})):
        status, body = bot.submit("U0OFFICER", values, callback_id=ids.RISK_VIEW,
                                  private_metadata=json.dumps({"kind": kind}))
        assert status == 200 and body.get("response_action") == "update", body
    # the hazard resolved with a note
    status, body = bot.submit("U0SUPA", {"note": f"fixed {SECRET}"}, callback_id=ids.RESOLVE_VIEW,
                              private_metadata=json.dumps({"number": number}))
    assert status == 200, body
    rows = all_rows(bot)
    assert not leaks(rows), leaks(rows)
    assert rows.count("138****5678") >= 10  # the texts were stored, masked
    sent = everything_sent(bot, [])
    assert not leaks(sent)


# --------------------------------------------------------------------------- the log at DEBUG
def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _post(port: int, fields: dict) -> int:
    body = urllib.parse.urlencode(fields)
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body)}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers)
    with urllib.request.urlopen(req, timeout=15) as resp:
        resp.read()
        return resp.status


def test_at_debug_the_log_holds_no_personal_number_and_no_slack_library_debug_line(tmp_path, db_url, fake_slack):
    org = tmp_path / "org.yaml"
    from tests.conftest import ORG_YAML

    org.write_text(ORG_YAML)
    port = _free_port()
    env = dict(os.environ, SLACK_BOT_TOKEN="xoxb-test-token", SLACK_SIGNING_SECRET=SIGNING_SECRET,
               SLACK_API_URL=fake_slack.url, DATABASE_URL=db_url, SAFESHIFT_CONFIG=str(org),
               SAFESHIFT_LOG_LEVEL="DEBUG", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port",
                             str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except Exception:  # noqa: BLE001 - not up yet
                if proc.poll() is not None or time.time() > deadline:
                    proc.kill()  # a process still running would hold stderr open: read() would never return
                    raise AssertionError(proc.communicate()[1]) from None
                time.sleep(0.2)
        for name, words in (("/hazard", "status"), ("/plan", ""), ("/risk", "review"), ("/hazard", "")):
            assert _post(port, {"token": "legacy", "team_id": "T1", "channel_id": "C0TEAMA", "user_id": "U0HEAD",
                                "command": name, "text": f"{words} {SECRET}", "api_app_id": "A1",
                                "response_url": f"{fake_slack.base}/hooks/x", "trigger_id": "trig-1"}) == 200
        fake_slack.wait_for(lambda c: c.method == "views.open")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            _, log = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, log = proc.communicate()
    assert " DEBUG " in log  # the level took effect for SafeShift's own loggers
    assert not leaks(log), [line for line in log.splitlines() if leaks(line)][:3]
    slack_debug = [line for line in log.splitlines() if re.search(r" DEBUG (slack_bolt|slack_sdk|app\.py:|\S+\.py:)",
                                                                   line)]
    assert not slack_debug, slack_debug[:3]


# --------------------------------------------------------------------------- rows written before: the migration
def test_the_migration_masks_the_numbers_already_stored(tmp_path, db_url, engine):
    """Rows stored in clear before revision 0010 are masked by `safeshift db upgrade`; ids, keys and dates stay."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from storage.db import alembic_config
    from storage.models import AuditEvent, Drill, OutboxMessage, RectItem, Risk

    with session_scope(engine) as s:
        report = Report(kind="hazard", number="HZ-2026-00001", year=2026, seq=1, source_key="V1", category="fire",
                        level=2, reporter_id="U0AGENT1", description=SECRET, location=f"near {MOBILE}",
                        suggestion=SECRET, reported_at=T0, respond_due_at=T0, resolve_due_at=T0, investigation={"cause": SECRET, "by": "U0HEAD"})
        s.add(report)
        s.flush()
        s.add(AuditEvent(at=T0, actor="U0SUPA", action="comment", report_id=report.id, note=SECRET,
                         after={"ts": "1733300000.123456", "text": SECRET}))
        s.add(RectItem(report_id=report.id, likelihood="high", impact="general", risk="medium", accountable="U0SUPA",
                       assigned="U0SUPA", created_at=T0, created_by="U0SUPA",
                       plan={"measures": SECRET, "resources": "tray", "target": "2026-12-10"}, completion=SECRET))
        s.add(Risk(kind="risk", description=SECRET, controls=SECRET, created_at=T0, created_by="U0OFFICER"))
        s.add(Drill(kind="fire", period="2026-09", planned_at=T0, problems=[SECRET, "exit blocked"], summary=SECRET,
                    created_at=T0))
        s.add(OutboxMessage(method="chat.postMessage", ordering_key="C0SAFETY", created_at=T0, next_attempt_at=T0,
                            payload={"channel": "C0SAFETY", "text": SECRET, "blocks": [
                                {"type": "section", "text": {"type": "mrkdwn", "text": SECRET}}]}))
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    before = ScriptDirectory.from_config(cfg).get_revision("0010").down_revision
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.stamp(cfg, before)  # as if the database had been written before 0010
        conn.commit()
    assert leaks(all_rows_of(engine))
    # Migration 0010 itself, on the database as it was (the later migrations add tables and columns that this
    # database, made from today's models, already has); then the database is at the newest revision again.
    with engine.connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0010")
        conn.commit()
        command.stamp(cfg, "heads")
        conn.commit()
    rows = all_rows_of(engine)
    assert not leaks(rows), leaks(rows)
    assert "110***********002X" in rows and "1733300000.123456" in rows and "2026-12-10" in rows
    with session_scope(engine) as s:
        assert s.execute(select(Report.location)).scalar_one() == "near 138****5678"
        assert s.execute(select(Drill.problems)).scalar_one()[1] == "exit blocked"
        assert s.execute(select(OutboxMessage.payload)).scalar_one()["channel"] == "C0SAFETY"
