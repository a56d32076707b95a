"""report.assigned_to: who does the work, kept apart from who answers for it (#13)

Revision ID: 0006_thread
Revises: 0005
Create Date: 2026-11-29
"""
import sqlalchemy as sa
from alembic import op

revision = '0006_thread'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN of a nullable column on both engines: no table copy, whatever the row count.
    op.add_column('report', sa.Column('assigned_to', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_column('assigned_to')
