"""import profiles

How to read one source's files (issue 18): the columns, date order, time zone, duration
unit and channel words a centre saved for a source of statistics or interactions. A new
table only, so the upgrade cannot fail on existing rows.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 13:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('import_profile',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user.id'], name=op.f('fk_import_profile_updated_by_id_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_profile')),
    sa.UniqueConstraint('kind', 'source', name=op.f('uq_import_profile_kind'))
    )


def downgrade():
    op.drop_table('import_profile')
