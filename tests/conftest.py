"""Shared fixtures: a fresh database (SQLite, or PostgreSQL via SAFESHIFT_TEST_DATABASE_URL),
a recording fake Slack Web API, and the bot serving real signed HTTP in this process."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import json
import os
import sqlite3
import threading
import time
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from bot import compose
from bot.orgfile import parse_org
from bot.settings import load_settings
from storage.db import make_engine, upgrade
from tests.fakeslack import FakeSlack
from tests.slackschema import assert_valid_message, assert_valid_view

compose.install()  # the product's kinds, as every entry point installs them (bot/compose.py)


def without_jobs_of(monkeypatch, *names: str) -> None:
    """Install the product's kinds with the jobs of `names` left out, for this test only (their timers still fire):
    a restart's catch-up runs every job, and the other kinds' jobs are not under test."""
    import dataclasses

    from bot import registry

    kinds = [dataclasses.replace(k, jobs=()) if k.name in names else k for k in compose.KINDS]
    monkeypatch.setattr(registry, "_installed", registry.Registry(kinds))

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
# A PostgreSQL server to test on: each run creates its own database there (`_pg_database`).
PG_URL = os.environ.get("SAFESHIFT_TEST_DATABASE_URL")

ORG_YAML = """
timezone: Asia/Shanghai
locale: zh-CN
channels: {safety: C0SAFETY, leadership: C0LEAD}
people:
  department_head: [U0HEAD]
  deputy: [U0DEPUTY]
  safety_officer: [U0OFFICER]
  it: [U0IT]
  security: [U0SEC]
teams:
  - {name: Hotline A, channel: C0TEAMA, supervisors: [U0SUPA], members: [U0AGENT1, U0AGENT2]}
  - {name: Hotline B, channel: C0TEAMB, supervisors: [U0SUPB], members: [U0AGENT3]}
