"""A local fake of Slack's Web API that records every call and can be told to fail.

Point the bot's WebClient at `FakeSlack.url` (SLACK_API_URL, trailing slash kept).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Call:
    method: str
    params: dict
    at: float
    status: int


@dataclass
class Scripted:
    status: int = 200
    body: dict | None = None
    headers: dict = field(default_factory=dict)
    delay: float = 0.0


class FakeSlack:
    def __init__(self, port: int = 0):
        self.calls: list[Call] = []
        self._lock = threading.Lock()
        self._script: dict[str, list[Scripted]] = {}
        self._ts = itertools.count(1)
        self.down = False  # when True every call gets 503
        self.messages: dict[str, list[dict]] = {}  # channel → messages, stored when received
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                method = self.path.rstrip("/").rsplit("/", 1)[-1]
                ctype = self.headers.get("Content-Type", "")
                if "json" in ctype:
                    params = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                    for k in ("blocks", "view", "attachments", "metadata"):
                        if isinstance(params.get(k), str):
                            try:
                                params[k] = json.loads(params[k])
                            except ValueError:
                                pass
                status, body, headers, delay = fake._answer(method, params)
                if delay:
                    time.sleep(delay)
                with fake._lock:
                    fake.calls.append(Call(method, params, time.time(), status))
                data = json.dumps(body).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/api/"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- scripting -----------------------------------------------------------------
    def script(self, method: str, *responses: Scripted) -> None:
        with self._lock:
            self._script.setdefault(method, []).extend(responses)

    def _answer(self, method: str, params: dict):
        with self._lock:
            queue = self._script.get(method) or []
            scripted = queue.pop(0) if queue else None
        if self.down:
            return 503, {"ok": False, "error": "service_unavailable"}, {}, 0
        if scripted is not None:
            body = scripted.body if scripted.body is not None else {"ok": scripted.status == 200}
            if scripted.status == 200 and scripted.body is None:
                body = self._ok(method, params)
            return scripted.status, body, scripted.headers, scripted.delay
        return 200, self._ok(method, params), {}, 0

    @staticmethod
    def _dm(channel: str) -> str:
        return "D" + channel[1:] if channel[:1] in ("U", "W") else channel

    def _ok(self, method: str, params: dict) -> dict:
        if method == "auth.test":
            return {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "user": "safeshift"}
        if method == "chat.postMessage":
            channel = self._dm(params.get("channel", ""))
            ts = f"{time.time() + next(self._ts) / 1000:.6f}"
            msg = {"type": "message", "text": params.get("text"), "ts": ts, "metadata": params.get("metadata"),
                   "thread_ts": params.get("thread_ts")}
            with self._lock:
                self.messages.setdefault(channel, []).append(msg)
            return {"ok": True, "channel": channel, "ts": ts, "message": {"text": params.get("text"), "ts": ts}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": self._dm(str(params.get("users", "")).split(",")[0])}}
        if method in ("conversations.history", "conversations.replies"):
            oldest = float(params.get("oldest") or 0)
            with self._lock:
                msgs = [m for m in self.messages.get(params.get("channel", ""), []) if float(m["ts"]) >= oldest]
            if method == "conversations.replies":
                msgs = [m for m in msgs if m.get("thread_ts") == params.get("ts")]
            msgs = list(reversed(msgs))  # newest first, in pages of `limit` like Slack's cursor pagination
            limit = int(params.get("limit") or 100)
            start = int(params.get("cursor") or 0)
            page, rest = msgs[start:start + limit], msgs[start + limit:]
            return {"ok": True, "messages": page, "has_more": bool(rest),
                    "response_metadata": {"next_cursor": str(start + limit) if rest else ""}}
        if method == "chat.update":
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{1700000000 + next(self._ts)}.000200"}
        if method in ("views.open", "views.update", "views.push", "views.publish"):
            return {"ok": True, "view": dict(params.get("view") or {}, id=f"V{next(self._ts):06d}")}
        return {"ok": True}

    # -- reading -------------------------------------------------------------------
    def of(self, method: str, ok_only: bool = True) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method and (not ok_only or c.status == 200)]

    def wait_for(self, predicate, timeout: float = 10.0) -> list[Call]:
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self._lock:
                found = [c for c in self.calls if predicate(c)]
            if found:
                return found
            time.sleep(0.02)
        raise AssertionError(f"no matching Slack call within {timeout}s; calls: "
                             f"{[(c.method, c.status, c.params.get('channel')) for c in self.calls]}")
