"""Checks' part of the Home tab (#10, #18): my open checks, between my reports and the reports I hold."""

from __future__ import annotations

from sqlalchemy import select

from bot import i18n
from bot.checks.messages import occasion, title
from bot.home import LINES as LIMIT
from bot.home import section
from bot.i18n import Mrkdwn, fmt_time
from storage.models import CheckTask

PENDING_SCAN = 500  # open check tasks looked through for mine (a day's checks of a large department)
ORDER = 20


def home_parts(ctx, s, user_id: str, locale: str) -> list[tuple[int, list[dict]]]:
    # owners are a JSON list, so the few pending rows are filtered here
    checks = [t for t in s.execute(select(CheckTask).where(CheckTask.status == "pending")
                                   .order_by(CheckTask.due_at).limit(PENDING_SCAN)).scalars()
              if user_id in (t.owners or [])][:LIMIT]
    if not checks:
        return []
    lines = [i18n.t(locale, "checks.schedule.open_overdue" if t.overdue else "checks.schedule.open",
                    title=title(ctx.org, t, locale), occasion=occasion(ctx.org, t, locale),
                    due=fmt_time(t.due_at, ctx.org.tz)) for t in checks]
    return [(ORDER, section(locale, "*" + i18n.tp(locale, "home.checks") + "*",
                            Mrkdwn("\n".join("• " + line for line in lines))))]
