"""Figures for the home pages, computed in the database."""

from __future__ import annotations

import sqlalchemy as sa

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import Role, User
from qa_app.extensions import db


def users_by_role() -> dict[str, int]:
    """Active users per role across the centre."""
    rows = db.session.execute(
        sa.select(User.role, sa.func.count(User.id))
        .where(User.active.is_(True))
        .group_by(User.role)
    )
    counts = dict.fromkeys((role.value for role in Role), 0)
    counts.update(dict(rows.all()))
    return counts


def recent_audit_events(limit: int = 10) -> list[tuple[AuditEvent, str | None]]:
    """The newest audit events with the actor's name."""
    rows = db.session.execute(
        sa.select(AuditEvent, User.display_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return [(event, name) for event, name in rows]
