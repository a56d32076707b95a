"""Days people pick on forms (a plan's target date, a corrective action's due day): from today to
`policy.rectification.dates_within` ahead, in the organisation's zone. One rule, one place: `0001-01-01` or
`9999-12-31` is no plan."""

from __future__ import annotations

import datetime as dt


def window(ctx) -> tuple[dt.date, dt.date]:
    """(first, last) day a person may pick today."""
    today = ctx.clock.now().astimezone(ctx.org.tz).date()
    return today, today + ctx.org.policy.rectification.dates_within.timedelta


def in_window(ctx, day: dt.date) -> bool:
    first, last = window(ctx)
    return first <= day <= last


def window_words(ctx) -> dict[str, str]:
    """{first, last} as the message catalogs name them."""
    first, last = window(ctx)
    return {"first": first.isoformat(), "last": last.isoformat()}
