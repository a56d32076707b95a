"""Rectification's parts of the daily digest and the Home tab (#21, #18): the open and overdue items, with their step
and who holds them (bot/rectification/summary.py computes them)."""

from __future__ import annotations

import datetime as dt

from bot import i18n
from bot.home import section
from bot.rectification import summary
from bot.registry import DigestPart

DIGEST_ORDER = 20  # after the incidents
HOME_ORDER = 25  # after my checks, before the reports I hold


def digest_part(ctx, s, now: dt.datetime, team: str | None, since: dt.datetime | None = None) -> DigestPart:
    rect = summary.digest_lines(ctx, s, ctx.org.locale, now, team)
    return DigestPart({"rect": rect}, lambda locale: [], lambda locale: [(DIGEST_ORDER, rect)] if rect else [])


def home_parts(ctx, s, user_id: str, locale: str) -> list[tuple[int, list[dict]]]:
    rect = summary.home_lines(ctx, s, user_id, locale, ctx.clock.now())  # the items I must act on
    if not rect:
        return []
    return [(HOME_ORDER, section(locale, "*" + i18n.tp(locale, "rectification.home_title") + "*", rect))]
