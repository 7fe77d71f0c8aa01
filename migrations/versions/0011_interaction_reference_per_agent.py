"""an interaction's reference is unique per source and agent

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 10:50:00

The unique (source, external_ref) of 0003 made a call's reference centre-wide: a supervisor
posting another team's reference was answered with that team's interaction id (or refused),
which told them it existed. Unique per source, reference and agent, a reference of an agent
out of the importer's sight no longer meets theirs (issue 17). Every stored pair was unique,
so every triple is: the upgrade cannot fail on existing rows. The downgrade fails if two
agents now share a reference of one source.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.drop_constraint('uq_interaction_source', type_='unique')
        batch_op.create_unique_constraint(
            'uq_interaction_source', ['source', 'external_ref', 'agent_id']
        )


def downgrade():
    with op.batch_alter_table('interaction', schema=None) as batch_op:
        batch_op.drop_constraint('uq_interaction_source', type_='unique')
        batch_op.create_unique_constraint('uq_interaction_source', ['source', 'external_ref'])
