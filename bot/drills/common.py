"""What the drill use cases share: their answer, the permission check and its refusal, reading a drill id."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from bot import i18n
from bot.hazards.present import who_may
from bot.i18n import Mrkdwn
from bot.masking import mask
from bot.text import parse_row_id
from storage.models import AuditEvent

ACTION = "run_drill"  # the policy's permission: move a drill, take it, evaluate it (§3.4.2)
ID_MAX = 12  # digits of a drill id a person or a button may give (more is not ours)


@dataclass
class Outcome:
    ok: bool
    message: Mrkdwn | str | None = None  # what to tell the person (ephemeral), if anything
    view: dict | None = None  # a form to open
    errors: dict = field(default_factory=dict)  # a form's inline errors {block_id: text}
    blocks: list | None = None


def parse_id(value: object) -> int | None:
    return parse_row_id(value)


def allowed(ctx, user_id: str) -> bool:
    return ctx.directory.allowed(user_id, ACTION, None)


def refuse(ctx, s, locale: str, user_id: str, step: str, drill_id: int | None, now: dt.datetime) -> Outcome:
    """Refused: the person is told who may and that nothing took effect; the attempt goes to the operation log."""
    s.add(AuditEvent(at=now, actor=user_id, action=f"refused_{step}_drill", note=f"drill {drill_id or '—'}"))
    return Outcome(False, who_may(ctx, locale, ACTION, "drills.refused", what=i18n.tp(locale, f"drills.step_{step}")))


def not_found(locale: str, value: object) -> Outcome:
    return Outcome(False, i18n.t(locale, "drills.not_found", number=mask(str(value or "—"))[:ID_MAX + 1]))
