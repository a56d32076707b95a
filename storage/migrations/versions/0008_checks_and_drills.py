"""checks and drills (#10): check_task, drill, drill_attendance; a timer may guard a check task

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29

`timer.report_id` becomes nullable (a check task's timer has none) and `timer.task_id` is added. On SQLite
that is a table copy (batch mode); the timer table holds only pending and recent rows, so it is small.
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'check_task',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('name', sa.String(length=48), nullable=False),
        sa.Column('team', sa.String(length=80), nullable=True),
        sa.Column('shift', sa.String(length=40), nullable=True),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('owners', sa.JSON(), nullable=False),
        sa.Column('issued_at', UTCDateTime(), nullable=False),
        sa.Column('starts_at', UTCDateTime(), nullable=True),
        sa.Column('due_at', UTCDateTime(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('done_at', UTCDateTime(), nullable=True),
        sa.Column('done_by', sa.String(length=32), nullable=True),
        sa.Column('problems', sa.JSON(), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('sample', sa.JSON(), nullable=False),
        sa.Column('report_id', sa.Integer(), nullable=True),
        sa.Column('overdue', sa.Boolean(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['report_id'], ['report.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key', name='uq_check_task_key'),
    )
    op.create_index('ix_check_task_status_due', 'check_task', ['status', 'due_at'])
    op.create_index('ix_check_task_team_day', 'check_task', ['team', 'day'])
    op.create_table(
        'drill',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=32), nullable=False),
        sa.Column('period', sa.String(length=16), nullable=False),
        sa.Column('plan', sa.String(length=48), nullable=True),
        sa.Column('planned_at', UTCDateTime(), nullable=False),
        sa.Column('moved_by', sa.String(length=32), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('notices', sa.JSON(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=True),
        sa.Column('passed', sa.Boolean(), nullable=True),
        sa.Column('problems', sa.JSON(), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('evaluated_at', UTCDateTime(), nullable=True),
        sa.Column('evaluated_by', sa.String(length=32), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('kind', 'period', name='uq_drill_kind_period'),
    )
    op.create_index('ix_drill_at', 'drill', ['status', 'planned_at'])
    op.create_table(
        'drill_attendance',
        sa.Column('drill_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['drill_id'], ['drill.id']),
        sa.PrimaryKeyConstraint('drill_id', 'user_id'),
    )
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.alter_column('report_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('task_id', sa.Integer(), nullable=True))
        batch_op.create_index('ix_timer_task_id', ['task_id'])
        batch_op.create_foreign_key('fk_timer_task_id', 'check_task', ['task_id'], ['id'])
        batch_op.create_unique_constraint('uq_timer_task_step', ['task_id', 'purpose', 'step', 'cycle'])


def downgrade() -> None:
    with op.batch_alter_table('timer', schema=None) as batch_op:
        batch_op.drop_constraint('uq_timer_task_step', type_='unique')
        batch_op.drop_constraint('fk_timer_task_id', type_='foreignkey')
        batch_op.drop_index('ix_timer_task_id')
        batch_op.drop_column('task_id')
        batch_op.alter_column('report_id', existing_type=sa.Integer(), nullable=False)
    op.drop_table('drill_attendance')
    op.drop_index('ix_drill_at', table_name='drill')
    op.drop_table('drill')
    op.drop_index('ix_check_task_team_day', table_name='check_task')
    op.drop_index('ix_check_task_status_due', table_name='check_task')
    op.drop_table('check_task')
