"""The first hour, as a new user meets it (#20): `safeshift serve` and `safeshift sandbox` that cannot start say
why in one line (the port, the setting), exit non-zero and print no traceback; a start that works is quiet
(libraries at WARNING, no note from Bolt about SLACK_BOT_TOKEN)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import ORG_YAML, ROOT, SECRET, TOKEN
from tests.fakeslack import FakeSlack, Scripted

APP_TOKEN = "xapp-1-A0SANDBOX-1234-abcdef"


@pytest.fixture
def env(tmp_path, monkeypatch):
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)  # no .env of the checkout
    org = tmp_path / "org.yaml"
    org.write_text(ORG_YAML, encoding="utf-8")
    e = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SAFESHIFT_", "DATABASE_URL"))}
    e.update({"SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, "SAFESHIFT_CONFIG": str(org),
              "DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}", "SLACK_API_URL": "http://127.0.0.1:9/api/",
              "SAFESHIFT_LOG_LEVEL": "INFO",
              "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])})
    return e


@pytest.fixture
def busy_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def run(args, env, timeout=60):
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def one_line(r) -> str:
    assert r.returncode != 0, r.stderr[-3000:]
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr[-3000:]
    assert lines[0].startswith("safeshift: error: ")
    return lines[0]


def test_serve_on_a_busy_port_says_so_and_suggests_another(env, busy_port):
    line = one_line(run(["serve", "--http", "--host", "127.0.0.1", "--port", str(busy_port)], env))
    assert f"port {busy_port}" in line and "busy" in line and "--port" in line


def test_sandbox_on_a_busy_port_says_so_and_suggests_another(env, busy_port):
    line = one_line(run(["sandbox", "--port", str(busy_port)], env))
    assert f"port {busy_port}" in line and "busy" in line and "--port" in line


def test_a_bot_token_slack_refuses_stops_serve_naming_the_setting(env):
    fake = FakeSlack(strict=True, token="xoxb-the-right-one")  # our TOKEN is refused: invalid_auth
    try:
        line = one_line(run(["serve", "--http", "--port", "0"], dict(env, SLACK_API_URL=fake.url)))
    finally:
        fake.close()
    assert "SLACK_BOT_TOKEN" in line and "invalid_auth" in line
    assert [c.method for c in fake.calls] == ["auth.test"]


def test_socket_mode_with_slack_out_of_reach_stops_naming_the_url(env):
    line = one_line(run(["serve"], dict(env, SLACK_APP_TOKEN=APP_TOKEN)))
    assert "SLACK_API_URL" in line and "127.0.0.1:9" in line


def test_socket_mode_with_an_app_token_slack_refuses_names_the_setting(env):
    fake = FakeSlack()
    fake.script("apps.connections.open", Scripted(body={"ok": False, "error": "invalid_auth"}))
    try:
        line = one_line(run(["serve"], dict(env, SLACK_APP_TOKEN=APP_TOKEN, SLACK_API_URL=fake.url)))
    finally:
        fake.close()
    assert "SLACK_APP_TOKEN" in line and "invalid_auth" in line


def test_a_first_start_is_quiet_at_info(env):
    """~110 INFO lines (62 from APScheduler) and Bolt's token note before: now SafeShift's own few lines."""
    fake = FakeSlack()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve", "--http", "--host", "127.0.0.1", "--port",
                             str(port)], env=dict(env, SLACK_API_URL=fake.url), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 30
        while True:
            assert proc.poll() is None, proc.stderr.read()
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                assert time.time() < deadline
                time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=20)
        fake.close()
    assert proc.returncode == 0, err[-3000:]
    lines = err.strip().splitlines()
    assert any("SafeShift serving" in line for line in lines) and any("SafeShift stopped" in line for line in lines)
    libraries = [line for line in lines if any(f" {name}" in line for name in
                                               ("apscheduler", "slack_bolt", "slack_sdk", "urllib3", "waitress"))]
    assert libraries == [], libraries
    assert "will be ignored" not in err and "will be unused" not in err
    others = [line for line in lines if not line.split(" ", 4)[3].startswith("safeshift")]
    assert others == [], others  # SafeShift's own lines only


def test_a_missing_installation_file_is_named_in_one_line(env, monkeypatch, capsys):
    from bot import cli, orgfile

    for name in list(os.environ):
        if name.startswith(("SLACK_", "SAFESHIFT_", "DATABASE_URL")):
            monkeypatch.delenv(name)
    for name, value in env.items():
        if name.startswith(("SLACK_", "SAFESHIFT_", "DATABASE_URL")):
            monkeypatch.setenv(name, value)
    gone = ROOT / "bot" / "plans_default.missing.yaml"
    monkeypatch.setattr(orgfile, "DEFAULT_PLANS_PATH", gone)
    assert cli.main(["check"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and str(gone) in lines[0] and "missing" in lines[0], lines
