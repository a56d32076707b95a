"""indicators (#22): slack_file (the ids of the files the sender uploaded under a key: a corrected month's charts
replace the old ones instead of adding a second set)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'slack_file',
        sa.Column('file_id', sa.String(length=32), nullable=False),
        sa.Column('key', sa.String(length=96), nullable=False),
        sa.Column('channel', sa.String(length=32), nullable=False),
        sa.Column('uploaded_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('file_id'),
    )
    op.create_index('ix_slack_file_key', 'slack_file', ['key'])


def downgrade() -> None:
    op.drop_index('ix_slack_file_key', table_name='slack_file')
    op.drop_table('slack_file')
