"""merge the branches of incidents, rectification and thread work

Revision ID: 0007
Revises: 0006_incidents, 0006_rectification, 0006_thread
Create Date: 2026-11-29

The three were written side by side, each on 0005; this joins them into one head again.
No schema change.
"""

revision = '0007'
down_revision = ('0006_incidents', '0006_rectification', '0006_thread')
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
