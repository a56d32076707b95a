"""Starting a process (#20): logging that keeps libraries quiet and Slack's bodies out, start-up failures in one line
(a busy port, a refused token, Slack out of reach), the calendar's warning. Shared by `safeshift serve` (bot/cli.py)
and the sandbox, which import this module and never each other (#18)."""

from __future__ import annotations

import datetime as dt
import errno
import logging

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


