"""training (#23): training_test (the tests taken in chat), training_session and training_attendance, safety_note

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'training_test',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=120), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.Column('reason', sa.String(length=16), nullable=False),
        sa.Column('period', sa.String(length=16), nullable=True),
        sa.Column('attempt', sa.Integer(), nullable=False),
        sa.Column('questions', sa.JSON(), nullable=False),
        sa.Column('answers', sa.JSON(), nullable=False),
        sa.Column('right', sa.Integer(), nullable=False),
        sa.Column('pass_mark', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('due_at', UTCDateTime(), nullable=False),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key', name='uq_training_test_key'),
    )
    op.create_index('ix_training_test_user', 'training_test', ['user_id', 'status'])
    op.create_table(
        'training_session',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('course', sa.Text(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('hours', sa.Float(), nullable=False),
        sa.Column('recorded_by', sa.String(length=32), nullable=False),
        sa.Column('recorded_at', UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_table(
        'training_attendance',
        sa.Column('session_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['session_id'], ['training_session.id']),
        sa.PrimaryKeyConstraint('session_id', 'user_id'),
    )
    op.create_index('ix_training_attendance_user', 'training_attendance', ['user_id'])
    op.create_table(
        'safety_note',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('author', sa.String(length=32), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('published_at', UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_safety_note_pending', 'safety_note', ['published_at'])


def downgrade() -> None:
    op.drop_index('ix_safety_note_pending', table_name='safety_note')
    op.drop_table('safety_note')
    op.drop_index('ix_training_attendance_user', table_name='training_attendance')
    op.drop_table('training_attendance')
    op.drop_table('training_session')
    op.drop_index('ix_training_test_user', table_name='training_test')
    op.drop_table('training_test')
