"""Real `safeshift` processes: start-up contracts, and two `serve` processes sharing one database.

Every process runs in the test's own temporary folder (never the checkout, where a developer's
`.env` would leak in) with the checkout on PYTHONPATH and every setting passed explicitly.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from zoneinfo import ZoneInfo

import pytest
import yaml

from tests.conftest import ORG_YAML, ROOT, SECRET, TOKEN, outbox_settled, sign, wait_until
from tests.slackschema import manifest_errors

FAST = """
policy:
  hazard:
    levels:
      2: {respond_within: 2s, resolve_within: 1h, ignore_working_hours: true}  # the real clock: any hour
  escalation:
    acknowledge:
      - {after: 0s, notify: [responders], via: [thread, dm]}
      - {after: 1s, notify: [deputy, safety_officer], via: [thread, dm]}
      - {after: 2s, notify: [department_head, leadership_channel], via: [thread, dm, channel]}
  schedule:
    daily_digest: "%s"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_cli(args, env, timeout=60):
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


@pytest.fixture(autouse=True)
def _outside_the_checkout(tmp_path, monkeypatch):
    """Processes start in an empty folder: a `.env` in the checkout must not change what they see."""
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def base_env(tmp_path, db_url):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SAFESHIFT_", "DATABASE_URL"))}
    env.update({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "DATABASE_URL": db_url,
                "SLACK_API_URL": "http://127.0.0.1:9/api/", "SAFESHIFT_LOG_LEVEL": "WARNING",
                "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])})
    org = tmp_path / "org.yaml"
    org.write_text(ORG_YAML, encoding="utf-8")
    env["SAFESHIFT_CONFIG"] = str(org)
    return env


def test_a_missing_setting_stops_start_up_with_one_line(base_env):
    env = dict(base_env)
    del env["SLACK_SIGNING_SECRET"]
    r = run_cli(["serve", "--http", "--port", str(free_port())], env)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "SLACK_SIGNING_SECRET" in lines[0]


def test_an_invalid_organisation_file_names_path_and_line(base_env, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("channels: {safety: C0123}\nteams:\n  - {name: A, supervisors: [bob]}\n", encoding="utf-8")
    r = run_cli(["serve", "--http"], dict(base_env, SAFESHIFT_CONFIG=str(bad)))
    assert r.returncode == 2
    assert f"{bad}:3:" in r.stderr and "bob" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_manifest_command_prints_valid_yaml(base_env):
    r = run_cli(["manifest"], base_env)
    assert r.returncode == 0
    assert not manifest_errors(yaml.safe_load(r.stdout))


def test_db_upgrade_and_digest_dry_run(base_env):
    assert run_cli(["db", "upgrade"], base_env).returncode == 0
    r = run_cli(["digest", "--dry-run", "--team", "Hotline A"], base_env)
    assert r.returncode == 0, r.stderr
    assert "C0TEAMA" in r.stdout and "Hotline A" in r.stdout
    r = run_cli(["digest", "--dry-run", "--team", "Nobody"], base_env)
    assert r.returncode == 2 and "Nobody" in r.stderr


def _installed_yesterday(env) -> None:
    """Migrate, and date the installation a day back, so a digest due minutes ago is made up at start."""
    from bot.jobs import INSTALLED, INSTALLED_KEY
    from storage.db import make_engine, session_scope
    from storage.models import JobRun

    assert run_cli(["db", "upgrade"], env).returncode == 0
    engine = make_engine(env["DATABASE_URL"])
    try:
        with session_scope(engine) as s:
            yesterday = dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=1)
            s.add(JobRun(job=INSTALLED, scheduled_for=INSTALLED_KEY, started_at=yesterday, finished_at=yesterday))
    finally:
        engine.dispose()


def _wait_installed(db_url, proc, timeout=30):
    from bot.jobs import INSTALLED, INSTALLED_KEY
    from storage.db import make_engine, session_scope
    from storage.models import JobRun

    engine = make_engine(db_url)
    try:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"exited: {proc.stderr.read()[-3000:]}")
            try:
                with session_scope(engine) as s:
                    if s.get(JobRun, (INSTALLED, INSTALLED_KEY)) is not None:
                        return
            except Exception:  # noqa: BLE001 - not migrated yet
                pass
            time.sleep(0.1)
        raise AssertionError("the installation was not recorded")
    finally:
        engine.dispose()


def _wait_healthy(port, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited: {proc.stderr.read()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("serve did not become healthy")


def _post_view(port, user, view_id, timestamp=None, location="server room"):
    state = {"level": {"value": {"type": "radio_buttons", "selected_option": {"value": "2"}}},
             "category": {"value": {"type": "static_select", "selected_option": {"value": "fire"}}},
             "description": {"value": {"type": "plain_text_input", "value": "smoke from the UPS"}},
             "location": {"value": {"type": "plain_text_input", "value": location}}}
    payload = {"type": "view_submission", "user": {"id": user}, "team": {"id": "T1"}, "api_app_id": "A1",
               "view": {"id": view_id, "type": "modal", "callback_id": "hazard_report", "private_metadata": "{}",
                        "state": {"values": state}}}
    body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    headers = {"Content-Type": "application/x-www-form-urlencoded", **sign(body, timestamp)}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/slack/events", data=body.encode(), headers=headers)
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status, json.loads(resp.read())


def test_two_serve_processes_send_every_notice_and_digest_once(base_env, fake_slack, tmp_path):
    tz = ZoneInfo("Asia/Shanghai")
    digest_at = (dt.datetime.now(tz) - dt.timedelta(minutes=2)).strftime("%H:%M")
    org = tmp_path / "fast.yaml"
    org.write_text(ORG_YAML + FAST % digest_at, encoding="utf-8")
    env = dict(base_env, SAFESHIFT_CONFIG=str(org), SLACK_API_URL=fake_slack.url)
    _installed_yesterday(env)
    ports = [free_port(), free_port()]
    procs = [subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port",
                               str(p)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for p in ports]
    try:
        for port, proc in zip(ports, procs):
            _wait_healthy(port, proc)
        t0 = int(time.time())
        status, answer = _post_view(ports[0], "U0AGENT1", "VPROC1", timestamp=t0)
        assert status == 200 and answer["response_action"] == "update"
        # the same view again at the other replica (a new delivery: newly signed)
        status, again = _post_view(ports[1], "U0AGENT1", "VPROC1", timestamp=t0 - 1)
        assert again["view"] == answer["view"]
        fake_slack.wait_for(lambda c: c.method == "chat.postMessage" and c.params.get("channel") == "C0LEAD", 20)
        # both replicas' senders are done: no outbox row waits or is in flight (a duplicate could only come from one)
        from storage.db import make_engine

        engine = make_engine(env["DATABASE_URL"])
        try:
            wait_until(lambda: outbox_settled(engine), timeout=20, what="both replicas' outbox to settle")
        finally:
            engine.dispose()
        posts = fake_slack.of("chat.postMessage")
        cards = [c for c in posts if c.params.get("channel") == "C0SAFETY" and c.params.get("blocks")
                 and "thread_ts" not in c.params and "hazard_ack" in json.dumps(c.params["blocks"])]
        assert len(cards) == 1
        for user in ("U0SUPA", "U0DEPUTY", "U0OFFICER", "U0HEAD"):
            assert len([c for c in posts if c.params["channel"] == user and "尚未响应" in c.params["text"]]) == 1, user
        assert len([c for c in posts if c.params["channel"] == "C0LEAD"]) == 1
        digests = [c for c in posts if "安全日报" in c.params.get("text", "")]
        assert sorted(c.params["channel"] for c in digests) == ["C0SAFETY", "C0TEAMA", "C0TEAMB"]
        assert len(fake_slack.of("chat.update")) == 1  # the OVERDUE card, once
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_an_unreachable_database_is_one_line_naming_database_url(base_env):
    env = dict(base_env, DATABASE_URL=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nope")
    r = run_cli(["serve", "--http", "--port", str(free_port())], env)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("safeshift: error: DATABASE_URL")


def test_a_new_installation_posts_no_digest_due_before_it(base_env, fake_slack, tmp_path):
    tz = ZoneInfo("Asia/Shanghai")
    digest_at = (dt.datetime.now(tz) - dt.timedelta(minutes=3)).strftime("%H:%M")
    org = tmp_path / "sched.yaml"
    org.write_text(ORG_YAML + f'policy:\n  schedule: {{daily_digest: "{digest_at}"}}\n', encoding="utf-8")
    env = dict(base_env, SAFESHIFT_CONFIG=str(org), SLACK_API_URL=fake_slack.url, SAFESHIFT_LOG_LEVEL="INFO")
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "scheduler"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    try:
        _wait_installed(env["DATABASE_URL"], proc)  # catch-up runs at start, in the same call
        code, err = _stop(proc)
        assert code == 0, err[-3000:]
        assert "not made up: due before this installation" in err, err[-3000:]
        assert not [c for c in fake_slack.of("chat.postMessage") if "安全日报" in c.params.get("text", "")]
        # the working-day calendar is checked at start-up: a warning when the next 12 months are not known
        from bot.workdays import WorkCalendar

        short = bool(WorkCalendar().uncovered(dt.datetime.now(tz).date()))
        assert ("working-day calendar does not know" in err) == short, err[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_the_scheduler_process_alone_posts_a_due_digest_once(base_env, fake_slack, tmp_path):
    tz = ZoneInfo("Asia/Shanghai")
    digest_at = (dt.datetime.now(tz) - dt.timedelta(minutes=3)).strftime("%H:%M")
    org = tmp_path / "sched.yaml"
    org.write_text(ORG_YAML + f'policy:\n  schedule: {{daily_digest: "{digest_at}"}}\n', encoding="utf-8")
    env = dict(base_env, SAFESHIFT_CONFIG=str(org), SLACK_API_URL=fake_slack.url)
    _installed_yesterday(env)
    procs = [subprocess.Popen([sys.executable, "-m", "bot.cli", "scheduler"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        fake_slack.wait_for(lambda c: "安全日报" in str(c.params.get("text")) and c.params.get("channel") == "C0TEAMB",
                            timeout=30)
        time.sleep(2)
        digests = [c for c in fake_slack.of("chat.postMessage") if "安全日报" in c.params.get("text", "")]
        assert sorted(c.params["channel"] for c in digests) == ["C0SAFETY", "C0TEAMA", "C0TEAMB"]
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            code = proc.wait(timeout=15)
            assert code == 0, proc.stderr.read()[-3000:]  # SIGTERM stops it cleanly


def _serve(env, port):
    return subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def _stop(proc, sig=signal.SIGTERM, timeout=10):
    """Send `sig`; the exit code and stderr once it has ended (killed after `timeout` seconds)."""
    proc.send_signal(sig)
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"no exit within {timeout} s of {sig.name}: {proc.stderr.read()[-3000:]}") from None
    return code, proc.stderr.read()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_cleanly_on_sigterm_as_on_ctrl_c(base_env, sig):
    port = free_port()
    proc = _serve(dict(base_env, SAFESHIFT_LOG_LEVEL="INFO"), port)
    try:
        _wait_healthy(port, proc)
        t0 = time.monotonic()
        code, err = _stop(proc, sig)
        assert code == 0, err[-3000:]
        assert time.monotonic() - t0 < 10
        assert "SafeShift stopping" in err and "SafeShift stopped" in err  # runtime.stop() ran
        assert "Traceback" not in err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_filled_in_copy_of_env_example_serves_http_at_its_log_level(base_env):
    """README: `cp .env.example .env`, put the two secrets in, `safeshift serve`."""
    env = {k: v for k, v in base_env.items() if not k.startswith(("SLACK_", "SAFESHIFT_LOG_LEVEL"))}
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    text = text.replace("xoxb-your-bot-token", TOKEN).replace("your-signing-secret", SECRET)
    with open(".env", "w", encoding="utf-8") as f:  # in the process's working folder (a temp dir)
        f.write(text + "SLACK_API_URL=http://127.0.0.1:9/api/\nSAFESHIFT_LOG_LEVEL=error\n")
    port = free_port()
    proc = _serve(env, port)
    try:
        _wait_healthy(port, proc)  # HTTP, not Socket Mode: SLACK_APP_TOKEN is left unset
        code, err = _stop(proc)
        assert code == 0, err[-3000:]
        assert " INFO " not in err and " WARNING " not in err, err[-3000:]  # the level from .env
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize("line,name", [
    ("", "SLACK_BOT_TOKEN"),  # .env.example as it is: placeholders
    ("SLACK_BOT_TOKEN=xoxb-1-2-abc\nSLACK_SIGNING_SECRET=abc\nSLACK_APP_TOKEN=xapp-your-app-token\n",
     "SLACK_APP_TOKEN"),
    ("SLACK_BOT_TOKEN=xoxb-1-2-abc\nSLACK_SIGNING_SECRET=abc\nSAFESHIFT_LOG_LEVEL=chatty\n", "SAFESHIFT_LOG_LEVEL"),
], ids=["env-example-as-is", "app-token-placeholder", "unknown-log-level"])
def test_placeholders_and_a_bad_log_level_stop_start_up_with_one_line(base_env, line, name):
    env = {k: v for k, v in base_env.items() if not k.startswith(("SLACK_", "SAFESHIFT_LOG_LEVEL"))}
    with open(".env", "w", encoding="utf-8") as f:
        f.write((ROOT / ".env.example").read_text(encoding="utf-8") + line)
    r = run_cli(["serve"], env, timeout=30)
    assert r.returncode == 2, r.stderr[-3000:]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"safeshift: error: {name} "), r.stderr[-3000:]
