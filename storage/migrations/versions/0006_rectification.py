"""rectification items (整改, §4.3) and the risk register (§4.1)

Revision ID: 0006_rectification
Revises: 0005
Create Date: 2026-11-29
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision = '0006_rectification'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # New tables only: the timers of an item are rows of `timer` on its hazard (purposes rectify, rect_remind).
    op.create_table('risk',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('likelihood', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('impact', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('level', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
    sa.Column('controls', sa.Text(), nullable=False),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('team', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('reviewed_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_index(op.f('ix_risk_created_at'), 'risk', ['created_at'], unique=False)
    op.create_index('ix_risk_kind_level', 'risk', ['kind', 'level'], unique=False)
    op.create_table('rect_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('team', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=True),
    sa.Column('likelihood', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('impact', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('risk', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('accountable', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('assigned', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('plan', sa.JSON(), nullable=True),
    sa.Column('plan_version', sa.Integer(), nullable=False),
    sa.Column('approved_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approved_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('first_due_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('due_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('extensions', sa.Integer(), nullable=False),
    sa.Column('ext_due_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ext_reason', sa.Text(), nullable=False),
    sa.Column('ext_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('completed_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('completion', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('verified_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verified_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('closed_at', storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('overdue', sa.Boolean(), nullable=False),
    sa.Column('was_overdue', sa.Boolean(), nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('recurring_of', sa.Integer(), nullable=True),
    sa.Column('supervised', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['recurring_of'], ['report.id'], ),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('report_id', name='uq_rect_item_report')
    )
    op.create_index(op.f('ix_rect_item_closed_at'), 'rect_item', ['closed_at'], unique=False)
    op.create_index(op.f('ix_rect_item_created_at'), 'rect_item', ['created_at'], unique=False)
    op.create_index('ix_rect_item_state', 'rect_item', ['state', 'risk'], unique=False)
    op.create_index('ix_rect_item_team', 'rect_item', ['team', 'due_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_rect_item_team', table_name='rect_item')
    op.drop_index('ix_rect_item_state', table_name='rect_item')
    op.drop_index(op.f('ix_rect_item_created_at'), table_name='rect_item')
    op.drop_index(op.f('ix_rect_item_closed_at'), table_name='rect_item')
    op.drop_table('rect_item')
    op.drop_index('ix_risk_kind_level', table_name='risk')
    op.drop_index(op.f('ix_risk_created_at'), table_name='risk')
    op.drop_table('risk')
