"""outbox priority, reporter known

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both engines: no table copy on SQLite, whatever the row count.
    op.add_column('outbox', sa.Column('priority', sa.Integer(), nullable=False, server_default='1'))
    op.add_column('report', sa.Column('reporter_known', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('reporter_known')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('priority')
