"""evaluation index on agent and submission time

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 15:40:00

Every report filters evaluations by agent (the user's scope) and by submission time (the
period). Without this index SQLite walks `ix_evaluation_agent_status` through each agent's
whole history; with it, only the period's rows are read (bench/RESULTS.md).
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.create_index(
            'ix_evaluation_agent_submitted', ['agent_id', 'submitted_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.drop_index('ix_evaluation_agent_submitted')
