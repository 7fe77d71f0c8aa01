"""The append-only audit trail.

Audit rows are written once and never changed or deleted. The ORM refuses it here (a flush
of a changed or deleted `AuditEvent`, and bulk `update`/`delete` statements on the table);
the database refuses it too, with the triggers of migration 0008, so that a raw SQL
statement from the application fails as well.

The one exception is the anonymisation of a departed agent (qa_app.privacy): inside its
transaction an `AuditRedaction` row exists, and only then may the `before`/`after` payloads
of audit rows be replaced (the payloads' personal text removed). Every other column, and
deletion, stays refused even then.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from qa_app.database import UTCDateTime, utcnow
from qa_app.extensions import Model

# The execution option that marks a payload redaction (see `redact_payloads`).
REDACTION_OPTION = "audit_redaction"
REDACTABLE_COLUMNS = frozenset({"before", "after"})


class AuditEvent(Model):
    """Who did what to which record, when, with the values before and after."""

    __tablename__ = "audit_event"
    __table_args__ = (sa.Index("ix_audit_event_entity", "entity_type", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(sa.String(64))
    entity_type: Mapped[str] = mapped_column(sa.String(40))
    entity_id: Mapped[int | None]
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))


class AuditRedaction(Model):
    """Exists only inside the transaction that anonymises `user_id`: while it does, the
    database triggers let that transaction replace audit payloads, and nothing else."""

    __tablename__ = "audit_redaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class AuditEventImmutable(RuntimeError):
    """An audit event was about to be changed or deleted."""


@sa.event.listens_for(AuditEvent, "before_update")
@sa.event.listens_for(AuditEvent, "before_delete")
def _refuse_change(_mapper: Any, _connection: Any, target: AuditEvent) -> None:
    raise AuditEventImmutable(f"audit event {target.id} is append-only")


def _is_payload_redaction(state: ORMExecuteState) -> bool:
    """An UPDATE marked as a redaction that sets nothing but the payload columns."""
    if not (state.is_update and state.execution_options.get(REDACTION_OPTION)):
        return False
    values = getattr(state.statement, "_values", None) or {}
    columns = {getattr(key, "key", key) for key in values}
    return bool(columns) and columns <= REDACTABLE_COLUMNS


@sa.event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_change(state: ORMExecuteState) -> None:
    """Bulk `update(AuditEvent)` / `delete(AuditEvent)` (ORM or Core) never reach the flush
    events above, so they are refused here, before any SQL is sent."""
    if not (state.is_update or state.is_delete):
        return
    table = getattr(state.statement, "table", None)
    if getattr(table, "name", None) != AuditEvent.__tablename__:
        return
    if _is_payload_redaction(state):
        return
    raise AuditEventImmutable("audit events are append-only: bulk UPDATE/DELETE refused")
