"""covering indexes for the reports: evaluation scores by agent and period, answers' r

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 03:10:00

The reports read, for every evaluation of an agent scope and a period, its status,
evaluator, scorecard version and score columns, and for each of those evaluations every
answer's criterion and r. With these columns in the indexes SQLite reads the index alone,
without a look-up in the table for each of a million-evaluation centre's 120k evaluations
and 1.5M answers of a 90-day period (bench/RESULTS.md). The new evaluation index starts
with the columns of `ix_evaluation_agent_submitted` (0007), which it replaces.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

EVALUATION_COLUMNS = [
    'agent_id', 'submitted_at', 'status', 'evaluator_id', 'scorecard_version_id',
    'score', 'passed', 'auto_failed',
]


def upgrade():
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.create_index('ix_evaluation_agent_submitted_scores', EVALUATION_COLUMNS)
        batch_op.drop_index('ix_evaluation_agent_submitted')
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.create_index(
            'ix_answer_evaluation_criterion_normalised',
            ['evaluation_id', 'criterion_key', 'normalised'],
        )


def downgrade():
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_evaluation_criterion_normalised')
    with op.batch_alter_table('evaluation', schema=None) as batch_op:
        batch_op.create_index(
            'ix_evaluation_agent_submitted', ['agent_id', 'submitted_at'], unique=False
        )
        batch_op.drop_index('ix_evaluation_agent_submitted_scores')
