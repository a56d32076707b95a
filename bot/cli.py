"""`safeshift` console command."""

from __future__ import annotations

import argparse
import datetime as dt
import errno
import json
import logging
import os
import signal
import sys
import threading

from sqlalchemy.exc import DBAPIError

from bot.policy import ConfigError, load_org
from bot.settings import SettingsError, load_settings

log = logging.getLogger("safeshift")

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Their DEBUG lines carry whole Slack requests and responses, i.e. what people typed: never below INFO.
_BODY_LOGGERS = ("slack_sdk", "slack_bolt", "urllib3", "websocket")
# Libraries say what they do at INFO (APScheduler alone: ~60 lines a start): WARNING unless asked (DEBUG).
_LIBRARIES = ("apscheduler", "waitress", "alembic", *_BODY_LOGGERS)
# Bolt's start-up notes that our `authorize` and `client` are used, not SLACK_BOT_TOKEN from the environment:
# that is the design, not something for the person starting it to look into.
_BOLT_TOKEN_NOTES = ("`token` (or SLACK_BOT_TOKEN env variable) will be ignored", "`token` will be unused")
# Slack's answers to a bot token it does not take: the token itself is wrong, nothing will work.
TOKEN_REFUSED = ("invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired",
                 "not_allowed_token_type")


def _fail(message: str) -> "int":
    print(f"safeshift: error: {message}", file=sys.stderr)
    return 2


def version() -> str:
    """The one version (bot/__init__.py): pyproject reads it for the package metadata, the manifest shows it."""
    from bot import __version__

    return __version__


def _library_floor(name: str, numeric: int) -> int:
    """The lowest level a library's record may have: WARNING, or when DEBUG is asked for, DEBUG (INFO for
    the libraries that log request bodies)."""
    if numeric > logging.DEBUG:
        return max(numeric, logging.WARNING)
    return logging.INFO if name.split(".")[0] in _BODY_LOGGERS else numeric


class _LibraryFilter(logging.Filter):
    """On the root's handlers: library records under their floor never print, whatever level a library sets
    on its own loggers (Bolt copies the root's level onto `slack_bolt.App` when an App is made)."""

    def __init__(self, numeric: int):
        super().__init__()
        self.numeric = numeric

    def filter(self, record: logging.LogRecord) -> bool:
        top = record.name.split(".")[0].split(":")[0]
        if top not in _LIBRARIES:
            return True
        if top == "slack_bolt" and any(note in str(record.msg) for note in _BOLT_TOKEN_NOTES):
            return False
        return record.levelno >= _library_floor(top, self.numeric)


def configure_logging(level: str) -> None:
    """SAFESHIFT_LOG_LEVEL (already validated) on the root logger; libraries at WARNING unless DEBUG is asked
    for, and even then Slack's libraries stay at INFO or above."""
    logging.basicConfig(format=LOG_FORMAT)  # no-op when the host (a test runner) has set handlers up
    numeric = logging.getLevelName(level)
    logging.getLogger().setLevel(numeric)
    for name in _LIBRARIES:
        logging.getLogger(name).setLevel(_library_floor(name, numeric))
    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, _LibraryFilter)]:
            handler.removeFilter(old)
        handler.addFilter(_LibraryFilter(numeric))


def _settings():
    settings = load_settings()
    configure_logging(settings.SAFESHIFT_LOG_LEVEL)
    return settings


def _load():
    settings = _settings()
    org = load_org(settings.config_path)
    return settings, org


def _warn_calendar(org) -> None:
    """At start-up, once the process is up (a start that fails says only why it failed)."""
    warning = calendar_warning(org, dt.datetime.now(dt.timezone.utc))
    if warning:
        log.warning("%s", warning)


def calendar_warning(org, now: dt.datetime) -> str | None:
    """Working-day deadlines (`wd`) need the official calendar of the next 12 months: say when it is not known."""
    missing = org.workdays.uncovered(now.astimezone(org.tz).date())
    if not missing:
        return None
    years = ", ".join(str(y) for y in missing)
    return (f"the working-day calendar does not know the official holidays and swapped working days of {years} "
            f"yet: update the `holidays` package (pip install -U holidays) or add the State Council's notice under "
            f"`calendar: {{holidays: [...], workdays: [...]}}` in the organisation file. Until then, working days "
            f"in {years} count fixed holidays and the lunar festivals, but no swapped working weekend")


def _interrupt_on_sigterm() -> dict:
    """SIGTERM (containers, systemd) stops like Ctrl-C: KeyboardInterrupt in the main thread.

    Only the first signal does; a second one while stopping takes the default action (ends the process).
    Returns the previous handlers.
    """
    def handler(signum, _frame):
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        log.info("SafeShift received %s", signal.Signals(signum).name)
        raise KeyboardInterrupt

    return {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}


