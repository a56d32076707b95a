"""The daily safety update (#23; §2.3.3 安全专员负责每日更新安全动态): the safety officer adds a note with
`/safeshift note …`; it goes out once, in the next daily digest (every digest of that run: the safety channel's
and each team's), and is marked published in the digest run's transaction (claimed once across replicas)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from bot import i18n
from bot.hazards.present import who_may
from bot.i18n import Mrkdwn
from bot.masking import mask
from bot.text import clean_text
from storage.db import session_scope
from storage.models import AuditEvent, SafetyNote

ACTION = "note"  # who may: the policy's permission `note` (the safety officer)
NOTE_MAX = 1000
SHOWN = 10  # notes in one digest at most (the oldest first; the rest the next day)


def add(ctx, user: str, text: object, locale: str) -> Mrkdwn:
    now = ctx.clock.now()
    body = clean_text(text or "").strip()[:NOTE_MAX]
    if not ctx.directory.allowed(user, ACTION, None):
        with session_scope(ctx.engine) as s:
            s.add(AuditEvent(at=now, actor=user, action="refused_note", note=""))
        return who_may(ctx, locale, ACTION, "training.note_refused")
    if not body:
        return i18n.t(locale, "training.note_empty")
    with session_scope(ctx.engine) as s:
        note = SafetyNote(text=body, author=user, created_at=now)
        s.add(note)
        s.flush()
        s.add(AuditEvent(at=now, actor=user, action="safety_note_added", subject_type="safety_note",
                         subject_id=note.id, note=body[:200], after={"text": body}))
    return i18n.t(locale, "training.note_added")


def pending(s) -> list[SafetyNote]:
    return list(s.execute(select(SafetyNote).where(SafetyNote.published_at.is_(None))
                          .order_by(SafetyNote.id).limit(SHOWN)).scalars())


def digest_lines(notes: list[SafetyNote]) -> Mrkdwn | None:
    if not notes:
        return None
    return Mrkdwn("\n".join("• " + i18n.escape_mrkdwn(mask(n.text)) for n in notes))


def publish(s, notes: list[SafetyNote], now: dt.datetime) -> None:
    for n in notes:
        n.published_at = now
