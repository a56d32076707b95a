"""indicators (#22): monthly_figure (the figures that are not in Slack, given by the safety officer); two
covering indexes of report for the month's figures

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'monthly_figure',
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('given_by', sa.String(length=32), nullable=False),
        sa.Column('given_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('month', 'key'),
    )
    # The month's indicators read a month of reports from these alone (index-only scans; docs/BENCHMARKS.md).
    op.create_index('ix_report_month_figures', 'report', ['reported_at', 'kind', 'group_id', 'level', 'category',
                                                          'acknowledged_at', 'resolved_at', 'on_site_at'])
    op.create_index('ix_report_resolved_kind', 'report', ['resolved_at', 'kind', 'group_id'])


def downgrade() -> None:
    op.drop_index('ix_report_resolved_kind', table_name='report')
    op.drop_index('ix_report_month_figures', table_name='report')
    op.drop_table('monthly_figure')
