"""The sandbox's page and its small JSON API, served from the stand-in's own port.

GET  /                     the page (static/index.html, app.js, style.css: no build step)
GET  /sandbox/state?as=U…  the workspace as that person sees it (their ephemerals, modal and Home tab)
GET  /sandbox/wait?v=N     long poll: answers as soon as the workspace changes from version N (or after 20 s)
POST /sandbox/act          {"do": "type" | "action" | "submit" | "close" | "home" | "react" | "shortcut",
                           "as": U…, …}
POST /sandbox/upload?name= a file picked in a modal's file input: becomes a Slack file (F…)
GET  /files/F…/name        a file's bytes (images inline; anything else as a download)
POST /sandbox/respond/C…/U… a command's response_url

Only 127.0.0.1 / localhost may call it (Host checked). Another web page open in the person's browser
must not drive the sandbox: the page's POSTs carry the per-run token the page got in its own HTML
(`X-Sandbox-Token`, which no other origin can read or send without a CORS preflight this server never
grants), a same-origin `Origin`, and `/sandbox/act` takes exactly `application/json`. A command's
response_url has the token in its path: only the bot learns it. Anything malformed is a 4xx with a reason.
"""

from __future__ import annotations

import hmac
import json
import mimetypes
import secrets
import time
import urllib.parse
from pathlib import Path

from sandbox.labels import fill, labels

STATIC = Path(__file__).resolve().parent / "static"
PAGES = {"/": "index.html", "/index.html": "index.html", "/app.js": "app.js", "/style.css": "style.css"}
WAIT = 20.0  # seconds a long poll is held open
MAX_UPLOAD = 5 * 1024 * 1024
INLINE_IMAGES = {"image/png", "image/jpeg", "image/gif", "image/webp"}
CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
       "object-src 'none'; frame-ancestors 'none'; base-uri 'none'")
PROBLEMS_SHOWN = 200
MAX_JSON = 1024 * 1024
TOKEN_PLACEHOLDER = b"__SANDBOX_TOKEN__"  # in static/index.html: the page reads it from its own HTML


def _send(handler, status: int, body: bytes, ctype: str, extra: dict | None = None) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("Cache-Control", "no-store")
    handler.send_header("X-Content-Type-Options", "nosniff")
    for k, v in (extra or {}).items():
        handler.send_header(k, v)
    handler.end_headers()
    handler.wfile.write(body)


def _json(handler, data, status: int = 200) -> None:
    _send(handler, status, json.dumps(data, ensure_ascii=False).encode(), "application/json; charset=utf-8")


