"""reads over a long history (issue 26): the open reports' figures from one covering partial index
(ix_report_open_figures replaces ix_report_open); the weekly summary's from ix_report_week; times to acknowledge
from ix_report_acked (replaces ix_report_acknowledged_at)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('open', 'acknowledged')")


def upgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_open_figures', ['kind', 'overdue', 'level', 'reported_at', 'team', 'group_id'],
                              unique=False, sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.drop_index('ix_report_open', sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.create_index('ix_report_week', ['reported_at', 'kind', 'team', 'category', 'level', 'location'],
                              unique=False)
        batch_op.create_index('ix_report_acked', ['acknowledged_at', 'kind', 'team', 'reported_at', 'acknowledged_by',
                                                  'reporter_id', 'id'], unique=False)
        batch_op.drop_index('ix_report_acknowledged_at')


def downgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_acknowledged_at', ['acknowledged_at'], unique=False)
        batch_op.drop_index('ix_report_acked')
        batch_op.drop_index('ix_report_week')
        batch_op.create_index('ix_report_open', ['team', 'level', 'reported_at'], unique=False,
                              sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.drop_index('ix_report_open_figures', sqlite_where=OPEN, postgresql_where=OPEN)
