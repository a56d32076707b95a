"""The built package, as a user installs it (#20): the wheel is built from a copy of the source, installed
NON-editable in a fresh virtualenv outside the repository, and started from an empty folder with nothing of
the checkout on the path: `safeshift --version`, `check` on the example organisation file, `sandbox` until
its page answers, and one signed `/hazard` round trip through `serve --http`.

Every other test installs the project editable, which hides a data file missing from the package (0.1.0's
wheel lacked bot/plans_default.yaml and ended in a traceback). The virtualenv is made once per test session;
pip takes the dependencies from its cache or the configured index.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

import pytest

import bot
from tests.conftest import PG_URL, ROOT, SECRET, TOKEN, sign
from tests.fakeslack import FakeSlack

# mostly waiting on pip and processes: started first, the rest runs beside it. The installed package runs on its own
# SQLite database whatever this run's engine: the SQLite run builds and tries it, the PostgreSQL run does not repeat it.
pytestmark = [pytest.mark.waits,
              pytest.mark.skipif(bool(PG_URL), reason="the installed wheel keeps its own SQLite store: the SQLite run tries it")]

PACKAGES = ("bot", "handlers", "storage", "schedules", "sandbox")
NOT_SOURCE = shutil.ignore_patterns(".venv", ".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                                    ".hypothesis", "artifacts", "out", "*.db", ".env")


def _run(args, timeout=300, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=timeout, **kw)
    assert r.returncode == 0, f"{args}: exit {r.returncode}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def _install(work: Path):
    """(venv's bin folder, the wheel, seconds the build took, seconds the install took)."""
    source = work / "source"  # a copy: no stale build/ of the checkout can slip into the wheel
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    t0 = time.monotonic()
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(work / "dist"), str(source)], cwd=work)
    built = time.monotonic() - t0
    wheel = next((work / "dist").glob("safeshift-*-py3-none-any.whl"))
    venv = work / "venv"
    t0 = time.monotonic()
    _run([sys.executable, "-m", "venv", str(venv)])
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-compile", str(wheel)], cwd=work,
         env=_clean_env())
    return venv / "bin", wheel, built, time.monotonic() - t0


