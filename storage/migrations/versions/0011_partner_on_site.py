"""an incident's partners on site (#21, §2.3.2): the moment security is due on site, and who came when

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import sqlmodel

import storage.models

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for name in ('partner_due_at', 'partner_at'):
        op.add_column('report', sa.Column(name, storage.models.UTCDateTime(timezone=True), nullable=True))
    op.add_column('report', sa.Column('partner_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('report') as batch:
        batch.drop_column('partner_by')
        batch.drop_column('partner_at')
        batch.drop_column('partner_due_at')
