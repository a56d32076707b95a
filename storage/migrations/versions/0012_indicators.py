"""indicators (#22): monthly_figure (the figures that are not in Slack, given by the safety officer)

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = '0012'
down_revision = '0010'
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


def downgrade() -> None:
    op.drop_table('monthly_figure')