def _clean_env(**extra) -> dict:
    """No settings and nothing of the checkout (PYTHONPATH) in a user's shell."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "SAFESHIFT_", "DATABASE_URL", "PYTHONPATH", "VIRTUAL_ENV"))}
    env.update(extra)
    return env


def test_the_built_wheel_installs_and_starts_outside_the_repository(tmp_path):
    t0 = time.monotonic()
    installed = _install(tmp_path / "wheel")
    outside = tmp_path / "cwd"  # an empty folder to start the installed commands in
    outside.mkdir()
    the_wheel_carries_every_file_the_code_opens(installed)
    the_installed_package_is_the_wheel_not_the_checkout(installed, outside)
    check_accepts_the_example_organisation_file(installed, outside)
    sandbox_starts_and_its_page_answers_with_validation_on(installed, outside)
    serve_answers_a_signed_hazard_command_and_submission(installed, outside, tmp_path)
    print(f"wheel smoke, build to last check: {time.monotonic() - t0:.1f} s")


def the_wheel_carries_every_file_the_code_opens(installed):
    _, wheel, built, _ = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    data = [p.relative_to(ROOT).as_posix() for pkg in PACKAGES for p in (ROOT / pkg).rglob("*")
            if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts]
    missing = sorted(set(data) - names)
    assert not missing, f"package data missing from the wheel (pyproject.toml [tool.setuptools.package-data]): {missing}"
    for needed in ("bot/plans_default.yaml", "bot/policy_default.yaml", "sandbox/schemas/block-kit.schema.json",
                   "sandbox/static/index.html", "storage/migrations/script.py.mako"):
        assert needed in names
    size = wheel.stat().st_size
    print(f"\nwheel {wheel.name}: {size / 1024:.0f} KiB, built in {built:.1f} s")
    assert size < 2 * 1024 * 1024  # nothing stray (a database, a virtualenv) packed in


def the_installed_package_is_the_wheel_not_the_checkout(installed, outside):
    bin_, _, _, took = installed
    r = _run([str(bin_ / "python"), "-c", "import bot, sandbox; print(bot.__file__); print(sandbox.__file__)"],
             cwd=outside, env=_clean_env())
    for line in r.stdout.split():
        assert "site-packages" in line and not line.startswith(str(ROOT)), line
    r = _run([str(bin_ / "safeshift"), "--version"], cwd=outside, env=_clean_env())
    assert r.stdout.strip() == f"safeshift {bot.__version__}"
    r = _run([str(bin_ / "python"), "-c", "from importlib import metadata; print(metadata.version('safeshift'))"],
             cwd=outside, env=_clean_env())
    assert r.stdout.strip() == bot.__version__
    print(f"\nfresh virtualenv and install: {took:.1f} s")


def check_accepts_the_example_organisation_file(installed, outside):
    bin_ = installed[0]
    env = _clean_env(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET,
                     SAFESHIFT_CONFIG=str(ROOT / "safeshift.example.yaml"))
    r = _run([str(bin_ / "safeshift"), "check"], cwd=outside, env=env)
    assert "organisation file" in r.stdout and " ok " in r.stdout, r.stdout
    assert "Traceback" not in r.stderr


def _http(url, data=None, headers=None, timeout=5):
    req = urllib.request.Request(url, data=data, headers=headers or {})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        return resp.status, resp.read()


def _stop(proc) -> tuple[int, str, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        out, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return proc.returncode, out, err


def sandbox_starts_and_its_page_answers_with_validation_on(installed, outside):
    bin_ = installed[0]
    proc = subprocess.Popen([str(bin_ / "safeshift"), "sandbox", "--port", "0", "--lang", "en", "--fast"],
                            cwd=outside, env=_clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        first = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/", first)
        assert url, first + proc.stderr.read() if proc.poll() is not None else first
        status, page = _http(url.group(0))
        assert status == 200 and b"SafeShift sandbox" in page
        state = json.loads(_http(url.group(0) + "sandbox/state")[1])
        assert state["validation"]["on"], state["validation"]  # the schema is in the package, no jsonschema
        assert "site-packages" in state["validation"]["schema"]
        assert "Block Kit validation on" in proc.stdout.readline()
    finally:
        code, out, err = _stop(proc)
    assert code == 0 and "Traceback" not in err, err[-3000:]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_answers_a_signed_hazard_command_and_submission(installed, outside, tmp_path):
    """One /hazard round trip: the command opens the form (views.open), its submission posts the card."""
    bin_ = installed[0]
    fake = FakeSlack()
    port = _free_port()
    env = _clean_env(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET=SECRET, SLACK_API_URL=fake.url,
                     DATABASE_URL=f"sqlite:///{tmp_path / 'wheel.db'}", SAFESHIFT_LOG_LEVEL="WARNING",
                     SAFESHIFT_CONFIG=str(ROOT / "safeshift.example.yaml"), SAFESHIFT_CHANNEL_INTERVAL="0")
    proc = subprocess.Popen([str(bin_ / "safeshift"), "serve", "--http", "--host", "127.0.0.1", "--port", str(port)],
                            cwd=outside, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read()[-3000:]
            try:
                if _http(base + "/healthz", timeout=1)[0] == 200:
                    break
            except OSError:
                assert time.time() < deadline, "serve did not become healthy"
                time.sleep(0.1)
        body = urllib.parse.urlencode({"command": "/hazard", "text": "cable across the aisle", "user_id": "U07AGENT",
                                       "channel_id": "C0789TEAMA", "team_id": "T1", "trigger_id": "1.2.abc",
                                       "response_url": fake.url + "respond"})
        status, _ = _http(base + "/slack/events", body.encode(),
                          {"Content-Type": "application/x-www-form-urlencoded", **sign(body)})
        assert status == 200
        opened = fake.wait_for(lambda c: c.method == "views.open", 10)[0]
        view = opened.params["view"]
        assert view["callback_id"] == "hazard_report" and "cable across the aisle" in json.dumps(view)
        state = {"level": {"value": {"type": "radio_buttons", "selected_option": {"value": "2"}}},
                 "category": {"value": {"type": "static_select", "selected_option": {"value": "electrical"}}},
                 "description": {"value": {"type": "plain_text_input", "value": "cable across the aisle"}},
                 "location": {"value": {"type": "plain_text_input", "value": "aisle 2"}}}
        payload = {"type": "view_submission", "user": {"id": "U07AGENT"}, "team": {"id": "T1"}, "api_app_id": "A1",
                   "view": {"id": "VWHEEL1", "type": "modal", "callback_id": "hazard_report",
                            "private_metadata": view.get("private_metadata", "{}"), "state": {"values": state}}}
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        status, answer = _http(base + "/slack/events", body.encode(),
                               {"Content-Type": "application/x-www-form-urlencoded", **sign(body)})
        assert status == 200 and json.loads(answer)["response_action"] == "update"
        card = fake.wait_for(lambda c: c.method == "chat.postMessage" and c.params.get("channel") == "C0123SAFE"
                             and "HZ-" in str(c.params.get("text")), 15)[0]
        assert "aisle 2" in json.dumps(card.params, ensure_ascii=False)
    finally:
        code, _, err = _stop(proc)
        fake.close()
    assert code == 0 and "Traceback" not in err, err[-3000:]