def build_runtime(settings, org, *, with_scheduler: bool):
    """The composition root: the only place that puts bot/, handlers/ and schedules/ together."""
    import handlers
    from bot.app import Runtime

    runtime = Runtime(settings, org, register=handlers.register)
    if with_scheduler:
        from schedules.scheduler import JobScheduler

        runtime.add_background(JobScheduler(runtime.ctx))
    return runtime


class StartupError(Exception):
    """A start-up that cannot go on: one line for the person (what failed, which setting or option), no traceback."""


def listen_error(host: str, port: int, exc: OSError, option: str = "--port") -> StartupError:
    if exc.errno == errno.EADDRINUSE:
        return StartupError(f"port {port} on {host} is busy (another program listens there): "
                            f"choose another with {option}")
    if exc.errno == errno.EACCES:
        return StartupError(f"not allowed to listen on {host}:{port} (ports below 1024 need privileges): "
                            f"choose another with {option}")
    if exc.errno == errno.EADDRNOTAVAIL:
        return StartupError(f"cannot listen on {host}:{port}: this machine has no such address (--host)")
    return StartupError(f"cannot listen on {host}:{port}: {exc.strerror or exc}")


def _slack_reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None) or exc
    return str(getattr(reason, "strerror", None) or reason).strip().splitlines()[0][:200] or type(exc).__name__


class _Silenced:
    """Library loggers quiet for one step whose failure we say ourselves, in one line (no ERROR line before it)."""

    def __init__(self, *names: str):
        self.loggers = [logging.getLogger(n) for n in names]

    def __enter__(self):
        self.levels = [lg.level for lg in self.loggers]
        for lg in self.loggers:
            lg.setLevel(logging.CRITICAL + 1)

    def __exit__(self, *exc):
        for lg, level in zip(self.loggers, self.levels):
            lg.setLevel(level)


def check_slack(settings, client, *, must_reach: bool) -> None:
    """auth.test once before serving: a token Slack refuses stops the start; Slack out of reach stops it when
    nothing could work without it (Socket Mode), else it is a warning (HTTP: requests are answered, posts wait
    in the outbox until Slack is back)."""
    from slack_sdk.errors import SlackApiError

    try:
        with _Silenced("slack_sdk.web.base_client"):
            client.auth_test()
    except SlackApiError as exc:
        error = (exc.response.get("error") if exc.response is not None else None) or "error"
        if error in TOKEN_REFUSED:
            raise StartupError(f"SLACK_BOT_TOKEN: Slack refused the bot token ({error}): copy the Bot User OAuth "
                               f"Token (xoxb-…) of this app again") from None
        if must_reach:
            raise StartupError(f"Slack answered auth.test with {error} (SLACK_API_URL {settings.SLACK_API_URL})") \
                from None
        log.warning("Slack answered auth.test with %s: serving anyway", error)
    except Exception as exc:  # noqa: BLE001 - urllib's errors, timeouts, refused connections
        if must_reach:
            raise StartupError(f"cannot reach Slack at {settings.SLACK_API_URL} (SLACK_API_URL): "
                               f"{_slack_reason(exc)}") from None
        log.warning("cannot reach Slack at %s (%s): serving anyway; messages wait in the outbox",
                    settings.SLACK_API_URL, _slack_reason(exc))


def _socket_mode_error(settings, exc: BaseException) -> StartupError:
    from slack_sdk.errors import SlackApiError

    if isinstance(exc, SlackApiError):
        error = (exc.response.get("error") if exc.response is not None else None) or "error"
        if error in TOKEN_REFUSED:
            return StartupError(f"SLACK_APP_TOKEN: Slack refused the app-level token ({error}): make one with the "
                                f"connections:write scope (Basic Information → App-Level Tokens)")
        return StartupError(f"Socket Mode: Slack answered apps.connections.open with {error}")
    return StartupError(f"Socket Mode: cannot reach Slack at {settings.SLACK_API_URL} (SLACK_API_URL): "
                        f"{_slack_reason(exc)}")


