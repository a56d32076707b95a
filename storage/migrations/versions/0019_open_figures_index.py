"""the open reports' figures from one covering partial index (issue 26): ix_report_open_figures replaces
ix_report_open

Revision ID: 0019
Revises: 0014
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0014'
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('open', 'acknowledged')")


def upgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_open_figures', ['kind', 'overdue', 'level', 'reported_at', 'team', 'group_id'],
                              unique=False, sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.drop_index('ix_report_open', sqlite_where=OPEN, postgresql_where=OPEN)


def downgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_open', ['team', 'level', 'reported_at'], unique=False,
                              sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.drop_index('ix_report_open_figures', sqlite_where=OPEN, postgresql_where=OPEN)
