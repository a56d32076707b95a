"""Words: zh-CN and en catalogs (bot/locales/*.yaml), each entry a small Jinja template.

`t(locale, key, **values)` renders an entry for a mrkdwn surface: every value is
escaped for mrkdwn (`& < >`), so `<!channel>` typed by a user shows as text and
pings nobody. Values that are already safe mrkdwn (a mention we build ourselves)
are wrapped in `Mrkdwn`. `tp()` renders for plain_text surfaces (no escaping needed).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from pathlib import Path

import yaml
from jinja2 import StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

LOCALES = ("zh-CN", "en")
_DIR = Path(__file__).with_name("locales")


class Mrkdwn(str):
    """A string that is already valid, safe mrkdwn."""


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


def _flatten(prefix: str, node: dict, out: dict) -> None:
    for key, value in node.items():
        full = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, dict):
            _flatten(full, value, out)
        else:
            out[full] = str(value)


@lru_cache(maxsize=None)
def catalog(locale: str) -> dict[str, str]:
    with open(_DIR / f"{locale}.yaml", encoding="utf-8") as f:
        data = yaml.safe_load(f)
    out: dict[str, str] = {}
    _flatten("", data, out)
    return out


_mrkdwn_env = SandboxedEnvironment(undefined=StrictUndefined, finalize=escape_mrkdwn, autoescape=False)
_plain_env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


@lru_cache(maxsize=4096)
def _compiled(env_name: str, locale: str, key: str):
    env = _mrkdwn_env if env_name == "m" else _plain_env
    try:
        source = catalog(locale)[key]
    except KeyError:
        raise KeyError(f"missing catalog key {key!r} for {locale}") from None
    return env.from_string(source)


def normalise_locale(locale: str | None) -> str:
    if locale and locale.lower().startswith("en"):
        return "en"
    return "zh-CN"


def t(locale: str, key: str, **values) -> Mrkdwn:
    return Mrkdwn(_compiled("m", normalise_locale(locale), key).render(**values))


def tp(locale: str, key: str, **values) -> str:
    return _compiled("p", normalise_locale(locale), key).render(**values)


def fmt_minutes(locale: str, seconds: float) -> str:
    """A span as people say it: 45 s, 12 min, 3 h 5 min, 2 d 4 h."""
    seconds = max(0, int(round(seconds)))
    zh = normalise_locale(locale) == "zh-CN"
    if seconds < 60:
        return f"{seconds} 秒" if zh else f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} 分钟" if zh else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if zh:
            return f"{hours} 小时" + (f" {minutes} 分钟" if minutes else "")
        return f"{hours} h" + (f" {minutes} min" if minutes else "")
    days, hours = divmod(hours, 24)
    if zh:
        return f"{days} 天" + (f" {hours} 小时" if hours else "")
    return f"{days} d" + (f" {hours} h" if hours else "")


def fmt_time(moment: dt.datetime | None, tz) -> str:
    """A moment in the organisation's zone: 2026-11-28 14:30."""
    if moment is None:
        return "—"
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")
