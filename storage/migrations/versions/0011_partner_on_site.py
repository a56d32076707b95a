"""an incident's partners on site (#21, §2.3.2): the moment security is due on site, and who came when

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Skips a column already there (a database stamped at an older revision over the current schema, as
    # tests/test_typed_numbers.py does to replay 0010).
    have = {c['name'] for c in sa.inspect(op.get_bind()).get_columns('report')}
    for name in ('partner_due_at', 'partner_at'):
        if name not in have:
            op.add_column('report', sa.Column(name, storage.models.UTCDateTime(timezone=True), nullable=True))
    if 'partner_by' not in have:
        op.add_column('report', sa.Column('partner_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('report') as batch:
        batch.drop_column('partner_by')
        batch.drop_column('partner_at')
        batch.drop_column('partner_due_at')
