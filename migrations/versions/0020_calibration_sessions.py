"""calibration sessions

Issue 21: sessions in which several evaluators score the same interactions blind, in
tables of their own so that no agent figure reads them; `user.qa_lead` names the
supervisors who may run them. New tables and a column with a default only.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 18:27:43.936238

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calibration_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=120), nullable=False),
    sa.Column('scorecard_version_id', sa.Integer(), nullable=False),
    sa.Column('benchmark', sa.String(length=16), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=True),
    sa.Column('tolerance_points', sa.Double(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(benchmark = 'expert') = (expert_id IS NOT NULL)", name=op.f('ck_calibration_session_expert_named')),
    sa.CheckConstraint("benchmark IN ('expert', 'consensus')", name=op.f('ck_calibration_session_benchmark')),
    sa.CheckConstraint("status IN ('open', 'closed')", name=op.f('ck_calibration_session_status')),
    sa.CheckConstraint('tolerance_points >= 0 AND tolerance_points <= 100', name=op.f('ck_calibration_session_tolerance')),
    sa.ForeignKeyConstraint(['closed_by_id'], ['user.id'], name=op.f('fk_calibration_session_closed_by_id_user')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_calibration_session_created_by_id_user')),
    sa.ForeignKeyConstraint(['expert_id'], ['user.id'], name=op.f('fk_calibration_session_expert_id_user')),
    sa.ForeignKeyConstraint(['scorecard_version_id'], ['scorecard_version.id'], name=op.f('fk_calibration_session_scorecard_version_id_scorecard_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_session'))
    )
    with op.batch_alter_table('calibration_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_session_closed_at'), ['closed_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_calibration_session_scorecard_version_id'), ['scorecard_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_calibration_session_status'), ['status'], unique=False)

    op.create_table('calibration_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('interaction_id', sa.Integer(), nullable=False),
    sa.Column('promoted_evaluation_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['interaction_id'], ['interaction.id'], name=op.f('fk_calibration_item_interaction_id_interaction')),
    sa.ForeignKeyConstraint(['promoted_evaluation_id'], ['evaluation.id'], name=op.f('fk_calibration_item_promoted_evaluation_id_evaluation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['calibration_session.id'], name=op.f('fk_calibration_item_session_id_calibration_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_item')),
    sa.UniqueConstraint('session_id', 'interaction_id', name=op.f('uq_calibration_item_session_id'))
    )
    with op.batch_alter_table('calibration_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_item_interaction_id'), ['interaction_id'], unique=False)

    op.create_table('calibration_participant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['calibration_session.id'], name=op.f('fk_calibration_participant_session_id_calibration_session'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_calibration_participant_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_participant')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_calibration_participant_session_id'))
    )
    with op.batch_alter_table('calibration_participant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_participant_user_id'), ['user_id'], unique=False)

    op.create_table('calibration_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Double(), nullable=True),
    sa.Column('raw_score', sa.Double(), nullable=True),
    sa.Column('auto_failed', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=True),
    sa.Column('overall_comment', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['item_id'], ['calibration_item.id'], name=op.f('fk_calibration_score_item_id_calibration_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_calibration_score_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_score')),
    sa.UniqueConstraint('item_id', 'user_id', name=op.f('uq_calibration_score_item_id'))
    )
    with op.batch_alter_table('calibration_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calibration_score_user_id'), ['user_id'], unique=False)

    op.create_table('calibration_answer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('score_id', sa.Integer(), nullable=False),
    sa.Column('criterion_key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Double(), nullable=True),
    sa.Column('is_na', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('normalised', sa.Double(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['score_id'], ['calibration_score.id'], name=op.f('fk_calibration_answer_score_id_calibration_score'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calibration_answer')),
    sa.UniqueConstraint('score_id', 'criterion_key', name=op.f('uq_calibration_answer_score_id'))
    )
    # In place, not in batch mode: SQLite would copy and DROP the user table, which every
    # table refers to (foreign keys are on).
    op.add_column('user', sa.Column('qa_lead', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    if op.get_bind().dialect.name == 'sqlite':
        # Not batch mode: it would copy and DROP the user table, which every table refers to
        # (foreign keys are on). SQLite 3.35 and later drop a plain column in place.
        op.execute('ALTER TABLE "user" DROP COLUMN qa_lead')
    else:
        op.drop_column('user', 'qa_lead')

    op.drop_table('calibration_answer')
    with op.batch_alter_table('calibration_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calibration_score_user_id'))

    op.drop_table('calibration_score')
    with op.batch_alter_table('calibration_participant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calibration_participant_user_id'))

    op.drop_table('calibration_participant')
    with op.batch_alter_table('calibration_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calibration_item_interaction_id'))

    op.drop_table('calibration_item')
    with op.batch_alter_table('calibration_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calibration_session_status'))
        batch_op.drop_index(batch_op.f('ix_calibration_session_scorecard_version_id'))
        batch_op.drop_index(batch_op.f('ix_calibration_session_closed_at'))

    op.drop_table('calibration_session')
