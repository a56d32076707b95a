"""`safeshift` console command."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import signal
import sys
import threading

from sqlalchemy.exc import DBAPIError

from bot.orgfile import load_org
from bot.policy import ConfigError
from bot.settings import SettingsError, load_settings
from bot.startup import (  # noqa: F401 - the start-up's words and checks, shared with the sandbox
    LOG_FORMAT,
    TOKEN_REFUSED,
    StartupError,
    _Silenced,
    _slack_reason,
    _socket_mode_error,
    calendar_warning,
    check_slack,
    configure_logging,
    listen_error,
)

log = logging.getLogger("safeshift")

def _fail(message: str) -> "int":
    print(f"safeshift: error: {message}", file=sys.stderr)
    return 2


def version() -> str:
    """The one version (bot/__init__.py): pyproject reads it for the package metadata, the manifest shows it."""
    from bot import __version__

    return __version__


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
    for line in _kind_warnings(org):
        log.warning("%s", line)


def _kind_warnings(org) -> list[str]:
    from bot import compose

    return compose.warnings(org)


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
    from bot import compose

    return compose.build_runtime(settings, org, with_scheduler=with_scheduler)


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
    from bot.clock import SystemClock
    from bot.context import Context
    from bot.hazards import digest
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
    problem = export.span_problem(org, args.start, args.end)
    if problem:
        return _fail(problem)
    def write(out) -> int:
        if args.table == "checks":  # the check log (#21): the checks kind's rows, the same sheet
            from bot.checks import log

            return export.write_sheet(ctx, *log.export_rows(ctx, args.start, args.end), args.format, out)
        if args.table == "violations":  # the ledger (#24): the operator's; from Slack, the ledger's group only
            from bot.violations import export as ledger

            return ledger.write(ctx, args.table, args.format, out, args.start, args.end)
        return export.write(ctx, args.table, args.format, out, args.start, args.end)

    if args.output:
        with open(args.output, "wb") as out:
            n = write(out)
    else:
        n = write(sys.stdout.buffer)
    print(f"{n} rows", file=sys.stderr)
    return 0


def _ctx():
    from bot.clock import SystemClock
    from bot.context import Context
    from storage.db import make_engine, upgrade

    settings, org = _load()
    engine = make_engine(settings.DATABASE_URL)
    upgrade(engine)
    return Context(org=org, engine=engine, clock=SystemClock(), settings=settings)


def cmd_report(args) -> int:
    from bot.indicators import offline

    if args.which == "yearly":  # §3.6.3 the year-end list, with the scores (the operator's)
        from bot.violations import yearly

        return print(yearly.text(_ctx(), args.year)) or 0
    if not offline.MONTH.match(args.month or ""):
        return _fail(f"--month {args.month!r}: give the month as YYYY-MM")
    ctx = _ctx()
    if args.post:
        from slack_sdk import WebClient
        try:
            first = offline.post_now(ctx, args.month, WebClient(
                token=ctx.settings.SLACK_BOT_TOKEN, base_url=ctx.settings.SLACK_API_URL, timeout=20))
        except offline.report.StillSending as busy:  # an earlier post's charts are uploading: nothing was queued
            return _fail(str(busy))
        return print(f"{args.month}: {'posted' if first else 'the earlier post was replaced'}", file=sys.stderr) or 0
    for path in offline.write_files(ctx, args.month, args.format, args.out):
        print(path)
    return 0


def cmd_figures(args) -> int:
    from bot.indicators import figures, offline

    ctx = _ctx()
    try:
        n = offline.import_figures(ctx, args.file, args.by)
    except figures.FigureError as exc:
        return _fail(f"{args.file}: {exc} (nothing was imported)")
    print(f"{n} figures imported", file=sys.stderr)
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
    for line in _kind_warnings(org):  # #21: e.g. a team with no shifts gets no pre-shift checks
        print(f"warning: {line}")
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
    s = sub.add_parser("export", help="rectification items, the risk register, hazards, the check log or the "
                                      "violations ledger as CSV or XLSX, for audits")
    s.add_argument("table", choices=["rectifications", "risks", "hazards", "checks", "violations"],
                   help="what to export")
    s.add_argument("--format", choices=["csv", "xlsx"], default="csv", help="csv (UTF-8 with a BOM, default) or xlsx")
    s.add_argument("--from", dest="start", type=_day, default=None, help="first day (YYYY-MM-DD, organisation's zone)")
    s.add_argument("--to", dest="end", type=_day, default=None, help="last day (YYYY-MM-DD, organisation's zone)")
    s.add_argument("--output", "-o", default=None, help="file to write (default: standard output)")
    s.set_defaults(func=cmd_export)
    s = sub.add_parser("report", help="the monthly safety indicators report: as files, or posted now")
    s.add_argument("which", choices=["monthly", "yearly"],
                   help="monthly: every indicator of a month against target; yearly: the year-end appraisal list")
    s.add_argument("--month", default=None, help="monthly: the month, YYYY-MM (organisation's zone)")
    s.add_argument("--year", type=int, default=None, help="yearly: the year (default: the year before this one)")
    s.add_argument("--format", choices=["md", "csv", "xlsx"], default="md", help="the file's format (default md)")
    s.add_argument("--out", default=".", help="folder for the report and its PNG charts (default: here)")
    s.add_argument("--post", action="store_true",
                   help="post it to the leadership channel now (a month posted before is replaced, not repeated)")
    s.set_defaults(func=cmd_report)
    s = sub.add_parser("figures", help="the monthly figures that are not in Slack (calls, complaints, training)")
    s.add_argument("action", choices=["import"], help="import: read a CSV month,key,value")
    s.add_argument("file", help="the CSV file")
    s.add_argument("--by", default="cli", help="who gives the figures (kept with them; default: cli)")
    s.set_defaults(func=cmd_figures)
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
    from bot import compose

    args = build_parser().parse_args(argv)
    compose.install()  # every command works with the product's kinds (the digest, export, check …)
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
