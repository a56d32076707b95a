"""The people of the workspace, acting through Slack: what Slack sends the bot when someone types,
clicks, submits a modal or opens the Home tab, signed exactly as Slack signs it.

Generic on purpose: any slash command the manifest lists is a command, any event it subscribes to
is delivered, any button or select in any message, modal or Home tab is an action. Answers the bot
gives in the HTTP response (a command's ephemeral text, a modal's `response_action`) are applied
to the workspace like Slack applies them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import queue
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from sandbox.slack import BOT_ID, BOT_USER, TEAM, FakeSlack, Refused

SLACK_TIMEOUT = 3.0  # Slack gives up on the app after 3 seconds and shows the person an error
SLACKBOT = "USLACKBOT"
BOT_NAME = "SafeShift"  # what people type after @ to mention the app
APP_ID = "ASANDBOX"


def sign(secret: str, body: str, timestamp: int | None = None) -> dict:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig}


def _event_kind(channel: str) -> str:
    return {"C": "message.channels", "G": "message.groups", "D": "message.im"}.get(channel[:1], "message.channels")


class People:
    """Slack's side of the conversation with the bot at `bot_url` (its /slack/events)."""

    def __init__(self, slack: FakeSlack, bot_url: str, signing_secret: str, commands: list[str],
                 bot_events: list[str], shortcuts: list[dict] | None = None, run_token: str = "-"):
        self.slack, self.bot_url, self.secret = slack, bot_url, signing_secret
        # response_url: only the bot learns it (the per-run token in the path), so no web page can post there
        self.respond_base = f"{slack.base}/sandbox/respond/{run_token}"
        self.commands = list(commands)
        self.shortcuts = list(shortcuts or [])  # the manifest's: {name, type: message|global, callback_id}
        self.slow_after = SLACK_TIMEOUT  # a test on a loaded machine may allow more than Slack does
        self.bot_events = set(bot_events)
        self._events: queue.Queue = queue.Queue()  # delivered one by one, in order, like Slack's event stream
        self._worker = threading.Thread(target=self._deliver_events, daemon=True, name="sandbox-events")
        self._worker.start()
        slack.on_post = self._bot_posted

    # -- the wire ------------------------------------------------------------------
    def _post(self, body: str, content_type: str, where: str) -> tuple[int, object]:
        headers = {"Content-Type": content_type, **sign(self.secret, body)}
        req = urllib.request.Request(self.bot_url, data=body.encode(), headers=headers, method="POST")
        started = time.monotonic()
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                status, raw = resp.status, resp.read().decode()
        except urllib.error.HTTPError as err:
            status, raw = err.code, err.read().decode(errors="replace")
        except OSError as err:
            self.slack.flag(where, {}, [f"the app did not answer: {type(err).__name__}"], refused=True)
            return 0, None
        took = time.monotonic() - started
        if took > self.slow_after:
            self.slack.flag(where, {}, [f"the app answered after {took:.1f} s: Slack gives up after "
                                        f"{self.slow_after:.0f} s (operation_timeout)"], refused=True)
        if status != 200:
            self.slack.flag(where, {}, [f"the app answered HTTP {status}"], refused=True)
        try:
            answer = json.loads(raw) if raw.strip().startswith("{") else raw
        except ValueError:
            answer = raw
        return status, answer

    def _interactive(self, payload: dict, where: str):
        return self._post(urllib.parse.urlencode({"payload": json.dumps(payload)}),
                          "application/x-www-form-urlencoded", where)

    @staticmethod
    def _user(user: str) -> dict:
        return {"id": user, "username": user.lower(), "name": user.lower(), "team_id": TEAM}

    # -- typing ----------------------------------------------------------------------
    def type(self, user: str, channel: str, text: str, thread_ts: str | None = None) -> dict:
        """What a person types in the composer: a slash command when it starts with one, else a message."""
        text = text.strip()
        if text.startswith("/"):
            command, _, rest = text.partition(" ")
            if command not in self.commands:
                self._slackbot(user, channel, f"{command} is not a valid command. In Slack, all messages that "
                                              f"start with the \"/\" character are interpreted as commands.")
                return {"ok": False, "error": "not_a_command"}
            return self.command(user, channel, command, rest.strip())
        return self.say(user, channel, text, thread_ts)

    def command(self, user: str, channel: str, command: str, text: str) -> dict:
        fields = {"token": "sandbox", "team_id": TEAM, "team_domain": "sandbox", "channel_id": channel,
                  "channel_name": (self.slack.channels.get(channel) or {}).get("name", "directmessage"),
                  "user_id": user, "user_name": user.lower(), "command": command, "text": text,
                  "api_app_id": APP_ID, "is_enterprise_install": "false",
                  "response_url": f"{self.respond_base}/{channel}/{user}",
                  "trigger_id": self.slack.issue_trigger(user)}
        status, answer = self._post(urllib.parse.urlencode(fields), "application/x-www-form-urlencoded", command)
        if status != 200:
            self._slackbot(user, channel, f"{command} failed with the error \"dispatch_failed\"")
            return {"ok": False, "error": "dispatch_failed"}
        if isinstance(answer, dict) and (answer.get("text") or answer.get("blocks")):
            self.respond(channel, user, answer)
        elif isinstance(answer, str) and answer.strip():
            self.respond(channel, user, {"text": answer})
        return {"ok": True}

    def respond(self, channel: str, user: str, answer: dict) -> None:
        """A command's answer (in the HTTP response or at its response_url), as Slack shows it."""
        params = {"channel": channel, "text": answer.get("text"), "blocks": answer.get("blocks")}
        try:
            problems = self.slack._check("chat.postEphemeral", params)
        except Refused as refused:  # Slack shows the person an error instead of the answer
            self.slack.flag("command response", params, [refused.error, *refused.detail], refused=True)
            self._slackbot(user, channel, f"The command failed with the error \"{refused.error}\"")
            return
        with self.slack._lock:
            if answer.get("response_type") == "in_channel":
                self.slack.messages.setdefault(channel, []).append(
                    {"type": "message", "ts": self.slack.new_ts(), "text": answer.get("text"),
                     "blocks": answer.get("blocks"), "user": BOT_USER, "bot_id": BOT_ID, "problems": problems,
                     "seq": self.slack.next_seq()})
            else:
                self.slack.ephemeral.append({"type": "message", "channel": channel, "user": user, "from": BOT_USER,
                                             "ts": self.slack.new_ts(), "text": answer.get("text"),
                                             "blocks": answer.get("blocks"), "problems": problems,
                                             "seq": self.slack.next_seq()})
            self.slack._touch()

    def _slackbot(self, user: str, channel: str, text: str) -> None:
        with self.slack._lock:
            self.slack.ephemeral.append({"type": "message", "channel": channel, "user": user, "from": SLACKBOT,
                                         "ts": self.slack.new_ts(), "text": text, "blocks": None, "problems": [],
                                         "seq": self.slack.next_seq()})
            self.slack._touch()

    def slack_text(self, typed: str) -> str:
        """What Slack makes of typed text: `& < >` escaped, `@Name` of a person (or the app) a mention."""
        text = typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        names = {p.get("name", u): u for u, p in self.slack.people.items()}
        names[BOT_NAME] = BOT_USER
        for name in sorted(names, key=len, reverse=True):
            text = text.replace("@" + name, f"<@{names[name]}>")
        return text

    def react(self, user: str, channel: str, ts: str, name: str) -> dict:
        """A reaction on a message, or taking one's own back: `reaction_added` / `reaction_removed`."""
        message = self.slack.find(channel, ts)
        if message is None:
            return {"ok": False, "error": "message_not_found"}
        with self.slack._lock:
            reactions = message.setdefault("reactions", [])
            entry = next((r for r in reactions if r["name"] == name), None)
            if entry is None:
                entry = {"name": name, "users": [], "count": 0}
                reactions.append(entry)
            removed = user in entry["users"]
            if removed:
                entry["users"].remove(user)
            else:
                entry["users"].append(user)
            entry["count"] = len(entry["users"])
            message["reactions"] = [r for r in reactions if r["count"]]
            self.slack._touch()
        kind = "reaction_removed" if removed else "reaction_added"
        self.event(kind, {"type": kind, "user": user, "reaction": name, "item_user": message.get("user"),
                          "item": {"type": "message", "channel": channel, "ts": ts}, "event_ts": self.slack.new_ts()})
        return {"ok": True}

    def say(self, user: str, channel: str, typed: str, thread_ts: str | None = None, files: list | None = None) -> dict:
        text = self.slack_text(typed)
        ts = self.slack.new_ts()
        message = {"type": "message", "user": user, "text": text, "ts": ts, "thread_ts": thread_ts,
                   "team": TEAM, "blocks": None, "problems": [], "seq": self.slack.next_seq()}
        if files:
            message["files"], message["subtype"] = files, "file_share"
        with self.slack._lock:
            self.slack.messages.setdefault(channel, []).append(message)
            self.slack._touch()
        event = {k: v for k, v in message.items() if v is not None and k not in ("problems", "blocks")}
        event.update(channel=channel, event_ts=ts, channel_type={"D": "im", "G": "group"}.get(channel[:1], "channel"))
        self.event(_event_kind(channel), event)
        if f"<@{BOT_USER}>" in text:  # Slack sends both: the message, and the mention of the app
            self.event("app_mention", dict({k: v for k, v in event.items() if k not in ("channel_type", "subtype")},
                                           type="app_mention"))
        return {"ok": True, "ts": ts}

    def _bot_posted(self, channel: str, message: dict) -> None:
        """Slack tells the app about its own posts too (with bot_id): the app must ignore them."""
        event = {"type": "message", "subtype": "bot_message", "channel": channel, "ts": message["ts"],
                 "text": message.get("text") or "", "bot_id": BOT_ID, "user": BOT_USER, "event_ts": message["ts"],
                 "channel_type": {"D": "im", "G": "group"}.get(channel[:1], "channel")}
        if message.get("thread_ts"):
            event["thread_ts"] = message["thread_ts"]
        self.event(_event_kind(channel), event)

    # -- events ----------------------------------------------------------------------
    def event(self, subscription: str, event: dict) -> bool:
        """Queue an Events API delivery if the app subscribes to it (`message.channels`, `app_home_opened`…)."""
        if subscription not in self.bot_events:
            return False
        self._events.put(event)
        return True

    def _deliver_events(self) -> None:
        while True:
            event = self._events.get()
            if event is None:
                return
            try:
                self._send_event(event)
            finally:
                self._events.task_done()

    def _send_event(self, event: dict) -> None:
        body = {"token": "sandbox", "team_id": TEAM, "api_app_id": APP_ID, "type": "event_callback",
                "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}", "event_time": int(time.time()),
                "event": event, "authorizations": [{"team_id": TEAM, "user_id": BOT_USER, "is_bot": True}],
                "is_ext_shared_channel": False}
        self._post(json.dumps(body), "application/json", f"event {event.get('type')}")

    def idle(self, timeout: float = 10.0) -> bool:
        """True once every queued event has been delivered."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self._events.unfinished_tasks == 0:
                return True
            time.sleep(0.02)
        return False

    def open_home(self, user: str) -> None:
        view_id = self.slack.homes.get(user)
        event = {"type": "app_home_opened", "user": user, "channel": "D" + user[1:], "tab": "home",
                 "event_ts": self.slack.new_ts()}
        if view_id:
            event["view"] = self.slack.views[view_id]["view"]
        self.event("app_home_opened", event)

    # -- clicking ----------------------------------------------------------------------
    def act(self, user: str, where: dict, action: dict, state: dict | None = None) -> dict:
        """A button or select: `where` is {"channel", "ts", "ephemeral"} for a message or {"view_id"}
        for a modal or the Home tab; `action` is the element's action payload (action_id, block_id, type,
        value / selected_option …)."""
        payload = {"type": "block_actions", "team": {"id": TEAM, "domain": "sandbox"}, "user": self._user(user),
                   "api_app_id": APP_ID, "token": "sandbox", "trigger_id": self.slack.issue_trigger(user),
                   "actions": [dict(action, action_ts=f"{time.time():.6f}")], "is_enterprise_install": False}
        view_id = where.get("view_id")
        if view_id:
            stored = self.slack.views.get(view_id)
            if stored is None:
                return {"ok": False, "error": "view_not_found"}
            view = dict(stored["view"], state={"values": state or {}})
            payload.update(container={"type": "view", "view_id": view_id}, view=view)
        else:
            channel, ts = where.get("channel", ""), where.get("ts", "")
            payload.update(container={"type": "message", "message_ts": ts, "channel_id": channel,
                                      "is_ephemeral": bool(where.get("ephemeral"))},
                           channel={"id": channel, "name": (self.slack.channels.get(channel) or {}).get("name", "")},
                           response_url=f"{self.respond_base}/{channel}/{user}",
                           state={"values": state or {}})
            message = self.slack.find(channel, ts)
            if message is not None:
                payload["message"] = {k: v for k, v in message.items() if k != "problems" and v is not None}
        status, _answer = self._interactive(payload, f"click {action.get('action_id')}")
        return {"ok": status == 200}

    def shortcut(self, user: str, callback_id: str, channel: str | None = None, ts: str | None = None) -> dict:
        """A shortcut of the manifest: a message shortcut on the message (channel, ts), or a global one."""
        known = next((s for s in self.shortcuts if s.get("callback_id") == callback_id), None)
        if known is None:
            return {"ok": False, "error": "no_such_shortcut"}
        payload = {"type": "shortcut", "callback_id": callback_id, "team": {"id": TEAM, "domain": "sandbox"},
                   "user": self._user(user), "api_app_id": APP_ID, "token": "sandbox",
                   "trigger_id": self.slack.issue_trigger(user), "action_ts": f"{time.time():.6f}",
                   "is_enterprise_install": False}
        if known.get("type") == "message":
            message = self.slack.find(channel or "", ts)
            if message is None:
                return {"ok": False, "error": "message_not_found"}
            payload.update(type="message_action", message_ts=ts,
                           channel={"id": channel, "name": (self.slack.channels.get(channel) or {}).get("name", "")},
                           message={k: v for k, v in message.items() if k not in ("problems", "seq") and v is not None},
                           response_url=f"{self.respond_base}/{channel}/{user}")
        status, _answer = self._interactive(payload, f"shortcut {callback_id}")
        return {"ok": status == 200}

    def submit(self, user: str, view_id: str, state: dict) -> dict:
        stored = self.slack.views.get(view_id)
        if stored is None:
            return {"ok": False, "error": "view_not_found"}
        view = dict(stored["view"], state={"values": state})
        payload = {"type": "view_submission", "team": {"id": TEAM, "domain": "sandbox"}, "user": self._user(user),
                   "api_app_id": APP_ID, "token": "sandbox", "trigger_id": self.slack.issue_trigger(user),
                   "view": view, "response_urls": [], "is_enterprise_install": False}
        status, answer = self._interactive(payload, f"submit {view.get('callback_id')}")
        if status != 200:
            stored["errors"] = {"": "We had some trouble connecting. Try again?"}
            self.slack._touch()
            return {"ok": False, "error": "trouble_connecting"}
        answer = answer if isinstance(answer, dict) else {}
        action = answer.get("response_action")
        if action == "errors":
            stored["errors"] = dict(answer.get("errors") or {})
            self.slack._touch()
            return {"ok": False, "errors": stored["errors"]}
        if action in ("update", "push"):
            new = answer.get("view") or {}
            problems = self.slack.checker("views.update", {"view": new}) if self.slack.checker else []
            if problems:
                self.slack.flag(f"response_action {action}", {"view": new}, ["invalid_arguments", *problems],
                                refused=True)
            with self.slack._lock:
                new_id = view_id if action == "update" else f"V{uuid.uuid4().hex[:8].upper()}"
                shown = self.slack.with_ids(new)
                shown.update(id=new_id, hash=uuid.uuid4().hex[:12], state={"values": {}})
                self.slack.views[new_id] = {"id": new_id, "user": user, "view": shown, "errors": {}, "kind": "modal"}
                if action == "push":
                    self.slack.modals.setdefault(user, []).append(new_id)
                self.slack._touch()
            return {"ok": True}
        self.slack.close_modal(user, view_id, everything=action == "clear")
        return {"ok": True}

    def close_view(self, user: str, view_id: str) -> dict:
        """The person closes a modal (×): `view_closed` if the view asked for it."""
        stored = self.slack.views.get(view_id)
        if stored and stored["view"].get("notify_on_close"):
            payload = {"type": "view_closed", "team": {"id": TEAM}, "user": self._user(user), "api_app_id": APP_ID,
                       "view": stored["view"], "is_cleared": False}
            self._interactive(payload, "view_closed")
        self.slack.close_modal(user, view_id)
        return {"ok": True}

    def stop(self) -> None:
        self._events.put(None)
