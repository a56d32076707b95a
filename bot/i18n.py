"""Words: zh-CN and en catalogs (bot/locales/*.yaml), each entry a small Jinja template.

`t(locale, key, **values)` renders an entry for a mrkdwn surface: every value is
escaped for mrkdwn (`& < >`), so `<!channel>` typed by a user shows as text and
pings nobody. Values that are already safe mrkdwn (a mention we build ourselves)
are wrapped in `Mrkdwn`. `tp()` renders for plain_text surfaces (no escaping needed).

Chinese in mrkdwn: Slack renders `*bold*` / `_italic_` only when the marker's outer side
is a boundary (space, start or end of line, ASCII punctuation); a marker touching a Chinese
character or full-width punctuation (`只需填写*等级*和`, `*HZ-2026-00001*（`) shows raw
asterisks. `space_markers()` fixes that for every message: `t()` applies it to its output
and `render()` to every mrkdwn text object, so no catalog entry or template needs a hand edit.
It inserts an ordinary space, not U+200B: a space is the boundary Slack documents and
that is known to work in every client (a zero-width space is not reliably a boundary, and
an invisible character would also ride along into copied numbers and break search).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

LOCALES = ("zh-CN", "en")
_DIR = Path(__file__).with_name("locales")


class Mrkdwn(str):
    """A string that is already valid, safe mrkdwn."""


class Refusal(Mrkdwn):
    """The answer to a refused attempt: sent after urgent traffic, at most one per person per
    `answers.refusals_every` (bot.hazards.notices.ephemeral)."""


def escape_mrkdwn(value: object) -> str:
    if isinstance(value, Mrkdwn):
        return value
    s = "" if value is None else str(value)
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def mention(user_id: str | None) -> Mrkdwn:
    if not user_id:
        return Mrkdwn("—")
    return Mrkdwn(f"<@{escape_mrkdwn(user_id)}>")


def channel_link(channel_id: str) -> Mrkdwn:
    return Mrkdwn(f"<#{escape_mrkdwn(channel_id)}>")


# --------------------------------------------------------------------------- markers next to Chinese
# Spans where `*` and `_` are not markers: code blocks, inline code, <links|mentions>, :emoji_codes:.
_PROTECTED = re.compile(r"```.*?```|`[^`\n]+`|<[^<>\n]*>|:[a-z0-9][a-z0-9_+'\-]*:", re.DOTALL)


def is_wide(ch: str) -> bool:
    """A Chinese (CJK) character or full-width punctuation: East Asian width Wide or Fullwidth."""
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _word(ch: str) -> bool:
    return ch.isascii() and (ch.isalnum() or ch == "_")


_MARKER = re.compile(r"[*_]")


def marker_pairs(text: str) -> list[tuple[int, int]]:
    """(open, close) indexes of the `*bold*` and `_italic_` pairs in mrkdwn `text`.

    A real pair: the opening marker is followed by a non-space and is not glued to an ASCII
    word on its left (so `snake_case`, `3*4`, `a_b` are no markers); the closing one, on the
    same line, follows a non-space and is not glued to an ASCII word on its right. Markers in
    code, `<links|mentions>` and `:emoji_codes:` do not count. Pairs are taken left to right,
    as Slack reads them.
    """
    if "*" not in text and "_" not in text:
        return []
    n = len(text)
    protected = bytearray(n)
    for m in _PROTECTED.finditer(text):
        protected[m.start():m.end()] = b"\x01" * (m.end() - m.start())
    pairs = []
    i = 0
    while True:  # from one `*` or `_` to the next (issue 26: not a step per character)
        m = _MARKER.search(text, i)
        if m is None:
            break
        i = m.start()
        ch = text[i]
        if (not protected[i] and i + 1 < n and not text[i + 1].isspace() and text[i + 1] != ch
                and not (i > 0 and (_word(text[i - 1]) or text[i - 1] == ch))):
            line_end = text.find("\n", i + 2)
            if line_end < 0:
                line_end = n
            close = None
            j = text.find(ch, i + 2, line_end)
            while j >= 0:
                if (not protected[j] and not text[j - 1].isspace()
                        and not (j + 1 < n and (_word(text[j + 1]) or text[j + 1] == ch))):
                    close = j
                    break
                j = text.find(ch, j + 1, line_end)
            if close is not None:
                pairs.append((i, close))
                i = close + 1
                continue
        i += 1
    return pairs


def _marker_by_wide(text: str) -> bool:
    """A `*` or `_` next to a wide character: without one `space_markers` has nothing to do (most messages)."""
    if text.isascii():
        return False
    n = len(text)
    for m in _MARKER.finditer(text):
        i = m.start()
        if (i > 0 and is_wide(text[i - 1])) or (i + 1 < n and is_wide(text[i + 1])):
            return True
    return False


def space_markers(text: str) -> str:
    """Put a space between a marker pair and Chinese or full-width punctuation outside it.

    `只需填写*等级*和` -> `只需填写 *等级* 和`; `*HZ-1*（` -> `*HZ-1* （`. Only the outside
    is touched, only for real pairs (see `marker_pairs`); idempotent.
    """
    if not text or not _marker_by_wide(text):
        return text
    cuts = []
    for i, j in marker_pairs(text):
        if i > 0 and is_wide(text[i - 1]):
            cuts.append(i)
        if j + 1 < len(text) and is_wide(text[j + 1]):
            cuts.append(j + 1)
    if not cuts:
        return text
    out, last = [], 0
    for c in cuts:
        out.append(text[last:c])
        out.append(" ")
        last = c
    out.append(text[last:])
    result = "".join(out)
    return Mrkdwn(result) if isinstance(text, Mrkdwn) else result


def _flatten(prefix: str, node: dict, out: dict) -> None:
    for key, value in node.items():
        full = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            _flatten(full, value, out)
        else:
            out[full] = str(value)


# libyaml's safe loader where PyYAML has it: the same entries (tests/test_sweeper_batch.py compares them) read in a
# tenth of the time (the first message a process renders paid 0.1–0.3 s for the pure-Python parser).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@lru_cache(maxsize=None)
def catalog(locale: str) -> dict[str, str]:
    """`locales/<locale>.yaml` and every `locales/<area>/<locale>.yaml` (one file per area of the product, so
    that each area's words sit together); a key defined twice is an error, not a silent override."""
    out: dict[str, str] = {}
    for path in [_DIR / f"{locale}.yaml"] + sorted(_DIR.glob(f"*/{locale}.yaml")):
        with open(path, encoding="utf-8") as f:
            part: dict[str, str] = {}
            _flatten("", yaml.load(f, Loader=_LOADER) or {}, part)
        twice = sorted(set(part) & set(out))
        if twice:
            raise KeyError(f"{path}: catalog keys defined twice: {', '.join(twice[:5])}")
        out.update(part)
    return out


_mrkdwn_env = SandboxedEnvironment(undefined=StrictUndefined, finalize=escape_mrkdwn, autoescape=False)
_plain_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
# `card.zone`: the zone named in the reader's words (zone_name, below)
_mrkdwn_env.globals["zone_name"] = _plain_env.globals["zone_name"] = lambda zone, locale: zone_name(zone, locale)


class _Static:
    """A catalog text with nothing to fill in: what Jinja renders of it (its newlines normalised, one trailing newline
    dropped), without a render per use (most of a card's labels; issue 26)."""

    __slots__ = ("text",)

    def __init__(self, source: str) -> None:
        text = source.replace("\r\n", "\n").replace("\r", "\n")
        self.text = text[:-1] if text.endswith("\n") else text

    def render(self, **values) -> str:
        return self.text


@lru_cache(maxsize=4096)
def _compiled(env_name: str, locale: str, key: str):
    env = _mrkdwn_env if env_name == "m" else _plain_env
    try:
        source = catalog(locale)[key]
    except KeyError:
        raise KeyError(f"missing catalog key {key!r} for {locale}") from None
    return _Static(source) if "{" not in source else env.from_string(source)


def normalise_locale(locale: str | None) -> str:
    if locale and locale.lower().startswith("en"):
        return "en"
    return "zh-CN"


def t(locale: str, key: str, **values) -> Mrkdwn:
    return Mrkdwn(space_markers(_compiled("m", normalise_locale(locale), key).render(**values)))


def tp(locale: str, key: str, **values) -> str:
    return _compiled("p", normalise_locale(locale), key).render(**values)


def fmt_minutes(locale: str, seconds: float) -> str:
    """A span as people say it: 45 s, 12 min, 3 h 5 min, 2 d 4 h; 45秒, 12分钟, 3小时5分钟, 2天4小时.

    The units and the gap between parts come from the catalogs (`units.*`): Chinese puts no
    space between a number and its unit, nor between the parts.
    """
    seconds = max(0, int(round(seconds)))

    def unit(name: str, n: int) -> str:
        return tp(locale, f"units.{name}", n=n)

    if seconds < 60:
        return unit("seconds", seconds)
    minutes = seconds // 60
    if minutes < 60:
        return unit("minutes", minutes)
    hours, minutes = divmod(minutes, 60)
    gap = tp(locale, "units.gap")
    if hours < 24:
        return unit("hours", hours) + (gap + unit("minutes", minutes) if minutes else "")
    days, hours = divmod(hours, 24)
    return unit("days", days) + (gap + unit("hours", hours) if hours else "")


def display_width(text: str) -> int:
    """Columns `text` takes in a monospaced block: a Chinese character or full-width sign takes two."""
    return sum(2 if is_wide(ch) else 1 for ch in text)


def fmt_late(locale: str, seconds: float) -> str:
    """How late a reminder is, for "已过…" / "… ago": empty under a minute (the first rung fires at the deadline
    itself, and "已过0秒" says nothing; the catalogs then say 已到 / "was due")."""
    return fmt_minutes(locale, seconds) if seconds >= 60 else ""


@lru_cache(maxsize=64)
def zone_name(zone: str, locale: str) -> str:
    """The organisation's time zone as its readers say it, never an IANA id in Chinese: 北京时间（UTC+8）.
    A zone the catalog does not name is its UTC offset (two when it keeps summer time)."""
    import zoneinfo

    name = catalog(normalise_locale(locale)).get(f"zones.{zone}")
    try:
        tz = zoneinfo.ZoneInfo(zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return name or zone
    offsets = []
    for month in (1, 7):
        minutes = int(dt.datetime(2026, month, 1, 12, tzinfo=tz).utcoffset().total_seconds() // 60)
        hours, rest = divmod(abs(minutes), 60)
        text = f"UTC{'+' if minutes >= 0 else '-'}{hours}" + (f":{rest:02d}" if rest else "")
        if text not in offsets:
            offsets.append(text)
    return tp(locale, "zones.line", name=name or tp(locale, "zones.local", zone=zone), offset="/".join(offsets))


def join_list(locale: str, items, conj: str = "or") -> str:
    """A list as a sentence says it: A、B、C或D / A, B, C or D (`conj`: "or" or "and").

    The separator and the conjunction come from the catalogs (`list.*`). When every item is
    `Mrkdwn` (mentions), the result is `Mrkdwn` too; otherwise it is plain text, escaped
    wherever it is inserted.
    """
    if conj not in ("or", "and"):
        raise ValueError(f"conj must be 'or' or 'and', not {conj!r}")
    items = [x for x in items if x is not None and str(x) != ""]
    if not items:
        out = ""
    elif len(items) == 1:
        out = str(items[0])
    else:
        word = tp(locale, f"list.{conj}")
        last, before = str(items[-1]), str(items[-2])
        if word and is_wide(word[0]):  # 和 / 或 keeps a space from a number, @mention or Latin name
            word = ("" if is_wide(before[-1]) else " ") + word + ("" if is_wide(last[0]) else " ")
        out = tp(locale, "list.sep").join(str(x) for x in items[:-1]) + word + last
    if items and all(isinstance(x, Mrkdwn) for x in items):
        return Mrkdwn(out)
    return out


def join_sentences(locale: str, *sentences) -> str:
    """Sentences one after another: no space after 。 in Chinese, one space in English (`list.sentence_gap`).

    Mrkdwn in, Mrkdwn out (all parts must be Mrkdwn for the result to be).
    """
    parts = [x for x in sentences if x]
    out = tp(locale, "list.sentence_gap").join(str(x) for x in parts)
    return Mrkdwn(out) if parts and all(isinstance(x, Mrkdwn) for x in parts) else out


def fmt_time(moment: dt.datetime | None, tz) -> str:
    """A moment in the organisation's zone: 2026-11-28 14:30."""
    if moment is None:
        return "—"
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")
