"""`safeshift` console command."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading

from sqlalchemy.exc import DBAPIError

from bot.policy import ConfigError, load_org
from bot.settings import SettingsError, load_settings


def _fail(message: str) -> "int":
    print(f"safeshift: error: {message}", file=sys.stderr)
    return 2


def _load():
    settings = load_settings()
    org = load_org(settings.config_path)
    return settings, org


def cmd_serve(args) -> int:
    from bot.app import Runtime

    settings, org = _load()
    runtime = Runtime(settings, org, with_scheduler=not args.no_scheduler)
    runtime.start_background()
    use_http = args.http or not settings.SLACK_APP_TOKEN
    logging.getLogger("safeshift").info("SafeShift serving (%s)", "HTTP" if use_http else "Socket Mode")
    try:
        if use_http:
            from waitress import serve

            port = args.port or int(os.environ.get("PORT", "3000"))
            serve(runtime.wsgi(), host=args.host, port=port, threads=args.threads,
                  max_request_body_size=1024 * 1024, ident="safeshift", clear_untrusted_proxy_headers=True)
        else:
            from slack_bolt.adapter.socket_mode import SocketModeHandler

            SocketModeHandler(runtime.app, settings.SLACK_APP_TOKEN).start()
    finally:
        runtime.stop()
    return 0


def cmd_scheduler(args) -> int:
    from bot.app import Runtime

    # Handlers first: a SIGTERM that arrives during start-up still means a clean stop.
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    settings, org = _load()
    runtime = Runtime(settings, org, with_scheduler=True)
    runtime.start_background()
    logging.getLogger("safeshift").info("SafeShift scheduler running (sweeper, outbox sender, cron jobs)")
    stop.wait()
    runtime.stop()
    return 0


def cmd_db(args) -> int:
    from storage.db import make_engine, upgrade

    settings = load_settings()
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
        return _fail("only --dry-run is supported here; the scheduler posts digests")
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


def cmd_check(args) -> int:
    settings, org = _load()
    print(f"settings ok; organisation file {settings.config_path} ok "
          f"({len(org.teams)} teams, time zone {org.timezone}, locale {org.locale})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="safeshift", description="SafeShift: the safety responsibility system in Slack")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="run the bot (Socket Mode when SLACK_APP_TOKEN is set, else HTTP)")
    s.add_argument("--http", action="store_true", help="serve HTTP even when SLACK_APP_TOKEN is set")
    s.add_argument("--host", default="0.0.0.0")
    s.add_argument("--port", type=int, default=None, help="HTTP port (default $PORT or 3000)")
    s.add_argument("--threads", type=int, default=8)
    s.add_argument("--no-scheduler", action="store_true", help="leave cron jobs to a separate `safeshift scheduler`")
    s.set_defaults(func=cmd_serve)
    s = sub.add_parser("scheduler", help="run only the scheduler, sweeper and outbox sender")
    s.set_defaults(func=cmd_scheduler)
    s = sub.add_parser("db", help="database maintenance")
    s.add_argument("action", choices=["upgrade"])
    s.set_defaults(func=cmd_db)
    s = sub.add_parser("manifest", help="print the Slack app manifest (YAML)")
    s.add_argument("--http-url", default=None, help="public base URL for HTTP mode (omit for Socket Mode)")
    s.set_defaults(func=cmd_manifest)
    s = sub.add_parser("digest", help="show the daily digest (or --weekly summary) that would be posted")
    s.add_argument("--dry-run", action="store_true")
    s.add_argument("--team", default=None)
    s.add_argument("--weekly", action="store_true")
    s.set_defaults(func=cmd_digest)
    s = sub.add_parser("check", help="validate settings and the organisation file")
    s.set_defaults(func=cmd_check)
    return p


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=os.environ.get("SAFESHIFT_LOG_LEVEL", "INFO"),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (SettingsError, ConfigError) as exc:
        return _fail(str(exc))
    except DBAPIError as exc:  # the database named by DATABASE_URL cannot be reached or used
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(getattr(exc, "orig", exc)).strip() \
            else type(exc).__name__
        return _fail(f"DATABASE_URL: cannot use the database: {reason}")


if __name__ == "__main__":
    sys.exit(main())
