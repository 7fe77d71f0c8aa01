"""calibration notifications

Issue 21: participants are told when they are invited to a calibration session, when its
results are ready, and (daily) when a session is due by tomorrow or overdue. Only the
notification kinds' check constraint changes; existing rows all satisfy the new one.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 19:05:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

BEFORE = (
    'feedback_released', 'dispute_decided', 'plan_issued', 'coaching_recorded',
    'dispute_raised', 'plan_acknowledged', 'items_overdue', 'assignments_due',
)
AFTER = BEFORE + ('calibration_invited', 'calibration_closed', 'calibration_due')


def _kinds(kinds):
    return "kind IN ({})".format(', '.join(f"'{k}'" for k in kinds))


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notification_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notification_kind'), _kinds(AFTER))


def downgrade():
    # The new kinds' notifications cannot be kept under the old constraint.
    op.execute(
        "DELETE FROM notification WHERE kind IN "
        "('calibration_invited', 'calibration_closed', 'calibration_due')"
    )
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_notification_kind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_notification_kind'), _kinds(BEFORE))
