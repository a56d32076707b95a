"""The classes of finding of the December 2026 language review (issue #25, shared/reviews/language-2026-12.md)
as plain text checks, for tests/test_chinese.py: each returns what it found, so a failure names the text.

- a raw identifier (`check_reported`) or an escaped `&lt;@U…&gt;` (a mention shown as its id) in rendered text;
- 您 (the catalogs say 你);
- a mention printed twice in one message;
- a zero duration ("已过0秒", "0 s ago");
- an IANA zone name (Asia/Shanghai) in Chinese text;
- 班 appended to a shift name (早班班);
- the team named three ways: 团队 only, never 班组 / 本组 (GLOSSARY: team).
"""

from __future__ import annotations

import re

# Spans where an identifier is fine: code, <links|mentions>, :emoji_codes:, and a URL.
_PROTECTED = re.compile(r"```.*?```|`[^`\n]+`|<[^<>\n]*>|:[a-z0-9][a-z0-9_+'\-]*:|https?://\S+", re.DOTALL)
_IDENTIFIER = re.compile(r"(?<![\w/.@#-])[a-z][a-z0-9]*_[a-z0-9_]+(?![\w/.-])")
_ESCAPED_TOKEN = re.compile(r"&lt;(?:@[UW]|#[CG])[A-Z0-9]")  # `&lt;!channel&gt;` typed by a person stays text
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")
_ZERO = re.compile(r"(?<![\d.])0(?:秒|分钟|小时|天| s\b| min\b| h\b| d\b| days?\b)")
_IANA = re.compile(r"\b(?:Africa|America|Antarctica|Asia|Atlantic|Australia|Europe|Indian|Pacific|Etc)/[A-Za-z_+\-]+")

# The glossary's team word is 团队 (团队安全学习, 团队安全工作总结, §2.2.2); these name the same thing.
TEAM_WORDS = {"班组": "team is 团队 (GLOSSARY)", "本组": "team is 团队 (本团队)"}
# Further words the glossary's avoid column lists (GLOSSARY.md), beyond tests/test_chinese.py AVOID_ZH.
AVOID_MORE_ZH = {
    "您": "你, not 您, everywhere (one register)",
    "讨论串": "thread is 消息串, one word everywhere",
    "处分": "violations: 处分 is not the document's word (口头警告 / 书面通报 / 降薪调岗)",
    "举报": "a suggestion is 建议 / 安全意见反馈 (举报 is reporting a person)",
    "KPI": "indicators are 安全指标 in Chinese text",
    "打分": "appraisal is 绩效考核",
    **TEAM_WORDS,
}


def raw_artefacts(text: str, mrkdwn: bool = True) -> list[str]:
    """Code identifiers and mentions shown as ids: `check_reported`, `&lt;@U0IT&gt;`, or `<@U…>` in plain text."""
    bad = [f"escaped mention {m.group()!r}" for m in _ESCAPED_TOKEN.finditer(text)]
    if not mrkdwn:
        bad += [f"mention in plain text {m.group()!r}" for m in _MENTION.finditer(text)]
    plain = _PROTECTED.sub(" ", text)
    bad += [f"identifier {m.group()!r}" for m in _IDENTIFIER.finditer(plain)]
    return bad


def mentions_twice(text: str) -> list[str]:
    """The same person @mentioned twice in one line (a timeline's lines may each name the same person)."""
    out = set()
    for line in text.split("\n"):
        seen = _MENTION.findall(line)
        out.update(f"<@{u}> twice" for u in seen if seen.count(u) > 1)
    return sorted(out)


def zero_durations(text: str) -> list[str]:
    return [m.group() for m in _ZERO.finditer(_PROTECTED.sub(" ", text))]


def iana_zones(text: str, locale: str) -> list[str]:
    return [m.group() for m in _IANA.finditer(text)] if locale == "zh-CN" else []


def shift_name_ban(text: str, locale: str) -> list[str]:
    """早班班: the catalog added 班 after a shift name that already is one."""
    return [text[max(0, m.start() - 4): m.end() + 2] for m in re.finditer("班班", text)] if locale == "zh-CN" else []


def avoided_more(text: str, locale: str) -> list[str]:
    if locale != "zh-CN":
        return []
    return [f"{term}: {why}" for term, why in AVOID_MORE_ZH.items() if term in text]


def artefacts(text: str, locale: str, mrkdwn: bool = True) -> list[str]:
    out = [f"raw: {x}" for x in raw_artefacts(text, mrkdwn)]
    out += [f"mention printed twice: {x}" for x in mentions_twice(text)]
    out += [f"zero duration: {x!r}" for x in zero_durations(text)]
    out += [f"IANA zone in Chinese: {x!r}" for x in iana_zones(text, locale)]
    out += [f"班 appended to a shift name: {x!r}" for x in shift_name_ban(text, locale)]
    out += [f"avoid {x}" for x in avoided_more(text, locale)]
    return out
