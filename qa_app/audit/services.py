"""Writing to the audit trail."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user

from qa_app.audit.models import AuditEvent
from qa_app.extensions import db


def record_event(
    action: str,
    entity_type: str,
    entity_id: int | None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_id: int | None = None,
) -> AuditEvent:
    """Add an audit event; the actor defaults to the signed-in user of the current request."""
    ip_address = None
    if has_request_context():
        ip_address = request.remote_addr
        if actor_id is None and current_user.is_authenticated:
            actor_id = current_user.id
    event = AuditEvent(
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        before=before,
        after=after,
        actor_id=actor_id,
        ip_address=ip_address,
    )
    db.session.add(event)
    return event


def changed_fields(
    before: dict[str, Any], after: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keep only the keys whose value differs, for a compact before/after pair."""
    keys = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys}, {key: after[key] for key in keys}
