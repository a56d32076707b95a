"""timers and audit rows name their subject: (subject_type, subject_id) instead of one key per kind (#18)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

`timer.report_id` / `timer.task_id` become `("report", id)` / `("check_task", id)`; `audit_event.report_id` becomes
`("report", id)`. Audit rows of checks, drills and the risk register, which had no report and kept their record's id in
JSON or in the note, get their subject from there: `after.task` → check_task, `after.drill` / `before.drill` → drill,
a note `risk:N` → risk. Nothing is lost: every old key has its column pair, and the downgrade writes them back.
"""
from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BATCH = 1000


def _as_dict(value):
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        try:
            parsed = json.loads(value)
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}
    return {}


def _positive_int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _subject_of(action: str, before, after, note: str):
    """The subject hidden in an audit row that had no report (checks, drills, risks)."""
    after, before = _as_dict(after), _as_dict(before)
    task = _positive_int(after.get("task"))
    if task:
        return "check_task", task
    drill = _positive_int(after.get("drill")) or _positive_int(before.get("drill"))
    if drill:
        return "drill", drill
    if note and note.startswith("risk:") and note[5:].isascii() and note[5:].isdigit():
        return "risk", int(note[5:])
    return None


def upgrade() -> None:
    conn = op.get_bind()
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_type', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
    conn.execute(sa.text("UPDATE timer SET subject_type = 'report', subject_id = report_id WHERE report_id IS NOT NULL"))
    conn.execute(sa.text("UPDATE timer SET subject_type = 'check_task', subject_id = task_id "
                         "WHERE report_id IS NULL AND task_id IS NOT NULL"))
    conn.execute(sa.text("DELETE FROM timer WHERE subject_id IS NULL"))  # guarded nothing: cannot fire
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.drop_constraint('uq_timer_step', type_='unique')
        batch_op.drop_constraint('uq_timer_task_step', type_='unique')
        batch_op.drop_constraint('fk_timer_task_id', type_='foreignkey')
        batch_op.drop_index('ix_timer_task_id')
        batch_op.drop_index('ix_timer_report_id')
        batch_op.drop_column('task_id')
        batch_op.drop_column('report_id')
        batch_op.alter_column('subject_type', existing_type=sa.String(length=24), nullable=False)
        batch_op.alter_column('subject_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint('uq_timer_subject_step',
                                          ['subject_type', 'subject_id', 'purpose', 'step', 'cycle'])

    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('subject_type', sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column('subject_id', sa.Integer(), nullable=True))
    conn.execute(sa.text("UPDATE audit_event SET subject_type = 'report', subject_id = report_id "
                         "WHERE report_id IS NOT NULL"))
    # Rows of checks, drills and risks: their ids were in JSON or the note; read them in Python (both engines alike).
    last = 0
    while True:
        rows = conn.execute(sa.text(
            "SELECT id, action, before, after, note FROM audit_event WHERE report_id IS NULL AND id > :last "
            "AND (action LIKE 'check%' OR action LIKE 'drill%' OR note LIKE 'risk:%') ORDER BY id LIMIT :n"),
            {"last": last, "n": BATCH}).all()
        if not rows:
            break
        for row_id, action, before, after, note in rows:
            subject = _subject_of(action, before, after, note or "")
            if subject:
                conn.execute(sa.text("UPDATE audit_event SET subject_type = :t, subject_id = :i WHERE id = :id"),
                             {"t": subject[0], "i": subject[1], "id": row_id})
        last = rows[-1][0]
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_report_at')
        batch_op.drop_column('report_id')
        batch_op.create_index('ix_audit_subject_at', ['subject_type', 'subject_id', 'at'], unique=False)


def downgrade() -> None:
    conn = op.get_bind()
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_subject_at')
        batch_op.add_column(sa.Column('report_id', sa.Integer(), nullable=True))
    conn.execute(sa.text("UPDATE audit_event SET report_id = subject_id WHERE subject_type = 'report'"))
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_audit_event_report_id', 'report', ['report_id'], ['id'])
        batch_op.create_index('ix_audit_report_at', ['report_id', 'at'], unique=False)
        batch_op.drop_column('subject_id')
        batch_op.drop_column('subject_type')

    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.drop_constraint('uq_timer_subject_step', type_='unique')
        batch_op.add_column(sa.Column('report_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('task_id', sa.Integer(), nullable=True))
    conn.execute(sa.text("UPDATE timer SET report_id = subject_id WHERE subject_type = 'report'"))
    conn.execute(sa.text("UPDATE timer SET task_id = subject_id WHERE subject_type = 'check_task'"))
    conn.execute(sa.text("DELETE FROM timer WHERE report_id IS NULL AND task_id IS NULL"))
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_timer_report_id', 'report', ['report_id'], ['id'])
        batch_op.create_foreign_key('fk_timer_task_id', 'check_task', ['task_id'], ['id'])
        batch_op.create_index('ix_timer_report_id', ['report_id'])
        batch_op.create_index('ix_timer_task_id', ['task_id'])
        batch_op.create_unique_constraint('uq_timer_step', ['report_id', 'purpose', 'step', 'cycle'])
        batch_op.create_unique_constraint('uq_timer_task_step', ['task_id', 'purpose', 'step', 'cycle'])
        batch_op.drop_column('subject_id')
        batch_op.drop_column('subject_type')
