"""Slack, stood in locally: the Web API the bot calls, and a workspace that remembers what it was sent.

One stand-in for the test suite and the sandbox (`safeshift sandbox`). Point the bot's WebClient at
`FakeSlack.url` (SLACK_API_URL, trailing slash kept). It records every call (`calls`, `of()`,
`wait_for()`), can be told to fail (`down`, `script()`), and keeps the workspace the way Slack would:
messages per conversation (`messages`, DMs under `D…`), `chat.update` in place, ephemeral messages per
person (`ephemeral`), modals per person and Home tabs (`views`, `modals`, `homes`), files (`files`).

`strict=True` (the sandbox) answers like Slack does where the tests prefer leniency: a wrong token is
`invalid_auth`, an unknown channel `channel_not_found`, an edit of a missing message
`message_not_found`, an expired trigger `expired_trigger_id`, and what `checker` finds wrong
(`invalid_blocks`) is refused. Everything refused or doubtful is also kept in `problems`, so the page
can show it. Speaking to the bot as Slack does (signed requests) is `sandbox.people`.

`extra_routes(handler, method, path) -> bool` lets the sandbox serve its page from the same port.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BOT_USER, BOT_ID, TEAM = "UBOT", "BBOT", "T1"
TRIGGER_TTL = 3.0  # Slack: a trigger_id can open a modal for 3 seconds
MODAL_STACK = 3  # Slack: at most three modals stacked
POSTS = ("chat.postMessage", "chat.postEphemeral", "chat.update")
VIEWS = ("views.open", "views.update", "views.push", "views.publish")
KNOWN = POSTS + VIEWS + (
    "auth.test", "conversations.open", "conversations.history", "conversations.replies", "conversations.info",
    "conversations.list", "users.info", "users.list", "files.info", "files.getUploadURLExternal",
    "files.completeUploadExternal", "files.delete", "chat.getPermalink", "chat.delete",
    "reactions.add", "reactions.remove", "api.test")


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


class Refused(Exception):
    """Slack's `ok: false` answer to a call."""

    def __init__(self, error: str, detail: list[str] | None = None):
        super().__init__(error)
        self.error, self.detail = error, detail or []


