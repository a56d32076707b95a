"""mask the ID-card, bank-card and mobile numbers already stored in what people typed (§3.3.1)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04

From this version on, typed text is stored with the numbers masked (`bot.text.clean_text`). Rows written
before keep them in clear: this rewrites every text column people type into, and the strings inside the JSON
columns that hold typed text (an investigation's fields, a plan's measures, a drill's problems, the words of
audit rows, the `text` of messages still in the outbox), with the same `bot.masking.mask`. Ids, numbers,
keys and dates are left as they are. Rows are read and written in batches by primary key; a row whose text
holds no number is not written. Not reversible: the numbers are gone (downgrade does nothing).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from bot.masking import mask

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

BATCH = 500

# table -> (primary key, plain text columns, JSON columns holding typed text)
TYPED = {
    "report": ("id", ("location", "description", "suggestion", "resolution_note", "affected", "actions_taken",
                      "special_report", "postmortem"), ("investigation",)),
    "corrective_action": ("id", ("description",), ()),
    "audit_event": ("id", ("note",), ("before", "after")),
    "rect_item": ("id", ("ext_reason", "completion"), ("plan",)),
    "risk": ("id", ("description", "controls"), ()),
    "check_task": ("id", ("note",), ()),
    "drill": ("id", ("summary",), ("problems",)),
    "outbox": ("id", (), ("payload",)),
}
# In a message payload only what is shown is text: `text` (the fallback, a text object's words). Channel, user and
# ts fields are ids and stay as they are.
_PAYLOAD_TEXT_KEYS = {"text", "alt_text", "title", "fallback", "pretext"}


def _mask_json(value, keys=None):
    """`value` with its strings masked: every string, or (`keys`) only the strings under those keys."""
    if isinstance(value, str):
        return mask(value) if keys is None else value
    if isinstance(value, list):
        return [_mask_json(v, keys) for v in value]
    if isinstance(value, dict):
        return {k: (mask(v) if isinstance(v, str) and (keys is None or k in keys) else _mask_json(v, keys))
                for k, v in value.items()}
    return value


def _present(bind, table: str) -> set[str]:
    inspector = sa.inspect(bind)
    if not inspector.has_table(table):
        return set()
    return {c["name"] for c in inspector.get_columns(table)}


def upgrade() -> None:
    bind = op.get_bind()
    for name, (key, texts, jsons) in TYPED.items():
        present = _present(bind, name)
        texts = tuple(c for c in texts if c in present)
        jsons = tuple(c for c in jsons if c in present)
        if not (texts or jsons):
            continue
        table = sa.table(name, sa.column(key, sa.Integer), *(sa.column(c, sa.Text) for c in texts),
                         *(sa.column(c, sa.JSON) for c in jsons))
        last = None
        while True:
            query = sa.select(table).order_by(table.c[key]).limit(BATCH)
            if last is not None:
                query = query.where(table.c[key] > last)
            rows = bind.execute(query).mappings().all()
            if not rows:
                break
            for row in rows:
                change = {}
                for c in texts:
                    if isinstance(row[c], str) and mask(row[c]) != row[c]:
                        change[c] = mask(row[c])
                for c in jsons:
                    if row[c] is None:
                        continue
                    masked = _mask_json(row[c], _PAYLOAD_TEXT_KEYS if name == "outbox" else None)
                    if masked != row[c]:
                        change[c] = masked
                if change:
                    bind.execute(sa.update(table).where(table.c[key] == row[key]).values(**change))
            last = rows[-1][key]


def downgrade() -> None:
    pass  # the numbers are gone: nothing to restore
