"""translations of the training modules

Issue 20: training.toml may give a module's title, skill and description in several
languages; the columns keep the file's own language and this column the translations. A
nullable column only, so the upgrade cannot fail on existing rows.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 16:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('training_module', schema=None) as batch_op:
        batch_op.add_column(sa.Column('translations', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('training_module', schema=None) as batch_op:
        batch_op.drop_column('translations')
