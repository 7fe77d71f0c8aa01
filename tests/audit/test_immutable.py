"""Audit rows are append-only: refused by the ORM and, for raw SQL, by the database's
triggers (migration 0008), on SQLite and PostgreSQL. The one exception, the payload
redaction of an anonymisation, is allowed only inside its transaction and only for
`before`/`after`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.audit.models import REDACTION_OPTION, AuditEvent, AuditEventImmutable, AuditRedaction
from qa_app.auth.models import Role, User
from qa_app.extensions import db


@pytest.fixture
def event_id(app: Flask, make_user: Callable[..., User]) -> int:
    """One committed audit event with a payload, by a user."""
    actor = make_user(Role.ADMIN)
    with app.app_context():
        event = AuditEvent(
            action="user.created",
            entity_type="user",
            entity_id=actor.id,
            actor_id=actor.id,
            after={"email": "someone@example.test"},
        )
        db.session.add(event)
        db.session.commit()
        return event.id


def _stored(event_id: int) -> tuple[Any, ...]:
    with db.engine.connect() as connection:
        return tuple(
            connection.execute(
                sa.select(AuditEvent.__table__).where(AuditEvent.__table__.c.id == event_id)
            ).one()
        )


ORM_CHANGES = {
    "bulk update": lambda: sa.update(AuditEvent).values(action="changed"),
    "bulk delete": lambda: sa.delete(AuditEvent),
    "core update": lambda: sa.update(AuditEvent.__table__).values(after=None),
    "core delete": lambda: sa.delete(AuditEvent.__table__).where(AuditEvent.__table__.c.id > 0),
    # Marked as a redaction, but touching more than the payload.
    "redaction of another column": lambda: (
        sa.update(AuditEvent)
        .values(action="changed", after=None)
        .execution_options(**{REDACTION_OPTION: True})
    ),
}


@pytest.mark.parametrize("change", sorted(ORM_CHANGES))
def test_bulk_statements_are_refused_by_the_session(
    change: str, app: Flask, app_context: None, event_id: int
) -> None:
    before = _stored(event_id)
    with pytest.raises(AuditEventImmutable):
        db.session.execute(ORM_CHANGES[change]())
    db.session.rollback()
    assert _stored(event_id) == before


def test_changing_or_deleting_a_loaded_event_is_refused(
    app: Flask, app_context: None, event_id: int
) -> None:
    before = _stored(event_id)
    db.session.get(AuditEvent, event_id).after = {"email": "changed@example.test"}
    with pytest.raises(AuditEventImmutable):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEvent, event_id))
    with pytest.raises(AuditEventImmutable):
        db.session.flush()
    db.session.rollback()
    assert _stored(event_id) == before


RAW_SQL = {
    "update a column": "UPDATE audit_event SET action = 'changed'",
    "update the payload": "UPDATE audit_event SET after = NULL",
    "delete": "DELETE FROM audit_event",
}


@pytest.mark.parametrize("statement", sorted(RAW_SQL))
def test_raw_sql_is_refused_by_the_database(
    statement: str, app: Flask, app_context: None, event_id: int
) -> None:
    before = _stored(event_id)
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.exec_driver_sql(RAW_SQL[statement])
    assert _stored(event_id) == before


def test_a_redaction_permit_lets_only_the_payload_change(
    app: Flask, app_context: None, event_id: int
) -> None:
    """With a permit in the same transaction the payload may change, nothing else may; and
    the permit is not seen by another transaction (or after a rollback)."""
    actor_id = _stored(event_id)[2]
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(sa.insert(AuditRedaction.__table__).values(user_id=actor_id))
        connection.exec_driver_sql("UPDATE audit_event SET entity_id = 999")
    with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as connection:
        connection.execute(sa.insert(AuditRedaction.__table__).values(user_id=actor_id))
        connection.exec_driver_sql("DELETE FROM audit_event")
    with db.engine.connect() as connection:
        connection.execute(sa.insert(AuditRedaction.__table__).values(user_id=actor_id))
        table = AuditEvent.__table__
        connection.execute(sa.update(table).values(after={"email": "[removed]"}))
        assert connection.scalar(sa.select(table.c.after)) == {"email": "[removed]"}
        connection.rollback()
    stored = _stored(event_id)
    assert stored[7] == {"email": "someone@example.test"}
    with db.engine.connect() as connection:
        assert connection.scalar(sa.select(sa.func.count()).select_from(AuditRedaction)) == 0


def test_adding_events_still_works(app: Flask, app_context: None, event_id: int) -> None:
    db.session.add(AuditEvent(action="another", entity_type="system", entity_id=None))
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == 2


def test_a_user_with_audit_events_cannot_be_deleted(
    app: Flask, app_context: None, event_id: int
) -> None:
    """The actor column has no ON DELETE rule: deleting the actor would orphan or rewrite the
    trail, so the database refuses it (people are deactivated or anonymised instead)."""
    actor_id = _stored(event_id)[2]
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as connection:
        connection.execute(sa.delete(User.__table__).where(User.__table__.c.id == actor_id))
    assert _stored(event_id)[2] == actor_id
