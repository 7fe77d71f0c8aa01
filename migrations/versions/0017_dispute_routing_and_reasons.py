"""dispute reviewers per team, and a reason per disputed criterion

Issue 19: a team names who decides its agents' disputes besides its supervisors
(`team_dispute_reviewer`), and an agent gives one reason per disputed criterion
(`dispute.criterion_reasons`, key → reason; empty for older disputes, whose one reason
covers all their criteria). A new table and a column with a default only, so the upgrade
cannot fail on existing rows.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 13:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('team_dispute_reviewer',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], name=op.f('fk_team_dispute_reviewer_team_id_team'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_team_dispute_reviewer_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'user_id', name=op.f('pk_team_dispute_reviewer'))
    )
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.add_column(sa.Column('criterion_reasons', sa.JSON(), server_default='{}', nullable=False))


def downgrade():
    with op.batch_alter_table('dispute', schema=None) as batch_op:
        batch_op.drop_column('criterion_reasons')
    op.drop_table('team_dispute_reviewer')