def cmd_serve(args) -> int:
    previous = _interrupt_on_sigterm()  # before start-up: an early SIGTERM still means a clean stop
    runtime = socket_mode = server = None
    started = False
    try:
        settings, org = _load()
        use_http = args.http or not settings.SLACK_APP_TOKEN
        port = args.port or int(os.environ.get("PORT", "3000"))
        runtime = build_runtime(settings, org, with_scheduler=not args.no_scheduler)
        if use_http:
            from waitress import create_server

            try:  # listen first: a busy port is said before anything starts
                server = create_server(runtime.wsgi(), host=args.host, port=port, threads=args.threads,
                                       max_request_body_size=1024 * 1024, ident="safeshift",
                                       clear_untrusted_proxy_headers=True)
            except OSError as exc:
                raise listen_error(args.host, port, exc) from None
        check_slack(settings, runtime.client, must_reach=not use_http)
        if not use_http:
            from bot.guard import socket_mode_handler

            # the payload guard runs before Bolt builds its request (Bolt itself raises on some broken shapes)
            socket_mode = socket_mode_handler(runtime.app, settings.SLACK_APP_TOKEN)
            try:
                with _Silenced("slack_bolt", "slack_bolt.App", "slack_sdk"):  # their ERROR lines would precede ours
                    socket_mode.connect()
            except KeyboardInterrupt:
                raise
            except Exception as exc:  # noqa: BLE001 - said in one line below
                raise _socket_mode_error(settings, exc) from None
        runtime.start_background()
        started = True
        _warn_calendar(org)
        if use_http:
            log.info("SafeShift serving (HTTP on %s:%s)", args.host, server.effective_port)
            try:
                server.run()  # returns on KeyboardInterrupt (waitress stops its threads)
            finally:
                server.close()
        else:
            log.info("SafeShift serving (Socket Mode)")
            threading.Event().wait()  # until Ctrl-C / SIGTERM (KeyboardInterrupt)
    except KeyboardInterrupt:
        pass
    finally:
        if socket_mode is not None:
            try:
                socket_mode.close()
            except Exception:  # noqa: BLE001 - stopping anyway
                log.warning("closing the Socket Mode connection failed", exc_info=True)
        if started:  # a start that failed says only why it failed
            log.info("SafeShift stopping")
            runtime.stop()
            log.info("SafeShift stopped")
        if runtime is not None:
            runtime.engine.dispose()
        for sig, old in previous.items():
            signal.signal(sig, old)
    return 0


def cmd_scheduler(args) -> int:
    # Handlers first: a SIGTERM that arrives during start-up still means a clean stop.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    settings, org = _load()
    runtime = build_runtime(settings, org, with_scheduler=True)
    runtime.start_background()
    _warn_calendar(org)
    log.info("SafeShift scheduler running (sweeper, outbox sender, cron jobs)")
    stop.wait()
    log.info("SafeShift stopping")
    runtime.stop()
    log.info("SafeShift stopped")
    return 0


def cmd_db(args) -> int:
    from storage.db import make_engine, upgrade

    settings = _settings()
    if args.action == "upgrade":
        upgrade(make_engine(settings.DATABASE_URL))
        print("database is at the newest schema")
    return 0


def cmd_manifest(args) -> int:
    from bot.manifest import manifest_yaml

    sys.stdout.write(manifest_yaml(args.http_url))
    return 0


def cmd_digest(args) -> int:
    from bot import digest
    from bot.clock import SystemClock
    from bot.context import Context
    from storage.db import make_engine, upgrade

    if not args.dry_run:
        return _fail("`safeshift digest` only shows what would be posted: add --dry-run. Posting is the "
                     "scheduler's job (`safeshift serve` or `safeshift scheduler`, at the time set in the policy)")
    settings, org = _load()
    engine = make_engine(settings.DATABASE_URL)
    upgrade(engine)
    ctx = Context(org=org, engine=engine, clock=SystemClock(), settings=settings)
    if args.team and ctx.directory.team(args.team) is None:
        return _fail(f"no team named {args.team!r} in {settings.config_path}")
    payloads = digest.weekly_payloads(ctx, ctx.clock.now(), team=args.team) if args.weekly else \
        digest.daily_payloads(ctx, ctx.clock.now(), team=args.team)
    for p in payloads:
        print(f"# to {p['channel']}")
        print(p["text"])
        print(json.dumps(p["blocks"], ensure_ascii=False, indent=2))
    return 0


def cmd_export(args) -> int:
    from bot.clock import SystemClock
    from bot.context import Context
    from bot.rectification import export
    from storage.db import make_engine, upgrade

    settings, org = _load()
    engine = make_engine(settings.DATABASE_URL)
    upgrade(engine)
    ctx = Context(org=org, engine=engine, clock=SystemClock(), settings=settings)
    if args.output:
        with open(args.output, "wb") as out:
            n = export.write(ctx, args.table, args.format, out, args.start, args.end)
    else:
        n = export.write(ctx, args.table, args.format, sys.stdout.buffer, args.start, args.end)
    print(f"{n} rows", file=sys.stderr)
    return 0


