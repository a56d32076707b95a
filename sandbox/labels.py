"""The sandbox page's own words (not the bot's: those come from the bot's catalogs), in the `--lang` of the run.

`static/index.html` carries `__L_<key>__` placeholders, filled when the page is served (`web.py`); app.js reads
the same table from the state (`labels`) for the words it writes itself.
"""

from __future__ import annotations

LABELS = {
    "en": {
        "lang": "en", "title": "SafeShift sandbox", "sandbox": "sandbox", "you_are": "You are",
        "channels": "Channels", "dms": "Direct messages", "app": "App", "home": "SafeShift · Home",
        "refused_nav": "Slack would refuse",
        "about": "A tool for trying SafeShift: the real bot, a local stand-in for Slack. Nothing leaves this machine.",
        "message": "Message", "send": "Send", "thread": "Thread", "close_thread": "Close thread", "reply_ph": "Reply…",
        "reply": "Reply", "close": "Close", "sure": "Are you sure?", "select": "Select…",
        "would_warn": "Slack would warn: ", "one_reply": " reply", "replies": " replies", "reply_in_thread": "Reply in thread",
        "add_reaction": "Add a reaction", "more_actions": "More actions",
        "validation_on": "Block Kit validation on: every message and view is checked against Slack's schema.",
        "validation_off": "Block Kit validation is OFF: ", "validation_off_end": ". Messages are not checked against Slack's schema.",
        "home_as": "SafeShift · Home (as ", "home_as_end": ")", "home_empty": "The Home tab is empty until the app publishes it…",
        "problems_title": "What Slack would refuse or warn about", "nothing_yet": "Nothing so far.",
        "refused": "Refused: ", "note": "Note: ", "message_in": "Message ", "as": " as ", "or_command": " — or a command: ",
        "no_messages": "No messages yet. Try ", "below": " below.", "thread_in": "Thread in #",
        "required": "Please complete this required field.",
    },
    "zh-CN": {
        "lang": "zh-CN", "title": "SafeShift 演示环境", "sandbox": "演示环境", "you_are": "当前身份",
        "channels": "频道", "dms": "私信", "app": "应用", "home": "SafeShift · 首页",
        "refused_nav": "Slack 会拒绝的内容",
        "about": "用于试用 SafeShift：真实的机器人，加上本机模拟的 Slack。所有数据都不会离开本机。",
        "message": "输入消息", "send": "发送", "thread": "消息串", "close_thread": "关闭消息串", "reply_ph": "回复…",
        "reply": "回复", "close": "关闭", "sure": "确定吗？", "select": "请选择…",
        "would_warn": "Slack 会提示：", "one_reply": "条回复", "replies": "条回复", "reply_in_thread": "在消息串中回复",
        "add_reaction": "添加表情", "more_actions": "更多操作",
        "validation_on": "Block Kit 校验已开启：每条消息和每个视图都按 Slack 的规范检查。",
        "validation_off": "Block Kit 校验已关闭：", "validation_off_end": "。消息未按 Slack 的规范检查。",
        "home_as": "SafeShift · 首页（", "home_as_end": "）", "home_empty": "应用发布首页之前，这里是空的……",
        "problems_title": "Slack 会拒绝或提示的内容", "nothing_yet": "暂无。",
        "refused": "拒绝：", "note": "提示：", "message_in": "发消息到 ", "as": "，身份：", "or_command": "；也可以输入命令：",
        "no_messages": "暂无消息。试试在下面输入 ", "below": "。", "thread_in": "消息串 · #",
        "required": "请填写此必填项。",
    },
}


def labels(lang: str) -> dict:
    return LABELS.get(lang, LABELS["en"])


def fill(html: bytes, lang: str) -> bytes:
    """index.html with its `__L_<key>__` placeholders in `lang`."""
    for key, text in labels(lang).items():
        html = html.replace(f"__L_{key}__".encode(), text.replace("&", "&amp;").replace("<", "&lt;").encode())
    return html
