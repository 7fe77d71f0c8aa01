"""job run time

Issue 22: how long each job ran, which /metrics reads from the table, so that every app
server reports every worker's jobs alike. One nullable column, added in place.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 22:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('job', sa.Column('run_seconds', sa.Float(), nullable=True))


def downgrade():
    with op.batch_alter_table('job') as batch_op:
        batch_op.drop_column('run_seconds')
