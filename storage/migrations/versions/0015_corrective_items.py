"""corrective actions are rectification items (#21, §5.2.3): each action names the hazard that holds its item; the
open ones are carried over; an emergency plan's reviews (§5.1.1), who and when

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-04

Upgrade: `corrective_action.item_report_id` (the hazard its item hangs off) and, for each action still open with no
item, one `("corrective_action", id)` timer `carry_over`, due since the action was decided (so due at
once, whatever the clock). The migration cannot know the organisation's
policy (numbering, the item's risk, its reminders and ladder), so the item itself is made by the incidents kind's
own use case when the sweeper fires that row (bot/incidents/actions.py `carry_over`), in one transaction, once.
Downgrade: the carry-over rows still pending go; an action whose item was closed reads `done` (the old shape had
no other place to say so); the column goes. The hazards and items made meanwhile stay (they are real records).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.models

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

SUBJECT, PURPOSE = 'corrective_action', 'carry_over'


def upgrade() -> None:
    op.create_table(  # #21 §5.1.1: a plan's reviews, who and when
        'plan_review',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan', sa.String(length=64), nullable=False),
        sa.Column('reviewed_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('reviewed_by', sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint('id'))
    op.create_index('ix_plan_review_plan', 'plan_review', ['plan'])
    with op.batch_alter_table('corrective_action') as batch:
        batch.add_column(sa.Column('item_report_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_corrective_action_item_report', 'report', ['item_report_id'], ['id'])
        batch.create_index('ix_corrective_action_item_report_id', ['item_report_id'])
    bind = op.get_bind()
    ca = sa.table('corrective_action', sa.column('id'), sa.column('status'), sa.column('item_report_id'),
                  sa.column('created_at', storage.models.UTCDateTime(timezone=True)))
    rows = bind.execute(sa.select(ca.c.id, ca.c.created_at).where(ca.c.status == 'open', ca.c.item_report_id.is_(None))
                        .order_by(ca.c.id)).all()
    timer = sa.table('timer', sa.column('subject_type'), sa.column('subject_id'), sa.column('purpose'),
                     sa.column('step'), sa.column('cycle'),
                     sa.column('due_at', storage.models.UTCDateTime(timezone=True)),
                     sa.column('fire_at', storage.models.UTCDateTime(timezone=True)), sa.column('status'), sa.column('late'))
    if rows:
        op.bulk_insert(timer, [dict(subject_type=SUBJECT, subject_id=i, purpose=PURPOSE, step=0, cycle=1, due_at=at,
                                    fire_at=at, status='pending', late=False) for i, at in rows])


def downgrade() -> None:
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM timer WHERE subject_type = :t AND purpose = :p AND status = 'pending'"),
                 {"t": SUBJECT, "p": PURPOSE})
    bind.execute(sa.text(
        "UPDATE corrective_action SET status = 'done', "
        "done_at = (SELECT closed_at FROM rect_item WHERE rect_item.report_id = corrective_action.item_report_id), "
        "done_by = (SELECT verified_by FROM rect_item WHERE rect_item.report_id = corrective_action.item_report_id) "
        "WHERE status = 'open' AND item_report_id IN (SELECT report_id FROM rect_item WHERE state = 'closed')"))
    with op.batch_alter_table('corrective_action') as batch:
        batch.drop_index('ix_corrective_action_item_report_id')
        batch.drop_constraint('fk_corrective_action_item_report', type_='foreignkey')
        batch.drop_column('item_report_id')
    op.drop_index('ix_plan_review_plan', table_name='plan_review')
    op.drop_table('plan_review')
