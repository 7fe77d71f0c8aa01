"""health probe: the row /healthz rewrites to prove the database can still save

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 10:40:00

A database on a full disk, or one turned read-only, still answers SELECT 1, so the health
check said "ok" while every save failed. The check now rewrites one row of this table.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'health_probe',
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_health_probe')),
    )


def downgrade():
    op.drop_table('health_probe')
