"""customer outcomes on interactions

Issues 19 and 23: an interaction may carry the customer's CSAT answer (its score on the
survey's scale and whether it counts as positive), NPS answer (0–10) and whether the matter
was resolved on first contact, all optional (null: unknown). Repeat contacts are derived
from the customer reference and time, hence the index. Nullable columns only, so the
upgrade cannot fail on existing rows.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 15:55:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.add_column(sa.Column('csat_score', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('csat_positive', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('nps_score', sa.SmallInteger(), nullable=True))
        batch_op.add_column(sa.Column('resolved_first_contact', sa.Boolean(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_interaction_nps_score'), 'nps_score BETWEEN 0 AND 10')
        batch_op.create_check_constraint(op.f('ck_interaction_csat_score'), 'csat_score BETWEEN 0 AND 100')
        batch_op.create_index('ix_interaction_customer_occurred', ['customer_ref', 'occurred_at'], unique=False)


def downgrade():
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.drop_index('ix_interaction_customer_occurred')
        batch_op.drop_constraint(op.f('ck_interaction_csat_score'), type_='check')
        batch_op.drop_constraint(op.f('ck_interaction_nps_score'), type_='check')
        batch_op.drop_column('resolved_first_contact')
        batch_op.drop_column('nps_score')
        batch_op.drop_column('csat_positive')
        batch_op.drop_column('csat_score')