def _day(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def cmd_check(args) -> int:
    settings, org = _load()
    print(f"settings ok; organisation file {settings.config_path} ok "
          f"({len(org.teams)} teams, time zone {org.timezone}, locale {org.locale})")
    warning = calendar_warning(org, dt.datetime.now(dt.timezone.utc))
    if warning:
        print(f"warning: {warning}")
    return 0


def cmd_sandbox(args) -> int:
    from sandbox.run import main as sandbox_main  # kept apart: only this command loads the sandbox

    return sandbox_main(args)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="safeshift", description="SafeShift: the safety responsibility system in Slack")
    p.add_argument("--version", action="version", version=f"%(prog)s {version()}",
                   help="print the installed version and exit")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the bot (Socket Mode when SLACK_APP_TOKEN is set, else HTTP)")
    s.add_argument("--http", action="store_true", help="serve HTTP even when SLACK_APP_TOKEN is set")
    s.add_argument("--host", default="0.0.0.0", help="HTTP address to listen on (default 0.0.0.0: all)")
    s.add_argument("--port", type=int, default=None, help="HTTP port (default $PORT or 3000)")
    s.add_argument("--threads", type=int, default=8, help="HTTP worker threads (default 8)")
    s.add_argument("--no-scheduler", action="store_true", help="leave cron jobs to a separate `safeshift scheduler`")
    s.set_defaults(func=cmd_serve)
    s = sub.add_parser("scheduler", help="run only the scheduler, sweeper and outbox sender")
    s.set_defaults(func=cmd_scheduler)
    s = sub.add_parser("db", help="database maintenance")
    s.add_argument("action", choices=["upgrade"], help="upgrade: apply the migrations up to the newest schema")
    s.set_defaults(func=cmd_db)
    s = sub.add_parser("manifest", help="print the Slack app manifest (YAML)")
    s.add_argument("--http-url", default=None, help="public base URL for HTTP mode (omit for Socket Mode)")
    s.set_defaults(func=cmd_manifest)
    s = sub.add_parser("digest", help="show the daily digest (or --weekly summary) that would be posted")
    s.add_argument("--dry-run", action="store_true",
                   help="print what would be posted now, post nothing (required: the scheduler does the posting)")
    s.add_argument("--team", default=None, help="only this team's digest (its name in the organisation file)")
    s.add_argument("--weekly", action="store_true", help="the weekly summary instead of the daily digest")
    s.set_defaults(func=cmd_digest)
    s = sub.add_parser("export", help="rectification items, the risk register or hazards as CSV or XLSX, for audits")
    s.add_argument("table", choices=["rectifications", "risks", "hazards"], help="what to export")
    s.add_argument("--format", choices=["csv", "xlsx"], default="csv", help="csv (UTF-8 with a BOM, default) or xlsx")
    s.add_argument("--from", dest="start", type=_day, default=None, help="first day (YYYY-MM-DD, organisation's zone)")
    s.add_argument("--to", dest="end", type=_day, default=None, help="last day (YYYY-MM-DD, organisation's zone)")
    s.add_argument("--output", "-o", default=None, help="file to write (default: standard output)")
    s.set_defaults(func=cmd_export)
    s = sub.add_parser("check", help="validate settings and the organisation file")
    s.set_defaults(func=cmd_check)
    s = sub.add_parser("sandbox", help="try SafeShift without Slack: the real bot and a demo workspace in a web page")
    s.add_argument("--port", type=int, default=8300, help="port of the page on 127.0.0.1 (default 8300; 0: any free)")
    s.add_argument("--lang", choices=["zh-CN", "en"], default="zh-CN", help="the demo organisation's language")
    s.add_argument("--fast", action="store_true", help="a demo policy with minute-scale deadlines and escalations")
    s.add_argument("--schema", default=None,
                   help="Slack's Block Kit JSON schema (default: the copy in the package, sandbox/schemas/)")
    s.set_defaults(func=cmd_sandbox)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (SettingsError, ConfigError, StartupError) as exc:
        return _fail(str(exc))
    except FileNotFoundError as exc:  # a file of the installation itself (policy, plans, catalogs, templates)
        return _fail(f"{exc.filename or exc}: file missing: the installation is incomplete, reinstall safeshift")
    except DBAPIError as exc:  # the database named by DATABASE_URL cannot be reached or used
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(getattr(exc, "orig", exc)).strip() \
            else type(exc).__name__
        return _fail(f"DATABASE_URL: cannot use the database: {reason}")


if __name__ == "__main__":
    sys.exit(main())
