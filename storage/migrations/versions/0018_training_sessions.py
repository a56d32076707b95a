"""training sessions on the calendar, topics after reviews, the Safety Star, the teams' known members (#23)

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage.models.core import UTCDateTime

revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'training_roster',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('session_key', sa.String(length=40), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('team', sa.String(length=80), nullable=True),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('hours', sa.Float(), nullable=False),
        sa.Column('organisers', sa.JSON(), nullable=False),
        sa.Column('expected', sa.JSON(), nullable=False),
        sa.Column('topics', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attended', sa.JSON(), nullable=False),
        sa.Column('session_id', sa.Integer(), nullable=True),
        sa.Column('saved_by', sa.String(length=32), nullable=True),
        sa.Column('saved_at', UTCDateTime(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['training_session.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key', name='uq_training_roster_key'),
    )
    op.create_index('ix_training_roster_day', 'training_roster', ['day'])
    op.create_table(
        'training_topic',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('author', sa.String(length=32), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('roster_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['roster_id'], ['training_roster.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_training_topic_pending', 'training_topic', ['roster_id'])
    op.create_table(
        'star_nomination',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('nominee', sa.String(length=32), nullable=False),
        sa.Column('nominator', sa.String(length=32), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_star_nomination_month', 'star_nomination', ['month'])
    op.create_table(
        'star_pick',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('star', sa.String(length=32), nullable=True),
        sa.Column('picked_by', sa.String(length=32), nullable=True),
        sa.Column('picked_at', UTCDateTime(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('month', name='uq_star_pick_month'),
    )
    op.create_table(
        'team_member',
        sa.Column('team', sa.String(length=80), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('since', UTCDateTime(), nullable=False),
        sa.Column('induction', sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint('team', 'user_id'),
    )


def downgrade() -> None:
    op.drop_table('team_member')
    op.drop_table('star_pick')
    op.drop_index('ix_star_nomination_month', table_name='star_nomination')
    op.drop_table('star_nomination')
    op.drop_index('ix_training_topic_pending', table_name='training_topic')
    op.drop_table('training_topic')
    op.drop_index('ix_training_roster_day', table_name='training_roster')
    op.drop_table('training_roster')
