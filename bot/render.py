"""Block Kit from Jinja2 templates (bot/templates/*.json.j2).

Templates are JSON with every `{{ expression }}` JSON-encoded by the environment's
`finalize`, so no value can break the structure. Lists end with a `null` and
optional keys may be `null`: `_clean` drops both, which keeps the templates free
of comma bookkeeping.

After rendering, `space_mrkdwn` runs `i18n.space_markers` over every mrkdwn text object
(and any top-level `text` fallback), so a `*bold*` built in a template (`"*" ~ t(...) ~ "*"`)
or in code never touches Chinese from outside, whatever the catalog says.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from bot import i18n, ids

_DIR = Path(__file__).with_name("templates")


def _json_finalize(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def truncate(value: Any, limit: int) -> str:
    s = "" if value is None else str(value)
    return s if len(s) <= limit else s[: max(0, limit - 1)] + "…"


def _mtrunc(value: Any, limit: int) -> i18n.Mrkdwn:
    """Truncate user text then escape it for mrkdwn, staying within `limit` after escaping."""
    s = "" if value is None else str(value)
    out = i18n.escape_mrkdwn(s)
    while len(out) > limit:
        s = s[: max(0, len(s) - max(1, len(out) - limit) - 1)]
        out = i18n.escape_mrkdwn(s) + "…"
    return i18n.Mrkdwn(out)


@lru_cache(maxsize=1)
def _env() -> SandboxedEnvironment:
    env = SandboxedEnvironment(
        loader=FileSystemLoader(str(_DIR)),
        undefined=StrictUndefined,
        finalize=_json_finalize,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["trunc"] = truncate
    env.filters["mtrunc"] = _mtrunc
    env.filters["esc"] = i18n.escape_mrkdwn
    env.globals["mention"] = i18n.mention
    env.globals["ids"] = ids  # every Slack id a template names comes from bot/ids.py
    return env


def _clean(node: Any) -> Any:
    if isinstance(node, list):
        return [_clean(x) for x in node if x is not None]
    if isinstance(node, dict):
        return {k: _clean(v) for k, v in node.items() if v is not None}
    return node


# Slack's limits for mrkdwn text: section fields 2000, every other text object 3000.
_FIELD_LIMIT, _TEXT_LIMIT = 2000, 3000


def _spaced(text: str, limit: int) -> str:
    out = i18n.space_markers(text)
    if len(out) > limit >= len(text):  # the spaces must not push a text over Slack's limit
        out = truncate(out, limit)
    return out


def space_mrkdwn(node: Any, _limit: int = _TEXT_LIMIT) -> Any:
    """`i18n.space_markers` on every `{"type": "mrkdwn", "text": ...}` and on `text` fallbacks, in place."""
    if isinstance(node, list):
        for item in node:
            space_mrkdwn(item, _limit)
    elif isinstance(node, dict):
        kind = node.get("type")
        text = node.get("text")
        if isinstance(text, str) and (kind == "mrkdwn" or (kind is None and ("blocks" in node or "channel" in node))):
            node["text"] = _spaced(text, _limit)
        for key, value in node.items():
            if isinstance(value, (list, dict)):
                space_mrkdwn(value, _FIELD_LIMIT if key == "fields" else _TEXT_LIMIT)
    return node


def render(name: str, locale: str, **context: Any) -> Any:
    locale = i18n.normalise_locale(locale)
    template = _env().get_template(f"{name}.json.j2")
    text = template.render(
        locale=locale,
        t=lambda key, **kw: i18n.t(locale, key, **kw),
        tp=lambda key, **kw: i18n.tp(locale, key, **kw),
        **context,
    )
    try:
        tree = _clean(json.loads(text))
    except json.JSONDecodeError as exc:  # a template bug, never user input
        raise RuntimeError(f"template {name} produced invalid JSON: {exc}\n{text}") from None
    return space_mrkdwn(tree)


def text_blocks(text: str) -> list[dict]:
    """A mrkdwn message as a single section (long text split over sections)."""
    chunks = [text[i : i + 2900] for i in range(0, len(text), 2900)] or [" "]
    return space_mrkdwn([{"type": "section", "text": {"type": "mrkdwn", "text": c}} for c in chunks[:45]])
