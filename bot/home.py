"""The App Home tab (#18: it names no kind): report in one click, then each installed kind's sections for this person
(bot/registry.py `Kind.home`), in the order they give, then the help line."""

from __future__ import annotations

from bot import registry
from bot.render import render
from storage.db import read_scope

# Lines per part of the Home tab: ten lines of a report fit Slack's 3,000-character section.
LINES = 10


def section(locale: str, title: str, body) -> list[dict]:
    """One titled part of the Home tab (a divider and a section); `body` None says there is nothing."""
    return render("home_section", locale, title=title, body=body)


def home_view(ctx, user_id: str, locale: str) -> dict:
    view = render("home", locale)
    parts: list[tuple[int, list[dict]]] = []
    with read_scope(ctx.engine) as s:
        for kind in registry.current().with_parts("home"):
            parts += kind.home(ctx, s, user_id, locale)
    blocks = [b for _, section_blocks in sorted(parts, key=lambda p: p[0]) for b in section_blocks]
    view["blocks"][-1:-1] = blocks  # before the help line
    return view
