"""an assignment's due date

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 13:45:00

A sample sets the day by which its assignments should be scored, and the work queue flags
those past it (issue 19). A nullable column: existing assignments have no due date, so the
upgrade cannot fail on existing rows.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_on', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.drop_column('due_on')