"""


_PARSED: dict[str, object] = {}  # organisation text → its parse, never handed out (each test gets a deep copy)


def org_from(extra_policy: str = "", base: str = ORG_YAML, **replace):
    """The organisation of `base` with `extra_policy`. A text seen before in this worker is not parsed again
    (0.2–0.3 s, mostly PyYAML reading the default policy and question bank): a deep copy of its first parse is
    returned (~3 ms). A text naming a file (a question bank, a file name) is always parsed: the file may have changed."""
    text_ = base
    for k, v in replace.items():
        text_ = text_.replace(k, v)
    if extra_policy:
        text_ += "policy:\n" + "\n".join("  " + line for line in extra_policy.strip("\n").splitlines()) + "\n"
    if any(word in text_ for word in ("bank", ".yaml", ".yml", ".csv", ".json", ".txt")):
        return parse_org(text_, "test-org.yaml")
    if text_ not in _PARSED:
        _PARSED[text_] = parse_org(text_, "test-org.yaml")
    return copy.deepcopy(_PARSED[text_])


_PG_TABLES: dict[str, list[str]] = {}  # database name → its tables (the schema is made once per run)
_USED_SEQUENCES = ("SELECT setval(format('%I.%I', schemaname, sequencename)::regclass, 1, false) FROM pg_sequences "
                   "WHERE schemaname = 'public' AND last_value IS NOT NULL")


def _truncate_pg(engine) -> None:
    """Empty every table of the run's own database (never the database the URL names), and start its sequences
    again, as TRUNCATE … RESTART IDENTITY of every table did.

    Only the tables holding rows are emptied, by DELETE with the foreign-key triggers off for this transaction
    (all of them go, so no reference is left dangling): measured on CI's 2 cores, ~10–50 ms where TRUNCATE of all
    24 tables took ~0.9 s, before every PostgreSQL test.
    """
    assert engine.url.database.startswith(PG_DATABASE_PREFIX), engine.url
    tables = _PG_TABLES.get(engine.url.database)
    with engine.begin() as conn:
        if tables is None:
            tables = _PG_TABLES[engine.url.database] = [r[0] for r in conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname='public' AND tablename <> 'alembic_version'"))]
        probe = " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
        filled = [r[0] for r in conn.execute(text(probe))] if tables else []
        if filled:
            try:
                with conn.begin_nested():
                    conn.exec_driver_sql("SET LOCAL session_replication_role = replica; "
                                         + " ".join(f'DELETE FROM "{t}";' for t in filled))
            except DBAPIError:  # not a superuser: TRUNCATE what holds rows (and what refers to it)
                conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in filled) + " RESTART IDENTITY CASCADE"))
        conn.execute(text(_USED_SEQUENCES))


PG_DATABASE_PREFIX = "safeshift_test_"


def _pg_server_url():
    url = make_url(PG_URL)
    return url.set(drivername="postgresql+psycopg") if url.drivername == "postgresql" else url


def _pg_admin_engine():
    """Autocommit engine on the server of SAFESHIFT_TEST_DATABASE_URL (CREATE/DROP DATABASE need it)."""
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    return create_engine(_pg_server_url(), isolation_level="AUTOCOMMIT", poolclass=NullPool,
                         connect_args={"connect_timeout": 5})


@pytest.fixture(scope="session")
def _pg_database():
    """PostgreSQL runs: a database of this run's own (one per xdist worker), migrated once, dropped at the end.

    The database SAFESHIFT_TEST_DATABASE_URL names is only connected to, to create and drop ours:
    nothing in it is dropped or truncated. A random name keeps simultaneous runs apart.
    """
    if not PG_URL:
        yield None
        return
    name = f"{PG_DATABASE_PREFIX}{os.getpid()}_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = _pg_server_url().set(database=name).render_as_string(hide_password=False)
    try:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        if url in _PG_ENGINES:
            _PG_ENGINES.pop(url).dispose()
        with admin.connect() as conn:  # WITH (FORCE): a connection a failed test left open does not keep it alive
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    """SQLite runs: the migrated schema, made once per xdist worker; each test gets a copy (migrating a new file
    took 0.5–3 s a test)."""
    path = tmp_path_factory.mktemp("schema") / "safeshift.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


_PG_ENGINES: dict[str, object] = {}  # one engine per worker database, to empty it before each test


@pytest.fixture
def db_url(request, tmp_path, _pg_database) -> str:
    """A migrated, empty database for this test."""
    if _pg_database:
        engine = _PG_ENGINES.get(_pg_database)
        if engine is None:
            engine = _PG_ENGINES[_pg_database] = make_engine(_pg_database)
        _truncate_pg(engine)
        return _pg_database
    path = tmp_path / "safeshift.db"
    with sqlite3.connect(request.getfixturevalue("_sqlite_template")) as template, sqlite3.connect(path) as copy:
        template.backup(copy)  # the schema and Alembic's version: the runtime's upgrade finds nothing to do
    template.close()
    copy.close()
    return f"sqlite:///{path}"


@pytest.fixture
def engine(db_url):
    e = make_engine(db_url)
    upgrade(e)
    yield e
    e.dispose()


@pytest.fixture
def org():
    return org_from()


@pytest.fixture
def fake_slack():
    fake = FakeSlack()
    yield fake
    fake.close()
    # Whatever the bot sent to Slack must be what Slack accepts.
    for call in fake.calls:
        if call.method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            assert_valid_message(call.params)
            sent = json.dumps(call.params, ensure_ascii=False)
            for broadcast in ("<!channel", "<!here", "<!everyone", "<!subteam"):
                assert broadcast not in sent, f"{call.method} would ping a whole channel: {sent[:300]}"
        if call.method in ("views.open", "views.update", "views.push", "views.publish"):
            assert_valid_view(call.params["view"])


def sign(body: str, timestamp: int | None = None, secret: str = SECRET) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    base = f"v0:{ts}:{body}".encode()
    sig = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


def actions_payload(user: str, action_id: str, value, channel: str = "C0SAFETY", message_ts: str = "1.0",
                    block_id: str = "hazard_actions", state: dict | None = None) -> dict:
    """A block_actions payload as Slack sends it for a button click on a message (`state`: the message's input
    elements, e.g. `checkbox_state(...)`, sent with the click)."""
    payload = {
        "type": "block_actions", "team": {"id": "T1", "domain": "acme"},
        "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T1"},
        "api_app_id": "A1", "token": "legacy", "trigger_id": f"trig-{uuid.uuid4().hex[:8]}",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
        "channel": {"id": channel, "name": "directmessage" if channel.startswith("D") else "safety"},
        "message": {"type": "message", "ts": message_ts, "text": "card", "blocks": []},
        "response_url": "http://127.0.0.1:9/actions",
        "actions": [{"action_id": action_id, "block_id": block_id, "value": value, "type": "button",
                     "text": {"type": "plain_text", "text": "x"}, "action_ts": str(time.time())}],
        "is_enterprise_install": False,
    }
    if state is not None:
        payload["state"] = state
    return payload


def checkbox_state(ticked, block_id: str = "task_items", action_id: str = "task_items") -> dict:
    """The `state` of a message whose checkboxes have `ticked` (option values) ticked."""
    return {"values": {block_id: {action_id: {"type": "checkboxes", "selected_options": [
        {"text": {"type": "plain_text", "text": k}, "value": k} for k in ticked]}}}}


class Bot:
    """The bot in HTTP mode on a free local port, with helpers that speak Slack's payload shapes."""

    def __init__(self, runtime, server, fake: FakeSlack):
        self.runtime = runtime
        self.server = server
        self.fake = fake
        self.ctx = runtime.ctx
        self.port = server.effective_port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def post(self, body: str, content_type: str, headers: dict | None = None, signed: bool = True,
             timestamp: int | None = None, path: str = "/slack/events"):
        h = {"Content-Type": content_type}
        if signed:
            h.update(sign(body, timestamp))
        h.update(headers or {})
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=body.encode(), headers=h,
                                     method="POST")
        try:
            with urllib.request.urlopen(req, timeout=15) as resp:
                raw = resp.read().decode()
                return resp.status, (json.loads(raw) if raw.strip().startswith("{") else raw)
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def form(self, fields: dict, **kw):
        return self.post(urllib.parse.urlencode(fields), "application/x-www-form-urlencoded", **kw)

    def interactive(self, payload: dict, **kw):
        return self.form({"payload": json.dumps(payload)}, **kw)

    def slash(self, user: str, text: str = "", channel: str = "C0TEAMA", **kw):
        return self.form({
            "token": "legacy", "team_id": "T1", "team_domain": "acme", "channel_id": channel,
            "channel_name": "hotline-a", "user_id": user, "user_name": user.lower(), "command": "/hazard",
            "text": text, "api_app_id": "A1", "is_enterprise_install": "false",
            "response_url": "http://127.0.0.1:9/hooks", "trigger_id": f"trig-{uuid.uuid4().hex[:10]}",
        }, **kw)

    def submit(self, user: str, values: dict, view_id: str | None = None, callback_id: str = "hazard_report",
               private_metadata: str = "{}", **kw):
        state = {}
        for block_id, v in values.items():
            if block_id == "level":
                state[block_id] = {"value": {"type": "radio_buttons", "selected_option": None if v is None else {
                    "text": {"type": "plain_text", "text": str(v)}, "value": str(v)}}}
            elif block_id == "category":
                state[block_id] = {"value": {"type": "static_select", "selected_option": None if v is None else {
                    "text": {"type": "plain_text", "text": str(v)}, "value": str(v)}}}
            elif block_id == "photos":
                state[block_id] = {"value": {"type": "file_input", "files": v}}
            else:
                state[block_id] = {"value": {"type": "plain_text_input", "value": v}}
        view_id = view_id or f"V{uuid.uuid4().hex[:10].upper()}"
        payload = {
            "type": "view_submission", "team": {"id": "T1", "domain": "acme"},
            "user": {"id": user, "username": user.lower(), "name": user.lower(), "team_id": "T1"},
            "api_app_id": "A1", "token": "legacy", "trigger_id": f"trig-{uuid.uuid4().hex[:8]}",
            "view": {"id": view_id, "team_id": "T1", "type": "modal", "callback_id": callback_id,
                     "private_metadata": private_metadata, "hash": "h1", "blocks": [],
                     "title": {"type": "plain_text", "text": "x"},
                     "state": {"values": state}, "app_id": "A1", "bot_id": "BBOT"},
            "response_urls": [], "is_enterprise_install": False,
        }
        return self.interactive(payload, **kw)

    def report(self, user: str = "U0AGENT1", level: int = 2, category: str = "electrical",
               description: str = "exposed power cord under desk 12", location: str = "row 3 desk 12", **kw):
        status, body = self.submit(user, {"level": level, "category": category, "description": description,
                                          "location": location, "suggestion": None}, **kw)
        assert status == 200, body
        return body

    def click(self, user: str, action_id: str, value: str, channel: str = "C0SAFETY", message_ts: str = "1.0", **kw):
        return self.interactive(actions_payload(user, action_id, value, channel, message_ts), **kw)

    def event(self, event: dict, event_id: str | None = None, headers: dict | None = None, **kw):
        body = {
            "token": "legacy", "team_id": "T1", "api_app_id": "A1", "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}", "event_time": int(time.time()),
            "event": event, "authorizations": [{"team_id": "T1", "user_id": "UBOT", "is_bot": True}],
        }
        return self.post(json.dumps(body), "application/json", headers=headers, **kw)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until the outbox has nothing left to send right now."""
        from sqlalchemy import select

        from storage.db import session_scope
        from storage.models import OutboxMessage

        deadline = time.time() + timeout
        while time.time() < deadline:
            with session_scope(self.ctx.engine) as s:
                busy = s.execute(select(OutboxMessage.id).where(OutboxMessage.status.in_(("pending", "sending")))
                                 .limit(1)).first()
            if busy is None:
                return
            time.sleep(0.02)
        raise AssertionError("outbox did not drain")


def wait_until(predicate, timeout: float = 15.0, what: str = "the condition") -> None:
    """Wait for an event that proves the system has moved past a point (a later message, a processed marker),
    instead of sleeping and asserting that nothing happened meanwhile."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def outbox_settled(engine) -> bool:
    """No outbox row waiting or in flight in any process: nothing more can reach Slack from what was queued."""
    from sqlalchemy import select

    from storage.db import session_scope
    from storage.models import OutboxMessage

    with session_scope(engine) as s:
        return s.execute(select(OutboxMessage.id).where(OutboxMessage.status.in_(("pending", "sending")))
                         .limit(1)).first() is None


