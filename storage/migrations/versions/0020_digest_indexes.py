"""reads over a long history, the second pass (issue 26): the open reports' figures grouped in index order
(ix_report_open_teams: one streamed GROUP BY instead of a sort of every open row); a team's figures of a period read
from ix_report_team_reported alone (it gains kind, group_id, level and acknowledged_at: the supervisor's Home tiles,
a team channel's digest); ix_report_week gains id (the day's first new reports of every channel ranked from the index
on PostgreSQL too, then only those rows read)

Revision ID: 0020_digest_indexes
Revises: 0019
Create Date: 2026-12-05
"""
import sqlalchemy as sa
from alembic import op

revision = '0020_digest_indexes'
down_revision = '0019'
branch_labels = None
depends_on = None

OPEN = sa.text("status IN ('open', 'acknowledged')")


def upgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.create_index('ix_report_open_teams', ['kind', 'overdue', 'level', 'team', 'reported_at', 'group_id'],
                              unique=False, sqlite_where=OPEN, postgresql_where=OPEN)
        batch_op.drop_index('ix_report_team_reported')
        batch_op.create_index('ix_report_team_reported', ['team', 'reported_at', 'kind', 'group_id', 'level',
                                                          'acknowledged_at'], unique=False)
        batch_op.drop_index('ix_report_week')
        batch_op.create_index('ix_report_week', ['reported_at', 'kind', 'team', 'category', 'level', 'location', 'id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_index('ix_report_week')
        batch_op.create_index('ix_report_week', ['reported_at', 'kind', 'team', 'category', 'level', 'location'],
                              unique=False)
        batch_op.drop_index('ix_report_team_reported')
        batch_op.create_index('ix_report_team_reported', ['team', 'reported_at'], unique=False)
        batch_op.drop_index('ix_report_open_teams', sqlite_where=OPEN, postgresql_where=OPEN)