def _local(handler) -> bool:
    host = (handler.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
    return host in ("127.0.0.1", "localhost", "::1")


def _same_origin(box, handler, required: bool) -> bool:
    """The page's own origin (browsers send Origin with every POST); absent only where `required` is False
    (the bot posting to a response_url is no browser)."""
    origin = handler.headers.get("Origin")
    if origin is None:
        return not required
    port = box.slack.server.server_address[1]
    return origin in (f"http://127.0.0.1:{port}", f"http://localhost:{port}", f"http://[::1]:{port}")


def _token_ok(box, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(str(presented).encode(), box.run_token.encode())


def _exactly_json(handler) -> bool:
    """`application/json`, with at most a charset parameter: not `text/plain; application/json`."""
    media, *params = [p.strip().lower() for p in (handler.headers.get("Content-Type") or "").split(";")]
    return media == "application/json" and all(p in ("charset=utf-8", "charset=\"utf-8\"", "") for p in params)


def _refuse(handler, status: int, reason: str) -> bool:
    _json(handler, {"ok": False, "error": reason}, status)
    return True


def snapshot(box, me: str) -> dict:
    """The workspace as `me` sees it."""
    slack = box.slack
    with slack._lock:
        people = [{"id": u, "name": p.get("name", u), "role": p.get("role", "")} for u, p in slack.people.items()]
        channels = [{"id": c, "name": info.get("name", c), "kind": "channel"} for c, info in slack.channels.items()]
        dm = "D" + me[1:]
        channels.append({"id": dm, "name": "SafeShift", "kind": "im"})
        shown = {c["id"] for c in channels}
        messages: dict[str, list] = {c: [] for c in shown}
        for channel, msgs in slack.messages.items():
            if channel in shown:
                messages[channel] = [_message(m, i) for i, m in enumerate(msgs)]
        for e in slack.ephemeral:
            if e.get("user") == me and e.get("channel") in shown:
                messages[e["channel"]].append(dict(_message(e, 0), ephemeral=True, user=e.get("from"),
                                                  bot=e.get("from") == "UBOT"))
        for msgs in messages.values():
            msgs.sort(key=lambda m: m["seq"])
        stack = slack.modals.get(me) or []
        modal = slack.views.get(stack[-1]) if stack else None
        home = slack.views.get(slack.homes.get(me, ""))
        problems = [{k: p[k] for k in ("n", "at", "method", "errors", "refused", "channel")} |
                    {"blocks": (p["payload"] or {}).get("blocks"), "view": (p["payload"] or {}).get("view"),
                     "text": (p["payload"] or {}).get("text")} for p in slack.problems[-PROBLEMS_SHOWN:]]
        return {
            "version": slack.version, "me": me, "bot": {"id": "UBOT", "name": "SafeShift"},
            "people": people, "channels": channels, "messages": messages, "commands": box.commands,
            "shortcuts": [{k: s.get(k) for k in ("name", "type", "callback_id")} for s in box.shortcuts],
            "modal": {"id": modal["id"], "view": modal["view"], "errors": modal["errors"], "depth": len(stack)}
            if modal else None,
            "home": home["view"] if home else None,
            "problems": problems, "problem_count": len(slack.problems),
            "validation": {"on": box.checker.on, "why": box.checker.why_off, "schema": str(box.checker.path)},
            "lang": box.lang, "labels": labels(box.lang), "fast": box.fast, "files": {f: {"name": v["name"], "url": v["url_private"],
                                                                "mimetype": v["mimetype"]}
                                                            for f, v in slack.files.items()},
        }


def _message(m: dict, index: int) -> dict:
    return {"ts": m.get("ts"), "seq": m.get("seq", index), "user": m.get("user"), "text": m.get("text"),
            "blocks": m.get("blocks"), "thread_ts": m.get("thread_ts"), "edited": bool(m.get("edited")),
            "files": m.get("files"), "problems": m.get("problems") or [], "ephemeral": False,
            "reactions": m.get("reactions") or [],
            "bot": bool(m.get("bot_id"))}


def _upload(box, handler, query: dict, data: bytes) -> None:
    name = Path(str(query.get("name", "file"))).name[:200] or "file"
    mimetype = (handler.headers.get("Content-Type") or mimetypes.guess_type(name)[0] or
                "application/octet-stream").split(";")[0].strip()
    slack = box.slack
    file_id = "F" + secrets.token_hex(5).upper()
    url = f"{slack.base}/files/{file_id}/{urllib.parse.quote(name)}"
    f = {"id": file_id, "created": int(time.time()), "timestamp": int(time.time()), "name": name, "title": name,
         "mimetype": mimetype, "filetype": (Path(name).suffix.lstrip(".").lower() or "binary"), "size": len(data),
         "user": str(query.get("as", "")), "url_private": url, "url_private_download": url, "permalink": url,
         "is_external": False, "mode": "hosted"}
    with slack._lock:
        slack.files[file_id] = f
        slack.file_bytes[file_id] = data
        slack._touch()
    _json(handler, {"ok": True, "file": f})


def _file(box, handler, path: str) -> None:
    parts = path.split("/")
    file_id = parts[2] if len(parts) > 2 else ""
    f = box.slack.files.get(file_id)
    if f is None:
        return _send(handler, 404, b"no such file", "text/plain")
    inline = f["mimetype"] in INLINE_IMAGES
    _send(handler, 200, box.slack.file_bytes[file_id], f["mimetype"] if inline else "application/octet-stream",
          {"Content-Disposition": "inline" if inline else "attachment",
           "Content-Security-Policy": "default-src 'none'; sandbox"})


def _act(box, body: dict) -> dict:
    me = str(body.get("as") or "")
    if me not in box.slack.people:
        return {"ok": False, "error": "who are you? (`as` must be a person of the demo organisation)"}
    kind = body.get("do")
    people = box.people
    if kind == "type":
        return people.type(me, str(body.get("channel") or ""), str(body.get("text") or ""), body.get("thread_ts"))
    if kind == "action":
        return people.act(me, body.get("where") or {}, body.get("action") or {}, body.get("state") or {})
    if kind == "submit":
        return people.submit(me, str(body.get("view_id") or ""), body.get("state") or {})
    if kind == "close":
        return people.close_view(me, str(body.get("view_id") or ""))
    if kind == "shortcut":
        return people.shortcut(me, str(body.get("callback_id") or ""), body.get("channel"), body.get("ts"))
    if kind == "react":
        return people.react(me, str(body.get("channel") or ""), str(body.get("ts") or ""), str(body.get("name") or ""))
    if kind == "home":
        people.open_home(me)
        return {"ok": True}
    return {"ok": False, "error": f"unknown action {kind!r}"}


def routes(box):
    """The sandbox's routes for the stand-in's HTTP server (`FakeSlack.extra_routes`).

    Every path outside the Web API (`/api/…`) is answered here, a 404 included: nothing falls through to the
    API handler (which would read the body a second time and wait for bytes that never come)."""

    def handle(handler, method: str, raw_path: str) -> bool:
        parsed = urllib.parse.urlsplit(raw_path)
        path, query = parsed.path, {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query).items()}
        if not _local(handler):
            _send(handler, 403, b"the sandbox answers on 127.0.0.1 only", "text/plain")
            return True
        if box.slack.closed:  # a kept-alive connection of a stopped run: close it, so the page reaches the next run
            handler.close_connection = True
            _send(handler, 503, b'{"ok": false, "error": "the sandbox is stopping"}', "application/json",
                  {"Connection": "close"})
            return True
        if method == "GET" and path in PAGES:
            name = PAGES[path]
            ctype = {"html": "text/html", "js": "text/javascript", "css": "text/css"}[name.rsplit(".", 1)[1]]
            body = (STATIC / name).read_bytes()
            if name == "index.html":
                body = fill(body.replace(TOKEN_PLACEHOLDER, box.run_token.encode()), box.lang)  # --lang
            _send(handler, 200, body, ctype + "; charset=utf-8", {"Content-Security-Policy": CSP})
            return True
        if method == "GET" and path.startswith("/files/"):
            _file(box, handler, path)
            return True
        if method == "GET" and path.startswith("/sandbox/") and not box.ready:
            return _refuse(handler, 503, "the sandbox is starting: try again in a moment")
        if method == "GET" and path == "/sandbox/state":
            me = str(query.get("as") or next(iter(box.slack.people)))
            if me not in box.slack.people:
                return _refuse(handler, 400, "`as` must be a person of the demo organisation")
            _json(handler, snapshot(box, me))
            return True
        if method == "GET" and path == "/sandbox/wait":
            try:
                seen = int(query.get("v", "-1"))
            except ValueError:
                return _refuse(handler, 400, "`v` must be a version number (an integer)")
            with box.slack.changed:
                box.slack.changed.wait_for(lambda: box.slack.version != seen or box.slack.closed, timeout=WAIT)
                version, closed = box.slack.version, box.slack.closed
            if closed:  # the page polls again until a sandbox answers (a restart)
                handler.close_connection = True
                _send(handler, 503, b'{"ok": false, "error": "the sandbox is stopping"}', "application/json",
                      {"Connection": "close"})
                return True
            _json(handler, {"version": version})
            return True
        if method != "POST":
            return False  # the stand-in answers 404
        try:
            length = int(handler.headers.get("Content-Length") or 0)
        except ValueError:
            return _refuse(handler, 400, "Content-Length is not a number")
        limit = MAX_UPLOAD if path == "/sandbox/upload" else MAX_JSON
        if length < 0 or length > limit:
            handler.close_connection = True  # the body is left unread
            return _refuse(handler, 413, f"the body is larger than {limit} bytes")
        raw = handler.rfile.read(length) if length else b""  # read first: the connection stays in step
        if not box.ready:
            return _refuse(handler, 503, "the sandbox is starting: try again in a moment")
        if path in ("/sandbox/act", "/sandbox/upload"):
            if not _same_origin(box, handler, required=True):
                return _refuse(handler, 403, "the sandbox's page only: Origin must be this page's own")
            if not _token_ok(box, handler.headers.get("X-Sandbox-Token")):
                return _refuse(handler, 403, "the sandbox's page only: X-Sandbox-Token missing or not this run's")
            if path == "/sandbox/upload":
                _upload(box, handler, query, raw)
                return True
        if path == "/sandbox/act" or path.startswith("/sandbox/respond/"):
            if not _exactly_json(handler):
                return _refuse(handler, 415, "Content-Type must be exactly application/json")
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return _refuse(handler, 400, "the body is not JSON")
            if not isinstance(body, dict):
                return _refuse(handler, 400, "the body must be a JSON object")
        if path == "/sandbox/act":
            _json(handler, _act(box, body))
            return True
        if path.startswith("/sandbox/respond/"):
            parts = path.split("/")  # "", sandbox, respond, token, channel, user
            if not _same_origin(box, handler, required=False):
                return _refuse(handler, 403, "a response_url takes the bot's posts, not a web page's")
            if len(parts) != 6 or not all(parts[3:]):
                return _refuse(handler, 404, "a response_url is /sandbox/respond/<run token>/<channel>/<user>")
            if not _token_ok(box, parts[3]):
                return _refuse(handler, 403, "not this run's response_url (its token differs)")
            channel, user = parts[4], parts[5]
            if user not in box.slack.people or not box.slack._known_channel(channel):
                return _refuse(handler, 404, "no such channel or person in the demo workspace")
            box.people.respond(channel, user, body)
            _json(handler, {"ok": True})
            return True
        return _refuse(handler, 404, f"no such sandbox route: POST {path}")

    return handle
