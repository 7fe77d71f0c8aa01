"""Small counts and lists for the home pages (each one or two queries)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from qa_app.auth.models import EVALUATOR_ROLES, Role, User
from qa_app.database import utcnow
from qa_app.evaluations.models import (
    VISIBLE_TO_AGENT,
    Assignment,
    Dispute,
    DisputeStatus,
    Evaluation,
    EvaluationStatus,
)
from qa_app.evaluations.permissions import active_managers, dispute_deciders, visible_evaluations
from qa_app.evaluations.queue import submitted_by_assignee
from qa_app.extensions import db
from qa_app.teams.models import Team, team_dispute_reviewer, team_supervisor


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
    # The open disputes the user may decide, oldest first.
    disputes: list[Dispute]

    @property
    def open_disputes(self) -> int:
        """How many open disputes wait for the user's decision."""
        return len(self.disputes)


def work_summary(user: User) -> WorkSummary:
    """Open assignments and drafts of the user; releases in the user's scope; the open
    disputes the user may decide (never those they cannot open)."""
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
    return WorkSummary(queue or 0, counts[0] or 0, counts[1] or 0, disputes_to_decide(user))


# For `dispute_deciders`: the agent's team with its reviewers, and who scored each revision.
_DECIDER_OPTIONS = (
    sa.orm.joinedload(Dispute.evaluation).joinedload(Evaluation.agent),
    sa.orm.joinedload(Dispute.evaluation).joinedload(Evaluation.evaluator),
    sa.orm.joinedload(Dispute.evaluation).joinedload(Evaluation.version),
    sa.orm.joinedload(Dispute.evaluation)
    .joinedload(Evaluation.agent)
    .joinedload(User.team)
    .selectinload(Team.supervisors),
    sa.orm.joinedload(Dispute.evaluation)
    .joinedload(Evaluation.agent)
    .joinedload(User.team)
    .selectinload(Team.dispute_reviewers),
    sa.orm.joinedload(Dispute.evaluation).selectinload(Evaluation.revisions),
)


def open_disputes(user: User, limit: int | None = None) -> list[Dispute]:
    """Open disputes about evaluations `user` may see, and those `user` may decide (a team's
    dispute reviewer from outside it), oldest first (their age matters)."""
    visible = visible_evaluations(user).with_only_columns(Evaluation.id).order_by(None)
    decidable = [dispute.id for dispute in disputes_to_decide(user)]
    return list(
        db.session.scalars(
            sa.select(Dispute)
            .where(
                Dispute.status == DisputeStatus.OPEN,
                sa.or_(Dispute.evaluation_id.in_(visible), Dispute.id.in_(decidable)),
            )
            .options(*_DECIDER_OPTIONS)
            .order_by(Dispute.raised_at, Dispute.id)
            .limit(limit)
        )
    )


def disputes_to_decide(user: User) -> list[Dispute]:
    """The open disputes `user` may decide (`dispute_deciders`), oldest first."""
    if user.role not in EVALUATOR_ROLES or not user.active:
        return []
    query = (
        sa.select(Dispute)
        .where(Dispute.status == DisputeStatus.OPEN)
        .options(*_DECIDER_OPTIONS)
        .order_by(Dispute.raised_at, Dispute.id)
    )
    if user.role != Role.MANAGER:
        # A supervisor decides only for the teams they supervise or review; a manager may
        # also be where a team has nobody else, so every open dispute is a candidate.
        teams = sa.union(
            sa.select(team_supervisor.c.team_id).where(team_supervisor.c.user_id == user.id),
            sa.select(team_dispute_reviewer.c.team_id).where(
                team_dispute_reviewer.c.user_id == user.id
            ),
        )
        agents = sa.select(User.id).where(User.team_id.in_(teams))
        query = query.join(Evaluation, Evaluation.id == Dispute.evaluation_id).where(
            Evaluation.agent_id.in_(agents)
        )
    disputes = db.session.scalars(query).unique().all()
    managers = active_managers()
    return [
        dispute
        for dispute in disputes
        if any(decider.id == user.id for decider in dispute_deciders(dispute, managers))
    ]


def is_overdue(dispute: Dispute, overdue_days: int, now: datetime | None = None) -> bool:
    """True when the dispute has waited longer than `overdue_days` for its decision."""
    return (now or utcnow()) - dispute.raised_at > timedelta(days=overdue_days)
