"""Who may see, score, release and resolve which evaluation, and which evaluations a
viewer's figures may count.

Supervisors work on the agents of the teams they supervise, managers on everyone; agents
see only their own evaluations, and only once released. Nobody evaluates themselves, and
nobody decides a dispute about their own evaluation: `dispute_deciders` routes each dispute
to the reviewers of the agent's team, or to the managers when the team has none left.

When an agent moves to another team, their former supervisor keeps reading the evaluations
they scored of them (they are their author), read-only: changing, deleting, releasing and
deciding disputes go with the agent to the new team's supervisors (and managers), and
nothing else of the agent stays in the former supervisor's sight.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from qa_app.auth.models import CENTRE_WIDE_ROLES, EVALUATOR_ROLES, Role, User
from qa_app.evaluations.models import (
    SCORED,
    VISIBLE_TO_AGENT,
    Dispute,
    Evaluation,
    EvaluationStatus,
)
from qa_app.extensions import db
from qa_app.teams.scope import agents_visible_to, can_score

EDITABLE = (EvaluationStatus.DRAFT, EvaluationStatus.SUBMITTED)


def visible_evaluations(user: User) -> sa.Select[Evaluation]:
    """Evaluations `user` may open: centre-wide, their teams', those they scored (read-only
    once the agent has left their teams), or an agent's own released ones."""
    query = sa.select(Evaluation)
    if user.role in CENTRE_WIDE_ROLES:
        return query
    if user.role == Role.AGENT:
        return query.where(Evaluation.agent_id == user.id, Evaluation.status.in_(VISIBLE_TO_AGENT))
    agents = agents_visible_to(user).with_only_columns(User.id).order_by(None)
    return query.where(sa.or_(Evaluation.agent_id.in_(agents), Evaluation.evaluator_id == user.id))


def countable_statuses(viewer: User) -> tuple[EvaluationStatus, ...]:
    """The statuses of the evaluations a figure shown to `viewer` may count: for an agent
    only those they can open (from release on), so that no average, n or count reveals a
    score before its release; for everyone else every scored evaluation (submitted on)."""
    return VISIBLE_TO_AGENT if viewer.role == Role.AGENT else SCORED


def can_edit(user: User, evaluation: Evaluation) -> bool:
    """Before release, the evaluator (or a manager) may change the answers, while the agent
    is still theirs to score."""
    return (
        evaluation.status in EDITABLE
        and (evaluation.evaluator_id == user.id or user.role == Role.MANAGER)
        and _still_scores(user, evaluation.agent_id)
    )


def can_release(user: User, evaluation: Evaluation) -> bool:
    """The agent's supervisors (the evaluator among them while the agent is in their teams)
    and managers release submitted evaluations."""
    return evaluation.status == EvaluationStatus.SUBMITTED and _still_scores(
        user, evaluation.agent_id
    )


def _still_scores(user: User, agent_id: int) -> bool:
    """`can_score` without flushing the session: services check before they change the
    evaluation, and a flush in the middle would move its lock version under the caller."""
    with db.session.no_autoflush:
        return can_score(user, agent_id)


def scored_by(user: User, evaluation: Evaluation) -> bool:
    """True when `user` scored the evaluation: its evaluator, or whoever submitted one of its
    revisions (a manager may complete or correct a supervisor's evaluation before release)."""
    return evaluation.evaluator_id == user.id or any(
        revision.created_by_id == user.id for revision in evaluation.revisions
    )


def dispute_deciders(dispute: Dispute, managers: Sequence[User] | None = None) -> list[User]:
    """Everyone who may decide `dispute`: the one rule behind the decision page, the home
    pages and the disputes list.

    A dispute goes to the reviewers of the agent's current team: its supervisors and the
    dispute reviewers the team names (supervisors of other teams, QA leads, managers). With
    no reviewer left once the evaluation's scorers are set aside, it goes to the managers.
    Never to anyone who scored the evaluation, nor to the agent; only to active supervisors
    and managers. `managers` (the active managers) may be passed to save a query per dispute.
    """
    evaluation = dispute.evaluation
    agent = evaluation.agent

    def may_decide(user: User) -> bool:
        return (
            user.active
            and user.role in EVALUATOR_ROLES
            and user.id not in (agent.id, dispute.raised_by_id)
            and not scored_by(user, evaluation)
        )

    team = agent.team if agent.role == Role.AGENT else None
    reviewers = [*team.supervisors, *team.dispute_reviewers] if team is not None else []
    deciders = _unique(user for user in reviewers if may_decide(user))
    if deciders:
        return deciders
    if managers is None:
        managers = active_managers()
    return _unique(user for user in managers if may_decide(user))


def active_managers() -> list[User]:
    """The active managers, to whom disputes without another reviewer go."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role == Role.MANAGER, User.active.is_(True))
            .order_by(User.display_name, User.id)
        )
    )


def _unique(users: Iterable[User]) -> list[User]:
    seen: dict[int, User] = {}
    for user in users:
        seen.setdefault(user.id, user)
    return list(seen.values())


def can_resolve(user: User, dispute: Dispute) -> bool:
    """True when `user` is one of the dispute's deciders (see `dispute_deciders`)."""
    with db.session.no_autoflush:  # services check before they change anything
        return any(decider.id == user.id for decider in dispute_deciders(dispute))
