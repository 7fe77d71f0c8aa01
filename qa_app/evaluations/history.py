"""An evaluation's history as people read it: its revisions, its recorded changes as
"Empathy: 2 → 4" lines, and two revisions compared answer by answer.

An agent reads the history of their own released evaluation only (the view's lookup sees
to that), without the drafting before submission and with only the fields meant for them
(qa_app.audit.changes.AGENT_FIELDS).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from qa_app.audit.changes import (
    AnswerComparison,
    ChangeLine,
    Vocabulary,
    action_label,
    answer_changes,
    compare_revisions,
    criteria_of,
    event_changes,
    visible_to_agent,
)
from qa_app.audit.models import AuditEvent
from qa_app.auth.models import User
from qa_app.evaluations.models import (
    DisputeStatus,
    Evaluation,
    EvaluationRevision,
    EvaluationStatus,
)
from qa_app.extensions import db
from qa_app.scorecards.texts import localized_definition


@dataclass(frozen=True)
class HistoryEntry:
    """One recorded change: when, by whom, what, and its readable lines."""

    occurred_at: datetime
    actor: str | None
    action: str
    lines: list[ChangeLine]


@dataclass(frozen=True)
class Comparison:
    """Two revisions side by side (`first` before `second`)."""

    first: EvaluationRevision
    second: EvaluationRevision
    rows: list[AnswerComparison]


def evaluation_vocabulary(evaluation: Evaluation, locale: str) -> Vocabulary:
    """The words of this evaluation's history: its version's criteria, status titles."""
    statuses = {str(status): status.label for status in EvaluationStatus}
    return Vocabulary(
        locale,
        criteria_of(localized_definition(evaluation.version.definition)),
        titles={
            "status": statuses,
            "dispute_status": {str(status): status.label for status in DisputeStatus},
        },
    )


def history_entries(
    evaluation: Evaluation, vocabulary: Vocabulary, *, for_agent: bool
) -> list[HistoryEntry]:
    """The evaluation's audit events, oldest first, as readable entries; for the agent only
    the events after drafting and only the fields meant for them."""
    events: Sequence[tuple[AuditEvent, str | None]] = db.session.execute(
        sa.select(AuditEvent, User.display_name)
        .outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.entity_type == "evaluation", AuditEvent.entity_id == evaluation.id)
        .order_by(AuditEvent.occurred_at, AuditEvent.id)
    ).all()
    contents = {revision.number: revision.content for revision in revisions_of(evaluation)}
    return [
        HistoryEntry(
            event.occurred_at,
            actor,
            action_label(event.action),
            event_changes(event.before, event.after, vocabulary, for_agent=for_agent)
            + _answers_revised(event, contents, vocabulary),
        )
        for event, actor in events
        if not for_agent or visible_to_agent(event.action)
    ]


def _answers_revised(
    event: AuditEvent, contents: dict[int, dict[str, Any]], vocabulary: Vocabulary
) -> list[ChangeLine]:
    """For an event that made revision n (a correction, an upheld dispute), the answers
    that changed from revision n − 1: the event itself records only the scores."""
    number = (event.after or {}).get("revision")
    if not isinstance(number, int) or number - 1 not in contents or number not in contents:
        return []
    return answer_changes(
        contents[number - 1].get("answers") or {},
        contents[number].get("answers") or {},
        vocabulary,
    )


def revisions_of(evaluation: Evaluation) -> list[EvaluationRevision]:
    """Every submitted state of the evaluation, first to last."""
    return list(
        db.session.scalars(
            sa.select(EvaluationRevision)
            .where(EvaluationRevision.evaluation_id == evaluation.id)
            .order_by(EvaluationRevision.number)
        )
    )


def comparison(
    revisions: Sequence[EvaluationRevision],
    first: int | None,
    second: int | None,
    vocabulary: Vocabulary,
) -> Comparison | None:
    """Revisions number `first` and `second` compared (by default the last two); None when
    there are fewer than two or a number names no revision."""
    by_number = {revision.number: revision for revision in revisions}
    if len(by_number) < 2:
        return None
    numbers = sorted(by_number)
    first = numbers[-2] if first is None else first
    second = numbers[-1] if second is None else second
    if first not in by_number or second not in by_number:
        return None
    old, new = by_number[first], by_number[second]
    return Comparison(old, new, compare_revisions(old, new, vocabulary))
