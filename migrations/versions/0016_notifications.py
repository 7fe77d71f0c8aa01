"""notifications

In-app notifications (issue 19): one row per recipient and event, its kind and parameters
(rendered in the reader's language when shown), the page it leads to, and when it was read;
daily reminders are unique per recipient, kind and day. And each user's choice of e-mail.
New tables only, so the upgrade cannot fail on existing rows.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 14:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

KINDS = (
    'feedback_released', 'dispute_decided', 'plan_issued', 'coaching_recorded',
    'dispute_raised', 'plan_acknowledged', 'items_overdue', 'assignments_due',
)


def upgrade():
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('link_endpoint', sa.String(length=64), nullable=True),
    sa.Column('link_args', sa.JSON(), nullable=False),
    sa.Column('reminder_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ({})".format(', '.join(f"'{k}'" for k in KINDS)), name=op.f('ck_notification_kind')),
    sa.ForeignKeyConstraint(['recipient_id'], ['user.id'], name=op.f('fk_notification_recipient_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('recipient_id', 'kind', 'reminder_on', name=op.f('uq_notification_recipient_id'))
    )
    op.create_index('ix_notification_recipient_read', 'notification', ['recipient_id', 'read_at'], unique=False)
    op.create_table('notification_setting',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_notification_setting_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_notification_setting'))
    )


def downgrade():
    op.drop_table('notification_setting')
    op.drop_index('ix_notification_recipient_read', table_name='notification')
    op.drop_table('notification')
