"""incidents: the incident columns of `report` and the corrective actions of an investigation

Revision ID: 0006_incidents
Revises: 0005
Create Date: 2026-11-29
"""
import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision = '0006_incidents'
down_revision = '0005'
branch_labels = None
depends_on = None

_TEXT = ('affected', 'actions_taken', 'source_link', 'special_report', 'postmortem')
_MOMENTS = ('on_site_at', 'special_report_due_at', 'special_report_at', 'investigation_due_at', 'investigation_at',
            'postmortem_at')
_PEOPLE = ('on_site_by', 'special_report_by', 'investigation_by', 'postmortem_by')


def upgrade() -> None:
    # Plain ADD COLUMN on both engines (nullable, or NOT NULL with a constant default): no table copy.
    for name in _TEXT:
        op.add_column('report', sa.Column(name, sa.Text(), nullable=False, server_default=''))
    for name in _MOMENTS:
        op.add_column('report', sa.Column(name, storage.models.UTCDateTime(timezone=True), nullable=True))
    for name in _PEOPLE:
        op.add_column('report', sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
    op.add_column('report', sa.Column('investigation', sa.JSON(), nullable=True))
    op.create_table(
        'corrective_action',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('due_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column('created_at', storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('done_at', storage.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column('done_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.ForeignKeyConstraint(['report_id'], ['report.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_corrective_action_open', 'corrective_action', ['status', 'due_at'], unique=False)
    op.create_index(op.f('ix_corrective_action_report_id'), 'corrective_action', ['report_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_corrective_action_report_id'), table_name='corrective_action')
    op.drop_index('ix_corrective_action_open', table_name='corrective_action')
    op.drop_table('corrective_action')
    with op.batch_alter_table('report', schema=None) as batch_op:
        for name in ('investigation',) + _PEOPLE + _MOMENTS + _TEXT:
            batch_op.drop_column(name)
