"""audit trail append-only in the database; anonymised users

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 17:40:00

Triggers refuse UPDATE and DELETE of `audit_event` rows on SQLite and PostgreSQL. The one
exception: while an `audit_redaction` row exists in the same transaction (the anonymisation
of a departed agent), an UPDATE may replace `before`/`after` and nothing else.

PostgreSQL's TRUNCATE fires no row triggers; it needs the table owner's rights, which only
operators (and the test suite) use. A later migration that rebuilds `audit_event` with
SQLite's batch mode (copy to a new table) drops these triggers and must create them again.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

MESSAGE = 'audit_event rows are append-only'
# Every column but the payloads: a redaction must leave them as they were.
FIXED = ('id', 'occurred_at', 'actor_id', 'action', 'entity_type', 'entity_id', 'ip_address')

SQLITE_TRIGGERS = (
    f"""
    CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
    WHEN NOT EXISTS (SELECT 1 FROM audit_redaction)
      OR {' OR '.join(f'NEW.{c} IS NOT OLD.{c}' for c in FIXED)}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
    f"""
    CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END
    """,
)

POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND EXISTS (SELECT 1 FROM audit_redaction)
       AND ({', '.join(f'NEW.{c}' for c in FIXED)})
           IS NOT DISTINCT FROM ({', '.join(f'OLD.{c}' for c in FIXED)}) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'integrity_constraint_violation';
END
$$
"""
POSTGRESQL_TRIGGER = """
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()
"""


def upgrade():
    op.create_table('audit_redaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_audit_redaction_user_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_redaction'))
    )
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('anonymised_at', sa.DateTime(timezone=True), nullable=True))

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(POSTGRESQL_FUNCTION)
        op.execute(POSTGRESQL_TRIGGER)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER audit_event_append_only ON audit_event')
        op.execute('DROP FUNCTION audit_event_append_only()')
    else:
        op.execute('DROP TRIGGER audit_event_no_update')
        op.execute('DROP TRIGGER audit_event_no_delete')

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('anonymised_at')

    op.drop_table('audit_redaction')
