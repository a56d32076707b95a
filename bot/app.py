"""The Bolt app factory and the process runtime (HTTP front, outbox sender, sweeper, scheduler)."""

from __future__ import annotations

import gc
import io
import json
import logging
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient
from slack_sdk.signature import SignatureVerifier

from bot import guard, untraced
from bot.clock import SystemClock
from bot.context import Context
from bot.limits import SIGNATURE_KEY
from bot.masking import quiet_slack_logger
from bot.outbox import Sender
from bot.policy import Organisation
from bot.settings import Settings
from bot.sweeper import Sweeper
from bot.worker import RequestGate
from storage.db import insert_once, make_engine, ping, upgrade
from storage.models import SeenRequest

log = logging.getLogger("safeshift")

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; anything bigger is refused unread
EVENTS_PATH = "/slack/events"


def _authorizer(settings: Settings, client: WebClient):
    """Authorize every request with the one bot token; learn the bot's ids from auth.test once.

    A failing auth.test (Slack away) does not block requests: it is tried again a minute later.
    """
    state: dict = {"result": None, "tried": 0.0}

    def authorize(enterprise_id=None, team_id=None, logger=None):
        if state["result"] is None and time.monotonic() - state["tried"] > 60:
            state["tried"] = time.monotonic()
            try:
                state["result"] = client.auth_test()
            except Exception:  # noqa: BLE001
                log.warning("auth.test failed; continuing without the bot's user id")
        r = state["result"] or {}
        return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id or r.get("team_id"),
                               bot_token=settings.SLACK_BOT_TOKEN, bot_user_id=r.get("user_id"), bot_id=r.get("bot_id"))

    return authorize


def replayed(ctx: Context, signature: str) -> bool:
    """True if this exact signed request was accepted before (any replica). Fails open without a database.

    The signature is stored before any work, in one statement (no ORM, no transaction of statements), so a
    replay is refused whichever replica it reaches. On PostgreSQL its commit does not wait for the WAL flush:
    only a crash of the database server in the ~0.6 s after a request could forget it, and a replay in the
    5 minutes after that could then be answered again. What such a replay could do is already guarded: a
    submission gives its first report back (the view id is the report's source key), clicks check the state,
    events are recorded once by event id; a slash command would open a form with a used trigger_id.
    """
    try:
        return not insert_once(ctx.engine, SeenRequest.__table__,
                               {"signature": signature[:SIGNATURE_KEY], "at": ctx.clock.now()}, durable=False)
    except Exception:  # noqa: BLE001 - the database is away: signatures still hold, let Bolt answer
        log.warning("replay check skipped: database unavailable")
        return False


_frozen = threading.Event()
# The young generation's threshold (CPython's default 700). Each submission, and the sender delivering the one
# before it, allocate a few thousand container objects, so at 700 a collection ran ~1.2 times per request and a
# generation-1 one (~1.3 ms) on about one request in ten. At 2,000: a third of the collections, a third as many of
# 1 ms or more, each young one still well under 1 ms; at 5,000 every young collection took 1.2–1.9 ms (issue 26,
# docs/BENCHMARKS.md). Not policy: how the interpreter's collector is paced.
GC_YOUNG_THRESHOLD = 2000
# How long a thread holding the GIL may keep it while another waits (Python's default is 5 ms). The sender and the
# sweeper run Python between their I/O; a request arriving meanwhile waited up to a whole interval for the GIL,
# which was most of a submission's tail (issue 26: p99 15.5–29.5 → 13.7–20.6 ms, interleaved runs, load 3–4).
GIL_SWITCH_INTERVAL = 0.001


def _freeze_startup_objects() -> None:
    """Leave what start-up made (modules, SQLAlchemy mappers, templates, policy) out of the cyclic collector.

    Measured: a full collection took ~80–100 ms, landing on whichever request was being answered. Frozen,
    a full collection walks only what was made since (and comes only once that has grown by a quarter of
    what start-up left). Once per process (tests build many runtimes). The young generation is collected
    less often from then on (GC_YOUNG_THRESHOLD); the older generations keep their thresholds. Threads hand over
    the GIL sooner (GIL_SWITCH_INTERVAL), so a request does not wait long behind background work.
    """
    if not _frozen.is_set():
        _frozen.set()
        gc.collect()
        gc.freeze()
        young, older, oldest = gc.get_threshold()
        if 0 < young < GC_YOUNG_THRESHOLD:  # 0: someone switched automatic collection off; left so
            gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)
        sys.setswitchinterval(min(sys.getswitchinterval(), GIL_SWITCH_INTERVAL))


