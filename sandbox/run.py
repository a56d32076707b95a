"""`safeshift sandbox`: the real bot, a Slack stand-in and a web page showing the demo workspace.

The bot is built as `safeshift serve --http` builds it (`bot.compose.build_runtime`, `runtime.wsgi()` under
waitress on 127.0.0.1) on a fresh SQLite file, with settings made here: a random signing secret, a
sandbox bot token and SLACK_API_URL pointing at the stand-in. Nothing is read from `.env` or the
environment's Slack settings, so a machine with no Slack app and no settings runs it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import secrets
import signal
import sys
import tempfile
import threading
from pathlib import Path

import yaml

from sandbox.checks import Checker
from sandbox.people import People
from sandbox.slack import FakeSlack

HERE = Path(__file__).resolve().parent
LANGS = ("zh-CN", "en")
MAX_BODY = 1024 * 1024  # as `safeshift serve`


DEMO_SHIFT = {"en": "Demo shift", "zh-CN": "演示班"}  # the organisation's own data (a shift's name), per language
DEMO_SHIFT_LEAD = 2 * 60  # seconds from start-up to the demo shift's self-check


def demo_org(lang: str, fast: bool, now: dt.datetime | None = None, lead: float = DEMO_SHIFT_LEAD):
    """The demo organisation (demo.yaml), in `lang`, with the fast policy when asked, and a demo shift of
    Hotline A starting soon, so its pre-shift self-check (and the supervisor's briefing) arrives about two
    minutes after start-up: the fixed shifts' checks come only before 00:00, 08:00 and 16:00, and a fresh
    start makes none up."""
    from bot.orgfile import parse_org

    data = yaml.safe_load((HERE / "demo.yaml").read_text(encoding="utf-8"))
    data["locale"] = lang
    names = _names(lang)  # the teams and shifts in the run's language (#25: no 热线 Hotline A in Chinese)
    for team in data["teams"]:
        team["name"] = names.get("teams", {}).get(team["name"], team["name"])
        for shift in team.get("shifts") or []:
            shift["name"] = names.get("shifts", {}).get(shift["name"], shift["name"])
    if fast:
        data["policy"] = yaml.safe_load((HERE / "fast.yaml").read_text(encoding="utf-8"))
    org = parse_org(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), str(HERE / "demo.yaml"))
    local = (now or dt.datetime.now(dt.timezone.utc)).astimezone(org.tz)
    ahead = org.policy.checklists.pre_shift.before.seconds + lead
    start = (local + dt.timedelta(seconds=ahead + 59)).replace(second=0, microsecond=0)  # a whole minute, not sooner
    end = start + dt.timedelta(hours=4)
    data["teams"][0].setdefault("shifts", []).append(
        {"name": DEMO_SHIFT[lang], "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")})
    return parse_org(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), str(HERE / "demo.yaml"))


def _names(lang: str) -> dict:
    """workspace.yaml's names for `lang` (its `zh-CN:` part), none for English."""
    return (yaml.safe_load((HERE / "workspace.yaml").read_text(encoding="utf-8")) or {}).get(lang) or {}


def workspace_names(org) -> tuple[dict, dict]:
    """People and channels with the names the page shows (workspace.yaml, in the organisation's language; an id
    stands for a missing name)."""
    names = yaml.safe_load((HERE / "workspace.yaml").read_text(encoding="utf-8"))
    people = dict(names.get("people") or {})
    people.update((names.get(org.locale) or {}).get("people") or {})
    channels = dict(names.get("channels") or {})
    ids = set(org.people.model_dump().get("department_head", []))
    for role_ids in org.people.model_dump().values():
        ids |= set(role_ids or [])
    for team in org.teams:
        ids |= set(team.supervisors) | set(team.members)
        channels.setdefault(team.channel, {"name": team.name.lower().replace(" ", "-")})
    for user in sorted(ids - set(people)):
        people[user] = {"name": user, "role": ""}
    for key in ("safety", "leadership"):
        channel = getattr(org.channels, key, None)
        if channel:
            channels.setdefault(channel, {"name": key})
    return people, channels


class Sandbox:
    """Everything `safeshift sandbox` runs, startable from tests: `Sandbox(...).start()`, `.url`, `.stop()`."""

    def __init__(self, *, port: int = 0, lang: str = "zh-CN", fast: bool = False, schema: str | None = None,
                 db_dir: str | None = None, channel_interval: float | None = None,
                 demo_shift_in: float = DEMO_SHIFT_LEAD):
        if lang not in LANGS:
            raise ValueError(f"--lang must be one of {', '.join(LANGS)}")
        self.port, self.lang, self.fast = port, lang, fast
        self.checker = Checker(schema)
        self._tmp = None if db_dir else tempfile.TemporaryDirectory(prefix="safeshift-sandbox-")
        self.db_path = Path(db_dir or self._tmp.name) / "sandbox.db"
        self.channel_interval = channel_interval
        self.org = demo_org(lang, fast, lead=demo_shift_in)
        self.slack = self.people = self.runtime = self.server = None
        self.commands: list[str] = []
        self.shortcuts: list[dict] = []
        self.run_token = secrets.token_urlsafe(24)  # the page gets it in its HTML; response_urls carry it
        self.ready = False  # the page's API answers 503 until the bot is up (an old tab reconnects early)

    def start(self) -> "Sandbox":
        from waitress import create_server

        from bot.compose import build_runtime
        from bot.manifest import build_manifest
        from bot.settings import load_settings
        from sandbox import web

        people, channels = workspace_names(self.org)
        token = f"xoxb-sandbox-{secrets.token_hex(12)}"
        secret = secrets.token_hex(16)
        try:  # the page's port first: a busy one is said before anything starts
            self.slack = FakeSlack(self.port, strict=True, token=token, people=people, channels=channels,
                                   checker=self.checker, extra_routes=web.routes(self))
        except OSError as exc:
            from bot.startup import listen_error

            raise listen_error("127.0.0.1", self.port, exc) from None
        settings = {"SLACK_BOT_TOKEN": token, "SLACK_SIGNING_SECRET": secret, "SLACK_API_URL": self.slack.url,
                    "DATABASE_URL": f"sqlite:///{self.db_path}", "SAFESHIFT_CONFIG": str(HERE / "demo.yaml"),
                    "SAFESHIFT_LOG_LEVEL": "WARNING"}
        if self.channel_interval is not None:
            settings["SAFESHIFT_CHANNEL_INTERVAL"] = self.channel_interval
        self.settings = load_settings(_env_file=None, **settings)
        self.runtime = build_runtime(self.settings, self.org, with_scheduler=True)
        self.runtime.start_background()
        self.server = create_server(self.runtime.wsgi(), host="127.0.0.1", port=0, threads=8,
                                    max_request_body_size=MAX_BODY, ident="safeshift",
                                    clear_untrusted_proxy_headers=True)
        self._thread = threading.Thread(target=self._serve, daemon=True, name="sandbox-bot")
        self._thread.start()
        manifest = build_manifest(f"http://127.0.0.1:{self.server.effective_port}")
        commands = [c["command"] for c in manifest["features"].get("slash_commands") or []]
        events = list(manifest["settings"]["event_subscriptions"].get("bot_events") or [])
        self.shortcuts = list(manifest["features"].get("shortcuts") or [])
        self.people = People(self.slack, f"http://127.0.0.1:{self.server.effective_port}/slack/events", secret,
                             commands, events, self.shortcuts, run_token=self.run_token)
        self.commands = commands
        self.ready = True
        return self

    def _serve(self) -> None:
        try:
            self.server.run()
        except OSError:  # the socket map closes under the loop on stop
            pass

    @property
    def url(self) -> str:
        return self.slack.base + "/"

    def stop(self) -> None:
        if self.people is not None:
            self.people.stop()
        if self.server is not None:
            self.server.task_dispatcher.shutdown()  # requests being answered finish before the socket map closes
            self.server.close()
        if self.runtime is not None:
            self.runtime.stop()
            self.runtime.engine.dispose()
        if self.slack is not None:
            self.slack.close()
        if self._tmp is not None:
            self._tmp.cleanup()


def main(args) -> int:
    """The `safeshift sandbox` command (bot/cli.py parses the arguments)."""
    from bot.startup import configure_logging

    level = os.environ.get("SAFESHIFT_LOG_LEVEL", "").strip().upper()
    configure_logging(level if level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") else "WARNING")
    for noisy in ("waitress", "slack_bolt.App"):  # start-up notes about our own in-process wiring
        logging.getLogger(noisy).setLevel(logging.ERROR)
    from bot.startup import StartupError

    # SIGTERM stops it cleanly from the first moment (a busy machine may not get back to this thread soon after
    # the page's address is printed, and a signal before the handler would end the process without cleaning up)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    box = Sandbox(port=args.port, lang=args.lang, fast=args.fast, schema=args.schema)
    try:
        box.start()
    except StartupError as exc:  # the port: busy, not allowed
        box.stop()
        print(f"safeshift: error: {exc}", file=sys.stderr)
        return 2
    except BaseException:
        box.stop()
        raise
    check = "on" if box.checker.on else f"OFF ({box.checker.why_off})"
    print(f"SafeShift sandbox: open {box.url} in your browser\n"
          f"  language {box.lang}, {'fast demo policy (minute-scale deadlines)' if box.fast else 'the built-in policy'}, "
          f"Block Kit validation {check}\n"
          f"  the bot serves http://127.0.0.1:{box.server.effective_port}/slack/events; database {box.db_path} "
          f"(removed on exit)\n  Ctrl-C stops it.", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        box.stop()
    print("SafeShift sandbox stopped", flush=True)
    return 0
