"""Checks' part of the daily digest (#10, #18): yesterday's checklists done or not, and today's checks and drills
(the drills of the day are named by bot/checks/schedule.py, which knows the calendar of both)."""

from __future__ import annotations

import datetime as dt

from bot import i18n
from bot.checks import schedule, shift_rates
from bot.i18n import Mrkdwn
from bot.registry import DigestPart
from storage.queries import per_transaction

CHECKLISTS, TODAY = 10, 20  # the lines' order under the reports


def digest_part(ctx, s, now: dt.datetime, team: str | None, since: dt.datetime | None = None) -> DigestPart:
    y_day = now.astimezone(ctx.org.tz).date() - dt.timedelta(days=1)
    # yesterday's checklists (pre-shift self-checks, briefings, end-of-day checks, patrol): done or not
    every = per_transaction(s, ("checklist_rates", y_day), lambda: shift_rates.rates(s, y_day, y_day))  # once a run
    checklists = shift_rates.total({t: r for t, r in every.items() if team is None or t == team})
    today = schedule.today(ctx, s, now, team, ctx.org.locale)  # today's checks and drills (#10)

    def lines(locale: str) -> list:
        checks = Mrkdwn(i18n.join_sentences(locale, *today)) if today else i18n.t(locale, "digest.checks_none")
        return [(CHECKLISTS, shift_rates.digest_line(locale, y_day, checklists)),
                (TODAY, Mrkdwn(i18n.t(locale, "digest.checks_title") + " " + checks))]

    return DigestPart({"checks": today, "checklists_day": y_day, "checklists": checklists}, lines)
