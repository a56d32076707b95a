"""the problems a check recorded, each can become a hazard (#21, §2.2.2, §4.2.2, §6.1.1); the weekly risk
observation rounds and their "nothing new" answers (§4.1.1)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models.core import UTCDateTime

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'check_finding',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=True),
        sa.Column('reported_by', sa.String(length=32), nullable=True),
        sa.Column('reported_at', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['task_id'], ['check_task.id']),
        sa.ForeignKeyConstraint(['report_id'], ['report.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('task_id', 'n', name='uq_check_finding_task_n'),
    )
    op.create_index('ix_check_finding_task_id', 'check_finding', ['task_id'])
    op.create_table(
        'risk_round',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('week', sa.Date(), nullable=False),
        sa.Column('asked', sa.JSON(), nullable=False),
        sa.Column('asked_at', UTCDateTime(), nullable=False),
        sa.Column('due_at', UTCDateTime(), nullable=False),
        sa.Column('told_at', UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('week', name='uq_risk_round_week'),
    )
    op.create_table(
        'risk_answer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('round_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('answered_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['round_id'], ['risk_round.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('round_id', 'user_id', name='uq_risk_answer_round_user'),
    )


def downgrade() -> None:
    op.drop_table('risk_answer')
    op.drop_table('risk_round')
    op.drop_index('ix_check_finding_task_id', table_name='check_finding')
    op.drop_table('check_finding')
