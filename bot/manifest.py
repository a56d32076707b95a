"""The Slack app manifest: every command, scope, event and interactivity setting SafeShift needs."""

from __future__ import annotations

import yaml

from bot import __version__
from bot.ids import (
    APPRAISAL_COMMAND,
    COMMAND,
    DRILL_COMMAND,
    HAZARD_SHORTCUT,
    INCIDENT_COMMAND,
    INCIDENT_SHORTCUT,
    PLAN_COMMAND,
    RISK_COMMAND,
    SAFESHIFT_COMMAND,
    SUGGEST_COMMAND,
    TRAINING_COMMAND,
    VIOLATION_COMMAND,
)

BOT_SCOPES = [
    "commands",          # /hazard
    "chat:write",        # cards, thread lines, DMs (posting to a user id), ephemeral answers
    "chat:write.public", # post to the safety / leadership / team channels without an invite
    "im:write",          # open DMs for reminders and escalations
    "files:read",        # the photo file_input and showing photos on the card
    "files:write",       # the monthly report's charts, uploaded into its thread (#22)
    "channels:history",  # thread replies under a card (public channels)
    "groups:history",    # thread replies under a card (private channels)
    "im:history",        # after a Slack timeout: check whether a DM was delivered before sending it again
    "reactions:read",    # a responder's ✅ / 👀 on a card acknowledges it (reaction_added)
    "app_mentions:read", # `@SafeShift resolve …` / `assign @person` / `status` / `help` in a card's thread
]
BOT_EVENTS = ["app_home_opened", "message.channels", "message.groups", "reaction_added", "app_mention"]


def build_manifest(http_url: str | None = None, name: str = "SafeShift") -> dict:
    command = {"command": COMMAND, "description": "Report a hazard / 上报隐患 (help, status, mine)",
               "usage_hint": "[隐患描述 what you saw | status HZ-2026-00042 | mine | help]", "should_escape": False}
    commands = [command,
                {"command": INCIDENT_COMMAND, "description": "Report an incident / 上报事件 (threat, leak, injury, outage)",
                 "usage_hint": "[事件经过 what happened | status INC-2026-00007 | mine | help]", "should_escape": False},
                {"command": PLAN_COMMAND, "description": "Emergency plans / 应急预案",
                 "usage_hint": "[fire | 火灾 | review fire]", "should_escape": False},
                {"command": RISK_COMMAND, "description": "Risk register / 风险清单 (add, observe, review)",
                 "usage_hint": "[add | observe | review 3]", "should_escape": False},
                {"command": SAFESHIFT_COMMAND, "description": "What is due this week, the check log / 本周待办与检查记录",
                 # escaped: `star @person` arrives as <@U…> (#23, the Safety Star)
                 "usage_hint": "[schedule | checks Hotline A 2026-11 | note … | star @person reason | help]",
                 "should_escape": True},
                {"command": DRILL_COMMAND, "description": "Drill calendar / 演练计划 (list, move, evaluate)",
                 "usage_hint": "[list | move 3 2027-04-16 15:00 | cancel 3 | evaluate 3 | help]", "should_escape": False},
                {"command": SUGGEST_COMMAND, "description": "Anonymous suggestion / 匿名信箱 (no trace of you)",
                 "usage_hint": "[your suggestion | status JY-7K3M9Q | help]", "should_escape": False},
                {"command": VIOLATION_COMMAND, "description": "Violations ledger / 违规记录 (leadership only)",
                 "usage_hint": "[@person | list | help]", "should_escape": True},
                {"command": APPRAISAL_COMMAND, "description": "My safety score / 安全指标得分 (only you see it)",
                 "usage_hint": "[2026-09 | @person 2026-09 | team 2026-09]", "should_escape": True},
                {"command": TRAINING_COMMAND, "description": "Safety training / 安全培训 (my record, test)",
                 "usage_hint": "[test | record | topic … | help]", "should_escape": False}]
    shortcuts = [{"name": "Report as incident 上报事件", "type": "message", "callback_id": INCIDENT_SHORTCUT,
                  "description": "Turn this message into an incident report / 将此消息上报为事件"},
                 {"name": "Report as hazard 上报隐患", "type": "message", "callback_id": HAZARD_SHORTCUT,
                  "description": "Turn this message into a hazard report / 将此消息上报为隐患"}]
    settings: dict = {
        "interactivity": {"is_enabled": True},
        "event_subscriptions": {"bot_events": BOT_EVENTS},
        "org_deploy_enabled": False,
        "socket_mode_enabled": http_url is None,
        "token_rotation_enabled": False,
    }
    if http_url:
        url = http_url.rstrip("/")
        if not url.endswith("/slack/events"):
            url += "/slack/events"
        for c in commands:
            c["url"] = url
        settings["interactivity"]["request_url"] = url
        settings["event_subscriptions"]["request_url"] = url
    return {
        "display_information": {
            "name": name,
            # the version a workspace's app was made from (`safeshift --version`, the package metadata: one place)
            "description": f"Workplace-safety responsibility system in Slack / 客服部安全生产责任制 · v{__version__}",
            "long_description": (
                "SafeShift runs a customer-service department's safety responsibility system where the work "
                "happens: agents report hazards with /hazard in seconds, supervisors acknowledge and resolve them "
                "from the card in the safety channel, every step is timed against the policy and escalated up the "
                "ladder when nobody answers, and a daily digest shows the state of things. "
                "SafeShift 把客服部安全生产责任制搬进 Slack：一线客服用 /hazard 几秒钟上报隐患，业务主管在安全频道的"
                "卡片上响应和处理，每一步都按制度计时，无人响应时逐级升级，每天推送安全日报。"
            ),
            "background_color": "#1d4f91",
        },
        "features": {
            "app_home": {"home_tab_enabled": True, "messages_tab_enabled": True, "messages_tab_read_only_enabled": True},
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": commands,
            "shortcuts": shortcuts,
        },
        "oauth_config": {"scopes": {"bot": BOT_SCOPES}},
        "settings": settings,
    }


def manifest_yaml(http_url: str | None = None) -> str:
    return yaml.safe_dump(build_manifest(http_url), allow_unicode=True, sort_keys=False)
