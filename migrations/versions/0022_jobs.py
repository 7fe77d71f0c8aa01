"""jobs: long work run by the worker, with progress and results

Issue 22: large exports and statistics imports started from the web run
on a job queue; this table is each job's record: who started it, its progress, its outcome
and its result file. A new table only.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 19:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'job',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('started_by_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), server_default='queued', nullable=False),
        sa.Column('params', sa.JSON(), nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('rows_done', sa.Integer(), server_default='0', nullable=False),
        sa.Column('rows_total', sa.Integer(), server_default='0', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('error_message', sa.Text(), nullable=True),
        sa.Column('result_message', sa.Text(), nullable=True),
        sa.Column('result_file', sa.String(length=64), nullable=True),
        sa.Column('result_name', sa.String(length=255), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('expired_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_job_status')
        ),
        sa.CheckConstraint('rows_done >= 0 AND rows_total >= 0', name=op.f('ck_job_rows')),
        sa.ForeignKeyConstraint(
            ['started_by_id'], ['user.id'], name=op.f('fk_job_started_by_id_user'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_job')),
    )
    op.create_index('ix_job_started_by_created', 'job', ['started_by_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_job_expires_at'), 'job', ['expires_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_job_expires_at'), table_name='job')
    op.drop_index('ix_job_started_by_created', table_name='job')
    op.drop_table('job')
