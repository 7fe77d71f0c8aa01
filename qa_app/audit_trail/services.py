"""Reading the audit trail: the filters, the query (paged in the database), and each event
named as people know it (its people, teams and criteria looked up once per batch)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa

from qa_app.audit.changes import (
    ID_KINDS,
    ChangeLine,
    CriterionName,
    Vocabulary,
    action_label,
    criteria_of,
    entity_label,
    event_changes,
)
from qa_app.audit.models import AuditEvent
from qa_app.audit.services import record_event
from qa_app.auth.models import Role, User
from qa_app.evaluations.models import DisputeStatus, Evaluation, EvaluationStatus
from qa_app.extensions import db
from qa_app.i18n import local_midnight
from qa_app.scorecards.models import Scorecard, ScorecardVersion
from qa_app.scorecards.texts import localized_definition
from qa_app.teams.models import Team
from qa_app.training.models import ItemStatus, PlanStatus

# Rows read at a time by an export: one batch of names looked up per chunk.
EXPORT_CHUNK = 500


@dataclass(frozen=True)
class AuditFilters:
    """Which events: by whom, on which record, which action, in which days (all optional)."""

    actor_id: int | None = None
    entity_type: str | None = None
    entity_id: int | None = None
    action: str | None = None
    start: date | None = None
    end: date | None = None

    def describe(self) -> dict[str, Any]:
        """The filters for the export's own audit event."""
        return {
            "actor_id": self.actor_id,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "action": self.action,
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
        }

    def as_args(self) -> dict[str, str]:
        """The filters as the browser's query parameters (for the export form and links)."""
        values = {
            "actor_id": self.actor_id,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "action": self.action,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }
        return {name: str(value) for name, value in values.items() if value}


@dataclass(frozen=True)
class AuditRow:
    """One event as the browser and the workbook show it."""

    id: int
    occurred_at: datetime
    actor: str | None
    action: str
    entity_type: str
    record: str
    entity_id: int | None
    lines: list[ChangeLine]
    ip_address: str | None


def audit_query(filters: AuditFilters, tz: tzinfo) -> sa.Select[AuditEvent]:
    """The events matching the filters, newest first; the days are the reader's (`tz`)."""
    query = sa.select(AuditEvent)
    if filters.actor_id:
        query = query.where(AuditEvent.actor_id == filters.actor_id)
    if filters.entity_type:
        query = query.where(AuditEvent.entity_type == filters.entity_type)
    if filters.entity_id is not None:
        query = query.where(AuditEvent.entity_id == filters.entity_id)
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.start:
        query = query.where(AuditEvent.occurred_at >= local_midnight(filters.start, tz))
    if filters.end:
        next_day = filters.end + timedelta(days=1)
        query = query.where(AuditEvent.occurred_at < local_midnight(next_day, tz))
    return query.order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())


def count_events(filters: AuditFilters, tz: tzinfo) -> int:
    """How many events match (for the export's size check)."""
    query = audit_query(filters, tz).order_by(None).with_only_columns(sa.func.count())
    return db.session.scalar(query) or 0


def describe_events(events: Sequence[AuditEvent], locale: str) -> list[AuditRow]:
    """Events as readable rows: their actors, the people, teams and scorecards their
    payloads name, and the criteria of the evaluations they concern, one query each."""
    names = _names(events)
    criteria = _criteria(events)
    titles = _titles()
    translated: dict[str, str] = {}
    rows = []
    for event in events:
        vocabulary = Vocabulary(
            locale,
            criteria.get(event.entity_id or 0, {}) if event.entity_type == "evaluation" else {},
            titles,
            names,
            translated,
        )
        rows.append(
            AuditRow(
                event.id,
                event.occurred_at,
                names.get(("user", event.actor_id)) if event.actor_id else None,
                _once(translated, "action:" + event.action, action_label, event.action),
                event.entity_type,
                _once(translated, "record:" + event.entity_type, entity_label, event.entity_type),
                event.entity_id,
                event_changes(event.before, event.after, vocabulary),
                event.ip_address,
            )
        )
    return rows


def export_rows(filters: AuditFilters, tz: tzinfo, locale: str) -> Iterator[AuditRow]:
    """Every matching event as a row, read and named a chunk at a time."""
    result = db.session.scalars(audit_query(filters, tz).execution_options(yield_per=EXPORT_CHUNK))
    for chunk in result.partitions():
        yield from describe_events(chunk, locale)
        for event in chunk:  # written: let them go, so memory stays flat
            db.session.expunge(event)


def record_audit_export(filters: AuditFilters, rows: int) -> AuditEvent:
    """Audit the export of the audit trail: who, with which filters, how many rows."""
    return record_event(
        "export.audit_trail",
        "export",
        None,
        after={"via": "web", "filters": filters.describe(), "rows": rows},
    )


def _once(memo: dict[str, str], key: str, label: Callable[[str], str], value: str) -> str:
    """`label(value)`, translated once per page or export."""
    if key not in memo:
        memo[key] = label(value)
    return memo[key]


def _titles() -> dict[str, dict[str, str]]:
    """The titles of coded values, by the payload field that holds them."""
    statuses: dict[str, str] = {}
    for kind in (EvaluationStatus, PlanStatus, ItemStatus, DisputeStatus):
        statuses.update({str(member): member.label for member in kind})
    return {"status": statuses, "role": {str(role): role.label for role in Role}}


def _ids(events: Iterable[AuditEvent]) -> dict[str, set[int]]:
    """The events' actors and the record ids named in their payloads (and filters), by kind."""
    found: dict[str, set[int]] = {"user": set(), "team": set(), "scorecard": set()}
    for event in events:
        if event.actor_id is not None:
            found["user"].add(event.actor_id)
        for payload in (event.before, event.after):
            _collect(payload or {}, found)
    return found


def _collect(payload: Mapping[str, Any], found: dict[str, set[int]]) -> None:
    for key, value in payload.items():
        if isinstance(value, Mapping):
            _collect(value, found)
        elif key in ID_KINDS:
            values = value if isinstance(value, list) else [value]
            found[ID_KINDS[key]].update(
                item for item in values if isinstance(item, int) and not isinstance(item, bool)
            )


def _names(events: Sequence[AuditEvent]) -> dict[tuple[str, int], str]:
    ids = _ids(events)
    names: dict[tuple[str, int], str] = {}
    for kind, model, column in (
        ("user", User, User.display_name),
        ("team", Team, Team.name),
        ("scorecard", Scorecard, Scorecard.name),
    ):
        if ids[kind]:
            rows = db.session.execute(sa.select(model.id, column).where(model.id.in_(ids[kind])))
            names.update({(kind, record_id): name for record_id, name in rows})
    return names


def _criteria(events: Sequence[AuditEvent]) -> dict[int, dict[str, CriterionName]]:
    """Each concerned evaluation's criteria, from the version it was scored on."""
    evaluation_ids = {
        event.entity_id
        for event in events
        if event.entity_type == "evaluation" and event.entity_id is not None
    }
    if not evaluation_ids:
        return {}
    rows = db.session.execute(
        sa.select(Evaluation.id, ScorecardVersion.definition)
        .join(ScorecardVersion, ScorecardVersion.id == Evaluation.scorecard_version_id)
        .where(Evaluation.id.in_(evaluation_ids))
    )
    return {
        evaluation_id: criteria_of(localized_definition(definition))
        for evaluation_id, definition in rows
    }