class FakeSlack:
    def __init__(self, port: int = 0, *, host: str = "127.0.0.1", strict: bool = False, token: str | None = None,
                 people: dict | None = None, channels: dict | None = None, checker=None, extra_routes=None):
        self.calls: list[Call] = []
        self._lock = threading.RLock()
        self.changed = threading.Condition(self._lock)  # notified on every change of the workspace
        self.version = 0
        self._script: dict[str, list[Scripted]] = {}
        self._ts = itertools.count(1)
        self._seq = itertools.count(1)  # arrival order of everything shown in a conversation
        self.down = False  # when True every call gets 503
        self.closed = False
        self.strict, self.token, self.checker = strict, token, checker
        self.people: dict[str, dict] = dict(people or {})  # user id -> {"name": …, "role": …}
        self.channels: dict[str, dict] = dict(channels or {})  # channel id -> {"name": …}
        self.messages: dict[str, list[dict]] = {}  # channel → messages, stored when received
        self.ephemeral: list[dict] = []  # each with "user": only that person sees it
        self.views: dict[str, dict] = {}  # view id -> {"id", "user", "view", "errors", "kind"}
        self.modals: dict[str, list[str]] = {}  # user -> stack of open modal view ids
        self.homes: dict[str, str] = {}  # user -> view id of their Home tab
        self.files: dict[str, dict] = {}
        self.file_bytes: dict[str, bytes] = {}
        self.triggers: dict[str, tuple[str, float]] = {}  # trigger id -> (user, issued at)
        self.problems: list[dict] = []  # what real Slack would refuse or warn about
        self.trigger_ttl = TRIGGER_TTL  # a test on a loaded machine may allow more than Slack does
        self.on_post = None  # called with (channel, message) after a bot post (events to the bot)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):  # noqa: N802
                try:
                    if not (fake.extra_routes and fake.extra_routes(self, "GET", self.path)):
                        self.send_error(404)
                except (BrokenPipeError, ConnectionResetError):  # the page was reloaded or closed mid-answer
                    self.close_connection = True

            def do_POST(self):  # noqa: N802
                if self.path.startswith("/upload/"):  # the URL files.getUploadURLExternal gave: the file's bytes
                    length = int(self.headers.get("Content-Length") or 0)
                    fake.receive_upload(self.path.rsplit("/", 1)[-1], self.rfile.read(length) if length else b"")
                    self.send_response(200)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if not self.path.startswith("/api/") and fake.extra_routes:
                    try:
                        if not fake.extra_routes(self, "POST", self.path):
                            self.send_error(404)
                    except (BrokenPipeError, ConnectionResetError):
                        self.close_connection = True
                    return
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode("utf-8") if length else ""
                method = self.path.split("?")[0].rstrip("/").rsplit("/", 1)[-1]
                ctype = self.headers.get("Content-Type", "")
                if "json" in ctype:
                    params = json.loads(raw or "{}")
                else:
                    params = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                    if "?" in self.path:  # slack-sdk sends some methods' arguments in the query (files.*)
                        params.update({k: v[0] for k, v in urllib.parse.parse_qs(self.path.split("?", 1)[1]).items()})
                    for k in ("blocks", "view", "attachments", "metadata", "files"):
                        if isinstance(params.get(k), str):
                            try:
                                params[k] = json.loads(params[k])
                            except ValueError:
                                pass
                auth = self.headers.get("Authorization", "")
                status, body, headers, delay = fake._answer(method, params, auth)
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

        self.extra_routes = extra_routes
        class Server(ThreadingHTTPServer):
            allow_reuse_address = True

            def handle_error(self, request, client_address):  # a browser tab gone is no error worth a traceback
                import sys

                if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
                    super().handle_error(request, client_address)

        self.server = Server((host, port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        return f"{self.base}/api/"

    def close(self) -> None:
        with self.changed:  # long polls answer now ("stopping"), not when their 20 s are up
            self.closed = True
            self.changed.notify_all()
        self.server.shutdown()
        self.server.server_close()

    # -- scripting -----------------------------------------------------------------
    def script(self, method: str, *responses: Scripted) -> None:
        with self._lock:
            self._script.setdefault(method, []).extend(responses)

    def _answer(self, method: str, params: dict, auth: str = ""):
        with self._lock:
            queue = self._script.get(method) or []
            scripted = queue.pop(0) if queue else None
        if self.down:
            return 503, {"ok": False, "error": "service_unavailable"}, {}, 0
        if scripted is not None:
            body = scripted.body if scripted.body is not None else {"ok": scripted.status == 200}
            if scripted.status == 200 and scripted.body is None:
                body = self._reply(method, params, auth)
            return scripted.status, body, scripted.headers, scripted.delay
        return 200, self._reply(method, params, auth), {}, 0

    def _reply(self, method: str, params: dict, auth: str) -> dict:
        try:
            if self.strict and self.token and auth != f"Bearer {self.token}":
                raise Refused("invalid_auth")
            with self._lock:
                body = self._ok(method, params)
                self._touch()
            return body
        except Refused as refused:
            self.flag(method, params, [refused.error, *refused.detail], refused=True)
            body = {"ok": False, "error": refused.error}
            if refused.detail:
                body["response_metadata"] = {"messages": refused.detail[:10]}
            return body

    # -- the workspace ---------------------------------------------------------------
    def _touch(self) -> None:
        with self._lock:
            self.version += 1
            self.changed.notify_all()

    def flag(self, method: str, params: dict, errors: list[str], refused: bool = False) -> dict:
        """Remember something real Slack would refuse (`refused`) or warn about, for the page to show."""
        with self._lock:
            problem = {"n": len(self.problems) + 1, "at": time.time(), "method": method, "errors": list(errors),
                       "refused": refused, "channel": params.get("channel") or params.get("user_id"),
                       "payload": params}
            self.problems.append(problem)
            self._touch()
        return problem

    def new_ts(self) -> str:
        return f"{time.time() + next(self._ts) / 1000:.6f}"

    def next_seq(self) -> int:
        return next(self._seq)

    def issue_trigger(self, user: str) -> str:
        trigger = f"{next(self._ts)}.{secrets.token_hex(6)}"
        with self._lock:
            self.triggers[trigger] = (user, time.time())
        return trigger

    @staticmethod
    def _dm(channel: str) -> str:
        return "D" + channel[1:] if channel[:1] in ("U", "W") else channel

    def _known_channel(self, channel: str) -> bool:
        if not self.strict or not (self.channels or self.people):
            return True
        return channel in self.channels or (channel[:1] == "D" and ("U" + channel[1:]) in self.people)

    def _check(self, method: str, params: dict) -> list[str]:
        """Warnings the stand-in keeps (Slack accepts these), after `checker`'s refusals."""
        if self.checker is not None:
            errors = self.checker(method, params)
            if errors:
                code = "invalid_blocks" if method in POSTS else "invalid_arguments"
                if self.strict:
                    raise Refused(code, errors)
                self.flag(method, params, [code, *errors])
        if method in POSTS and not params.get("text"):
            return ["no `text` fallback: notifications and screen readers show nothing"]
        return []

    def _ok(self, method: str, params: dict) -> dict:  # noqa: C901 - one branch per Web API method
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": BOT_ID, "team_id": TEAM, "user": "safeshift"}
        if method == "chat.postMessage":
            channel = self._dm(params.get("channel", ""))
            if not self._known_channel(channel):
                raise Refused("channel_not_found")
            warnings = self._check(method, params)
            ts = self.new_ts()
            msg = {"type": "message", "text": params.get("text"), "ts": ts, "metadata": params.get("metadata"),
                   "thread_ts": params.get("thread_ts"), "blocks": params.get("blocks"), "user": BOT_USER,
                   "bot_id": BOT_ID, "reply_broadcast": bool(params.get("reply_broadcast")), "problems": warnings,
                   "seq": self.next_seq()}
            self.messages.setdefault(channel, []).append(msg)
            if self.on_post is not None:
                self.on_post(channel, msg)
            return {"ok": True, "channel": channel, "ts": ts, "message": {"text": params.get("text"), "ts": ts}}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": self._dm(str(params.get("users", "")).split(",")[0])}}
        if method in ("conversations.history", "conversations.replies"):
            oldest = float(params.get("oldest") or 0)
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
            channel = self._dm(params.get("channel", ""))
            found = self.find(channel, params.get("ts"))
            if found is None and self.strict:
                raise Refused("message_not_found")
            warnings = self._check(method, params)
            if found is not None:
                found.update(text=params.get("text"), blocks=params.get("blocks"), edited=True, problems=warnings)
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method == "chat.postEphemeral":
            channel = self._dm(params.get("channel", ""))
            if not self._known_channel(channel):
                raise Refused("channel_not_found")
            warnings = self._check(method, params)
            ts = self.new_ts()  # now, as Slack stamps it (the page shows its time)
            self.ephemeral.append({"type": "message", "channel": channel, "user": params.get("user"),
                                   "text": params.get("text"), "blocks": params.get("blocks"), "ts": ts,
                                   "thread_ts": params.get("thread_ts"), "from": BOT_USER, "problems": warnings,
                                   "seq": self.next_seq()})
            return {"ok": True, "message_ts": ts}
        if method in VIEWS:
            return self._view_call(method, params)
        if method == "users.info":
            person = self.people.get(params.get("user", ""))
            if person is None and self.strict:
                raise Refused("user_not_found")
            return {"ok": True, "user": self.user_object(params.get("user", ""))}
        if method == "users.list":
            return {"ok": True, "members": [self.user_object(u) for u in self.people],
                    "response_metadata": {"next_cursor": ""}}
        if method == "conversations.info":
            channel = params.get("channel", "")
            if not self._known_channel(channel):
                raise Refused("channel_not_found")
            return {"ok": True, "channel": self.channel_object(channel)}
        if method == "conversations.list":
            return {"ok": True, "channels": [self.channel_object(c) for c in self.channels],
                    "response_metadata": {"next_cursor": ""}}
        if method == "files.info":
            f = self.files.get(params.get("file", ""))
            if f is None:
                raise Refused("file_not_found")
            return {"ok": True, "file": f}
        if method == "files.getUploadURLExternal":
            if not params.get("filename") or not str(params.get("length", "")).isdigit():
                raise Refused("invalid_arguments")
            file_id = f"F{next(self._ts):08d}"
            self.files[file_id] = {"id": file_id, "name": params["filename"], "size": int(params["length"]),
                                   "uploaded": False}
            return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}
        if method == "files.completeUploadExternal":
            return self._complete_upload(params)
        if method == "files.delete":  # Slack takes the file out of every message that shares it
            if self.files.pop(params.get("file", ""), None) is None:
                raise Refused("file_not_found")
            self.file_bytes.pop(params["file"], None)
            for channel, messages in self.messages.items():
                for m in messages:
                    if m.get("files"):
                        m["files"] = [f for f in m["files"] if f.get("id") != params["file"]]
                self.messages[channel] = [m for m in messages if m.get("subtype") != "file_share" or m["files"]]
            return {"ok": True}
        if method == "chat.getPermalink":
            return {"ok": True, "channel": params.get("channel"),
                    "permalink": f"{self.base}/#{params.get('channel')}/{params.get('message_ts')}"}
        if method in ("reactions.add", "reactions.remove"):
            found = self.find(self._dm(params.get("channel", "")), params.get("timestamp"))
            if found is None:
                if self.strict:
                    raise Refused("message_not_found")
                return {"ok": True}
            reactions = found.setdefault("reactions", [])
            entry = next((r for r in reactions if r["name"] == params.get("name")), None)
            if method == "reactions.add":
                if entry is None:
                    entry = {"name": params.get("name"), "users": [], "count": 0}
                    reactions.append(entry)
                if BOT_USER in entry["users"]:
                    raise Refused("already_reacted")
                entry["users"].append(BOT_USER)
            elif entry is None or BOT_USER not in entry["users"]:
                raise Refused("no_reaction")
            else:
                entry["users"].remove(BOT_USER)
            entry["count"] = len(entry["users"])
            found["reactions"] = [r for r in reactions if r["count"]]
            return {"ok": True}
        if method == "chat.delete":
            msgs = self.messages.get(self._dm(params.get("channel", "")), [])
            msgs[:] = [m for m in msgs if m.get("ts") != params.get("ts")]
            return {"ok": True, "channel": params.get("channel"), "ts": params.get("ts")}
        if method not in KNOWN and self.strict:
            self.flag(method, params, [f"{method} is not simulated by the sandbox: answered ok:true, did nothing"])
        return {"ok": True}

    # -- views -------------------------------------------------------------------------
    def _view_call(self, method: str, params: dict) -> dict:
        view = params.get("view") or {}
        if isinstance(view, str):
            try:
                view = json.loads(view)
            except ValueError:
                raise Refused("invalid_arguments", ["view is not JSON"]) from None
        user = None
        if method in ("views.open", "views.push"):
            issued = self.triggers.get(str(params.get("trigger_id")))
            if issued is not None:
                user = issued[0]
                if time.time() - issued[1] > self.trigger_ttl and self.strict:
                    raise Refused("expired_trigger_id")
            elif self.strict:
                raise Refused("invalid_trigger_id")
        self._check(method, {"view": view})
        if method == "views.publish":
            user = params.get("user_id")
            view_id = self.homes.get(user) or f"V{next(self._ts):06d}"
            self.homes[user] = view_id
        elif method == "views.update":
            view_id = params.get("view_id") or next(
                (v["id"] for v in self.views.values() if v["view"].get("external_id") == params.get("external_id")
                 and params.get("external_id")), None)
            if view_id not in self.views and self.strict:
                raise Refused("not_found")
            view_id = view_id or f"V{next(self._ts):06d}"
            user = (self.views.get(view_id) or {}).get("user")
        else:
            view_id = f"V{next(self._ts):06d}"
            stack = self.modals.setdefault(user, [])
            if method == "views.open":
                stack.clear()
            elif len(stack) >= MODAL_STACK and self.strict:
                raise Refused("push_limit_reached")
            stack.append(view_id)
        stored = self.with_ids(view)
        stored.update(id=view_id, team_id=TEAM, app_id="ASANDBOX", bot_id=BOT_ID, hash=secrets.token_hex(6),
                      state={"values": {}})
        self.views[view_id] = {"id": view_id, "user": user, "view": stored, "errors": {},
                               "kind": "home" if method == "views.publish" else "modal"}
        return {"ok": True, "view": stored}

    def with_ids(self, view: dict) -> dict:
        """The view as Slack keeps it: every block has a block_id and every element an action_id."""
        view = json.loads(json.dumps(view))
        for i, block in enumerate(view.get("blocks") or []):
            if isinstance(block, dict):
                block.setdefault("block_id", f"b{i}{secrets.token_hex(2)}")
                elements = block.get("elements") if block.get("type") == "actions" else \
                    [block.get("element") or block.get("accessory")]
                for j, element in enumerate(elements or []):
                    if isinstance(element, dict):
                        element.setdefault("action_id", f"a{j}{secrets.token_hex(2)}")
        return view

    def close_modal(self, user: str, view_id: str | None = None, everything: bool = False) -> None:
        with self._lock:
            stack = self.modals.get(user, [])
            if everything:
                stack.clear()
            elif stack and (view_id is None or stack[-1] == view_id):
                stack.pop()
            self._touch()

    # -- reading -------------------------------------------------------------------
    def receive_upload(self, file_id: str, data: bytes) -> None:
        with self._lock:
            self.calls.append(Call("upload", {"file_id": file_id, "length": len(data)}, time.time(), 200))
            if file_id in self.files:
                self.file_bytes[file_id] = data
                self.files[file_id]["uploaded"] = len(data) == self.files[file_id]["size"]

    def _complete_upload(self, params: dict) -> dict:
        """Share uploaded files: each must have been uploaded whole; one message in the channel (or thread)."""
        files = params.get("files")
        if not isinstance(files, list) or not files:
            raise Refused("invalid_arguments")
        out = []
        for f in files:
            known = self.files.get(f.get("id", ""))
            if known is None or not known.get("uploaded"):
                raise Refused("file_not_found" if known is None else "file_upload_incomplete")
            known.update(title=f.get("title") or known["name"], mimetype="image/png"
                         if known["name"].endswith(".png") else "application/octet-stream")
            out.append(dict(known))
        channel = self._dm(params.get("channel_id", ""))
        if channel:
            if not self._known_channel(channel):
                raise Refused("channel_not_found")
            self.messages.setdefault(channel, []).append({
                "type": "message", "subtype": "file_share", "text": params.get("initial_comment") or "",
                "ts": self.new_ts(), "thread_ts": params.get("thread_ts"), "files": out, "user": BOT_USER,
                "bot_id": BOT_ID, "seq": self.next_seq(), "problems": []})
        return {"ok": True, "files": [{"id": f["id"], "title": f["title"]} for f in out]}

    def find(self, channel: str, ts: str | None) -> dict | None:
        with self._lock:
            return next((m for m in self.messages.get(channel, []) if m.get("ts") == ts), None)

    def user_object(self, user: str) -> dict:
        person = self.people.get(user) or {}
        name = person.get("name", user)
        return {"id": user, "team_id": TEAM, "name": name.lower().replace(" ", "."), "real_name": name,
                "tz": person.get("tz", "Asia/Shanghai"), "is_bot": False,
                "profile": {"real_name": name, "display_name": name}}

    def channel_object(self, channel: str) -> dict:
        info = self.channels.get(channel) or {}
        return {"id": channel, "name": info.get("name", channel.lower()), "is_channel": channel[:1] == "C",
                "is_im": channel[:1] == "D", "is_member": True}

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
