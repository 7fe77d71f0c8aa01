"""Small counts and lists for the home pages (each one or two queries)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from qa_app.auth.models import User
from qa_app.evaluations.models import (
    VISIBLE_TO_AGENT,
    Assignment,
    Dispute,
    DisputeStatus,
    Evaluation,
    EvaluationStatus,
)
from qa_app.evaluations.permissions import visible_evaluations
from qa_app.evaluations.queue import submitted_by_assignee
from qa_app.extensions import db


def latest_feedback(agent: User, limit: int = 5) -> list[Evaluation]:
    """The agent's most recently released evaluations."""
    return list(
        db.session.scalars(
            sa.select(Evaluation)
            .where(Evaluation.agent_id == agent.id, Evaluation.status.in_(VISIBLE_TO_AGENT))
            .options(sa.orm.joinedload(Evaluation.version), sa.orm.joinedload(Evaluation.evaluator))
            .order_by(Evaluation.released_at.desc(), Evaluation.id.desc())
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class WorkSummary:
    """What waits for a supervisor or manager."""

    queue: int
    drafts: int
    awaiting_release: int
    open_disputes: int


def work_summary(user: User) -> WorkSummary:
    """Open assignments and drafts of the user; releases and disputes in the user's scope."""
    queue = db.session.scalar(
        sa.select(sa.func.count(Assignment.id)).where(
            Assignment.evaluator_id == user.id, ~submitted_by_assignee()
        )
    )
    visible = (
        visible_evaluations(user)
        .with_only_columns(Evaluation.id, Evaluation.status, Evaluation.evaluator_id)
        .order_by(None)
        .subquery()
    )
    counts = db.session.execute(
        sa.select(
            sa.func.count().filter(
                sa.and_(
                    visible.c.status == EvaluationStatus.DRAFT, visible.c.evaluator_id == user.id
                )
            ),
            sa.func.count().filter(visible.c.status == EvaluationStatus.SUBMITTED),
        )
    ).one()
    disputes = db.session.scalar(
        sa.select(sa.func.count(Dispute.id)).where(
            Dispute.status == DisputeStatus.OPEN, Dispute.evaluation_id.in_(sa.select(visible.c.id))
        )
    )
    return WorkSummary(queue or 0, counts[0] or 0, counts[1] or 0, disputes or 0)


def open_disputes(user: User, limit: int | None = None) -> list[Dispute]:
    """Open disputes about evaluations `user` may see, oldest first (their age matters)."""
    visible = visible_evaluations(user).with_only_columns(Evaluation.id).order_by(None)
    return list(
        db.session.scalars(
            sa.select(Dispute)
            .where(Dispute.status == DisputeStatus.OPEN, Dispute.evaluation_id.in_(visible))
            .options(
                sa.orm.joinedload(Dispute.evaluation).joinedload(Evaluation.agent),
                sa.orm.joinedload(Dispute.evaluation).joinedload(Evaluation.evaluator),
                # For can_resolve: who scored each revision.
                sa.orm.joinedload(Dispute.evaluation).selectinload(Evaluation.revisions),
            )
            .order_by(Dispute.raised_at)
            .limit(limit)
        )
    )