def _logged(work):
    def run():
        try:
            work()
        except Exception:  # noqa: BLE001 - the answer is out: nobody else would hear of it
            log.exception("work after the answer failed")
    return run


class _ThenWake:
    """A WSGI body that wakes the sender and sweeper once the server has written it (PEP 3333 close())."""

    def __init__(self, body, wakers, done, after=(), later=None):
        self._body, self._wakers, self._done, self._after, self._later = body, wakers, done, after, later

    def __iter__(self):
        return iter(self._body)

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        try:
            if close is not None:
                close()
        finally:
            self._done()  # the answer is out: background work may go
            _release(self._wakers, self._after, self._later)


def _release(wakers, after, later) -> None:
    """Deliver a request's deferred wakes, then hand what it left for after its answer (Context.after_answer) to
    another thread: a server such as waitress sends a small answer only once this thread is done with it."""
    for wake in wakers:
        wake()
    for work in after:
        try:
            later(_logged(work))
        except RuntimeError:  # the pool is shut: the process is stopping, so it is done here, now
            _logged(work)()


class Runtime:
    """Everything one `safeshift serve` process runs."""

    def __init__(self, settings: Settings, org: Organisation, *, register: Callable | None = None, engine=None,
                 clock=None, migrate: bool = True):
        """`register(app, ctx)` wires the listeners (handlers.register); the CLI, the composition root,
        passes it in, so that bot/ never imports handlers/ or schedules/."""
        self.settings = settings
        self.engine = engine if engine is not None else make_engine(settings.DATABASE_URL)
        if migrate:
            upgrade(self.engine)
        self.clock = clock or SystemClock()
        self.ctx = Context(org=org, engine=self.engine, clock=self.clock, settings=settings)
        # Request-path client: views.open must answer inside Slack's 3 s; no SDK retries there.
        self.client = WebClient(token=settings.SLACK_BOT_TOKEN, base_url=settings.SLACK_API_URL, timeout=2.5,
                                retry_handlers=[])
        # Outbox client: our sender owns retries and back-off.
        send_client = WebClient(token=settings.SLACK_BOT_TOKEN, base_url=settings.SLACK_API_URL,
                                timeout=settings.SAFESHIFT_SEND_TIMEOUT, retry_handlers=[])
        self.gate = RequestGate()  # requests being answered go before background work
        self.ctx.gate = self.gate
        self.sender = Sender(self.engine, send_client, self.clock, max_attempts=settings.SAFESHIFT_MAX_SEND_ATTEMPTS,
                             channel_interval=settings.SAFESHIFT_CHANNEL_INTERVAL, gate=self.gate)
        self.sweeper = Sweeper(self.ctx)
        # Each sleeps until its next due moment; a committed write of its rows (any process) wakes it.
        self.sender.watch(self.engine, "outbox")
        self.sweeper.watch(self.engine, "timer")
        self.ctx.wakers.extend([self.sender.wake, self.sweeper.wake])
        self.app = App(
            # Bolt names an unnamed app after its caller's file, read with inspect.stack(): every source file on the
            # stack then stays in linecache (~0.3 MB for nothing). The name it would find.
            name="app.py",
            signing_secret=settings.SLACK_SIGNING_SECRET,
            client=self.client,
            authorize=_authorizer(settings, self.client),
            process_before_response=True,
            raise_error_for_unhandled_request=False,
            before_authorize=guard.bolt_guard,  # broken shapes stop before Bolt's authorization reads them
            logger=quiet_slack_logger(),  # never DEBUG (whole bodies), numbers masked
        )
        if register is not None:
            register(self.app, self.ctx)
        self.background: list = [self.sender, self.sweeper]  # started in order, stopped in reverse
        # Work a request leaves for after its answer (the Home tab): two threads, so one slow Home waits for nobody.
        self.after_answer = ThreadPoolExecutor(max_workers=2, thread_name_prefix="after-answer")

    def add_background(self, worker) -> None:
        """Another thing this process runs beside the HTTP front (the cron scheduler): start() and stop()."""
        self.background.append(worker)

    def start_background(self) -> None:
        for worker in self.background:
            worker.start()

    def stop(self) -> None:
        self.after_answer.shutdown(wait=True)  # what was answered is finished before the workers stop
        for worker in reversed(self.background):
            worker.stop()

    def wsgi(self):
        _freeze_startup_objects()
        bolt = SlackRequestHandler(self.app, path=EVENTS_PATH)
        engine = self.engine
        secret = self.settings.SLACK_SIGNING_SECRET
        verifier = SignatureVerifier(secret)

        def application(environ, start_response):
            path = environ.get("PATH_INFO", "")
            method = environ.get("REQUEST_METHOD", "GET")
            if path == "/healthz":
                healthy = ping(engine)
                body = json.dumps({"ok": healthy, "database": "ok" if healthy else "unreachable"}).encode()
                start_response("200 OK" if healthy else "503 Service Unavailable",
                               [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
                return [body] if method != "HEAD" else [b""]
            if path == EVENTS_PATH:
                if method != "POST":
                    start_response("405 Method Not Allowed", [("Allow", "POST"), ("Content-Length", "0")])
                    return [b""]
                try:
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                except ValueError:
                    length = MAX_BODY + 1
                if length > MAX_BODY:
                    start_response("413 Payload Too Large", [("Content-Length", "0")])
                    return [b""]
                body = environ["wsgi.input"].read(length) if length > 0 else b""
                environ["wsgi.input"] = io.BytesIO(body)
                timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP") or ""
                signature = environ.get("HTTP_X_SLACK_SIGNATURE") or ""
                try:
                    refused = not (timestamp.isascii() and timestamp.isdigit() and signature.startswith("v0=")
                                   and verifier.is_valid(body=body, timestamp=timestamp, signature=signature))
                except UnicodeDecodeError:  # signed bytes that are not UTF-8: the SDK cannot read them, check bytes
                    refused = not guard.signed_bytes_valid(secret, body, timestamp, signature, verifier.clock.now())
                except (TypeError, ValueError):
                    refused = True
                # Broken shapes are judged and sanitised before Bolt parses anything (pure: no I/O).
                screened = None if refused else guard.screen(body, environ.get("CONTENT_TYPE") or "")
                # Slack retries only Events API deliveries (deduplicated by event_id): only they may come again.
                if not refused and not (environ.get("HTTP_X_SLACK_RETRY_NUM") and screened.is_event) \
                        and not screened.untraced:  # an untraced request: its kind refuses a replay by what it stores
                    refused = replayed(self.ctx, signature)
                if refused:  # forged, stale or replayed: refused before any work
                    start_response("401 Unauthorized", [("Content-Type", "text/plain"), ("Content-Length", "12")])
                    return [b"Unauthorized"]
                if screened.status is not None:  # not understood (quiet 200) or refused (400): logged by the guard
                    start_response("200 OK" if screened.status == 200 else "400 Bad Request",
                                   [("Content-Length", "0")])
                    return [b""]
                if screened.body is not body:  # sanitised: Bolt verifies again, so sign what it will read
                    environ["wsgi.input"] = io.BytesIO(screened.body)
                    environ["CONTENT_LENGTH"] = str(len(screened.body))
                    environ["HTTP_X_SLACK_SIGNATURE"] = guard.resign(secret, timestamp, screened.body)
                if screened.untraced:
                    with untraced.scope():
                        return list(bolt(environ, start_response))
                return bolt(environ, start_response)
            start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
            return [b"Not Found"]

        def gated(environ, start_response):
            """Slack's requests go first from the moment they arrive (the replay check included): the sender and
            sweeper start nothing new meanwhile (RequestGate), and wakes wait until the answer is written."""
            if environ.get("PATH_INFO", "") != EVENTS_PATH:
                return application(environ, start_response)
            self.gate.enter()
            deferred = None
            try:
                with self.ctx.deferred_wake() as deferred:
                    body = application(environ, start_response)
            except BaseException:
                self.gate.leave()
                if deferred is not None:  # what the request committed before it failed is still woken and done
                    _release(list(deferred.wakes), deferred.after, self.after_answer.submit)
                raise
            return _ThenWake(body, list(deferred.wakes), self.gate.leave, deferred.after,
                             self.after_answer.submit)

        return gated
