"""anonymous suggestions and the violations ledger (#24)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models.core import UTCDateTime

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'suggestion',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=16), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('posted', sa.Boolean(), nullable=False),
        sa.Column('reply', sa.Text(), nullable=False),
        sa.Column('answered_by', sa.String(length=32), nullable=True),
        sa.Column('decided_on', sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('code', name='uq_suggestion_code'),
    )
    op.create_index('ix_suggestion_day', 'suggestion', ['day'])
    op.create_table(
        'violation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_key', sa.String(length=128), nullable=False),
        sa.Column('person_id', sa.String(length=32), nullable=False),
        sa.Column('what', sa.Text(), nullable=False),
        sa.Column('occurred_on', sa.Date(), nullable=False),
        sa.Column('evidence', sa.Text(), nullable=False),
        sa.Column('linked', sa.String(length=64), nullable=False),
        sa.Column('caused_accident', sa.Boolean(), nullable=False),
        sa.Column('step', sa.String(length=24), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('recorded_by', sa.String(length=32), nullable=False),
        sa.Column('recorded_at', UTCDateTime(), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('action_owner', sa.String(length=32), nullable=True),
        sa.Column('action_due', sa.Date(), nullable=True),
        sa.Column('appeal', sa.Text(), nullable=False),
        sa.Column('appeal_status', sa.String(length=16), nullable=False),
        sa.Column('appealed_at', UTCDateTime(), nullable=True),
        sa.Column('appeal_decided_by', sa.String(length=32), nullable=True),
        sa.Column('appeal_note', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('source_key', name='uq_violation_source'),
    )
    op.create_index('ix_violation_person', 'violation', ['person_id', 'occurred_on'])


def downgrade() -> None:
    op.drop_index('ix_violation_person', table_name='violation')
    op.drop_table('violation')
    op.drop_index('ix_suggestion_day', table_name='suggestion')
    op.drop_table('suggestion')
