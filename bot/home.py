"""The App Home tab (#18: it names no kind): report in one click, then each installed kind's sections for this person
(bot/registry.py `Kind.home`), in the order they give, then the help line."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import delete, insert, update

from bot import registry
from bot.outbox import BULK
from bot.render import render
from storage.db import read_scope, session_scope
from storage.models import OutboxMessage

# Lines per part of the Home tab: ten lines of a report fit Slack's 3,000-character section.
LINES = 10
FRESH_FOR = dt.timedelta(minutes=2)  # a Home tab not sent by then is stale: not worth sending (Slack UX, not policy)


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


def publish_after_answer(ctx, user_id: str, locale: str) -> None:
    """`app_home_opened`: the Home tab is computed once the event is answered (over a long history its reads take
    a while, and Slack waits for the answer). Its outbox row is held now, pending but not yet due (so nothing is
    sent early and whoever waits for the outbox to settle waits for it too), then filled and made due. If it is
    never filled (the process stopped), it expires unsent."""
    now = ctx.clock.now()
    key = f"home:{user_id}:{uuid.uuid4().hex}"
    with session_scope(ctx.engine) as s:
        s.execute(insert(OutboxMessage.__table__).values(
            created_at=now, method="views.publish", payload={"user_id": user_id}, ordering_key=f"home:{user_id}",
            message_key=None, priority=BULK, target_key=None, dedupe_key=key, report_id=None,
            next_attempt_at=now + FRESH_FOR + dt.timedelta(seconds=1), expires_at=now + FRESH_FOR,
            status="pending", attempts=0, last_error="", lease_until=None, sent_at=None, uncertain=False))

    def fill() -> None:
        try:
            view = home_view(ctx, user_id, locale)
        except Exception:
            with session_scope(ctx.engine) as s:  # nothing to send: the row goes
                s.execute(delete(OutboxMessage).where(OutboxMessage.dedupe_key == key))
            raise
        at = ctx.clock.now()
        with session_scope(ctx.engine) as s:
            s.execute(update(OutboxMessage).where(OutboxMessage.dedupe_key == key, OutboxMessage.status == "pending")
                      .values(payload={"user_id": user_id, "view": view}, next_attempt_at=at, expires_at=at + FRESH_FOR))
        ctx.wake()

    ctx.after_answer(fill)