def make_settings(db_url: str, fake_url: str, **extra):
    env = {"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SLACK_API_URL": fake_url,
           "DATABASE_URL": db_url, "SAFESHIFT_CONFIG": "unused.yaml", "SAFESHIFT_CHANNEL_INTERVAL": 0}
    env.update(extra)
    return load_settings(_env_file=None, **env)


def start_bot(db_url: str, fake: FakeSlack, org, clock=None, background: bool = True, **settings_extra) -> Bot:
    from waitress import create_server

    from bot.app import Runtime

    settings = make_settings(db_url, fake.url, **settings_extra)
    runtime = Runtime(settings, org, clock=clock, register=compose.register_listeners)
    if background:
        runtime.start_background()
    server = create_server(runtime.wsgi(), host="127.0.0.1", port=0, threads=8)
    def serve():
        try:
            server.run()
        except OSError:  # the socket map closes under the loop when the test stops the server
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    bot = Bot(runtime, server, fake)
    bot._thread = thread
    return bot


def stop_bot(bot: Bot) -> None:
    bot.server.close()
    bot.runtime.stop()
    bot.runtime.engine.dispose()


@pytest.fixture
def bot(db_url, fake_slack, org):
    b = start_bot(db_url, fake_slack, org)
    yield b
    stop_bot(b)


@pytest.fixture
def utc():
    return lambda *a: dt.datetime(*a, tzinfo=dt.timezone.utc)


ROOT = Path(__file__).resolve().parents[1]


def touches_storage(item) -> bool:
    """Does this test reach the database under test? Through the `db_url` fixture (every database fixture
    stands on `_pg_database`), or marked `storage` (a test that makes its own database on the server)."""
    return "_pg_database" in getattr(item, "fixturenames", ()) or item.get_closest_marker("storage") is not None


def pytest_collection_modifyitems(items):
    """Tests marked `waits` (minutes on the real clock, little CPU) go first: with several workers the rest of
    the suite runs beside them instead of after them.

    A PostgreSQL run skips what never touches storage (rendering, catalogs, architecture, manifest, policy
    parsing, the sandbox's and the wheel's own SQLite stores): it gives the same answer on both engines, and the
    SQLite run (CI runs both) has it."""
    items.sort(key=lambda item: item.get_closest_marker("waits") is None)
    if PG_URL:
        once = pytest.mark.skip(reason="touches no database: the SQLite run tries it")
        for item in items:
            if not touches_storage(item):
                item.add_marker(once)
