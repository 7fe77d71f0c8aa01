"""Open assignments seen from above: who drew them, when they are due, and handing one to
another supervisor.

A manager may reassign any open assignment; a supervisor those of the samples they drew,
while the agent is still theirs to score. The new evaluator must be allowed to score the
agent (a supervisor of the agent's team, or a manager), and nobody may have started on it:
a draft of the old evaluator would otherwise be left behind, and the new one's evaluation
already exists.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from qa_app.audit.services import record_event
from qa_app.auth.models import Role, User
from qa_app.errors import RuleError
from qa_app.evaluations.models import Assignment, Evaluation, Sample
from qa_app.evaluations.queue import submitted_by_assignee
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.teams.models import team_supervisor
from qa_app.teams.scope import agents_visible_to, can_score


class ReassignmentError(RuleError, ValueError):
    """The assignment cannot go to that person (message is user-facing)."""


def may_reassign(user: User, assignment: Assignment, agent_id: int) -> bool:
    """Managers, and the supervisor who drew the assignment's sample while they may still
    score the agent."""
    if user.role == Role.MANAGER:
        return True
    sample = assignment.sample
    return (
        user.role == Role.SUPERVISOR
        and sample is not None
        and sample.created_by_id == user.id
        and can_score(user, agent_id)
    )


def reassignable_by(user: User) -> sa.Select[Assignment]:
    """Open assignments `user` may reassign (the same rule as `may_reassign`, in SQL)."""
    query = sa.select(Assignment).where(~submitted_by_assignee())
    if user.role == Role.MANAGER:
        return query
    if user.role != Role.SUPERVISOR:
        return query.where(sa.false())
    agents = agents_visible_to(user).with_only_columns(User.id).order_by(None)
    return (
        query.join(Sample, Sample.id == Assignment.sample_id)
        .join(Interaction, Interaction.id == Assignment.interaction_id)
        .where(Sample.created_by_id == user.id, Interaction.agent_id.in_(agents))
    )


@dataclass(frozen=True)
class OverseenAssignment:
    """An open assignment as the page lists it, with who else could take it."""

    assignment: Assignment
    interaction: Interaction
    agent_name: str
    evaluator_name: str
    candidates: list[tuple[int, str]]


def overseen_assignments(user: User) -> list[OverseenAssignment]:
    """The open assignments `user` may reassign, soonest due first, each with the people it
    could go to: three queries however many there are."""
    agent = sa.orm.aliased(User)
    evaluator = sa.orm.aliased(User)
    mine = reassignable_by(user).subquery()
    rows = db.session.execute(
        sa.select(
            Assignment, Interaction, agent.display_name, evaluator.display_name, agent.team_id
        )
        .join(mine, mine.c.id == Assignment.id)
        .join(Interaction, Interaction.id == Assignment.interaction_id)
        .join(agent, agent.id == Interaction.agent_id)
        .join(evaluator, evaluator.id == Assignment.evaluator_id)
        .order_by(
            Assignment.due_on.is_(None), Assignment.due_on, Interaction.occurred_at, Assignment.id
        )
    ).all()
    by_team = _supervisors_by_team({team_id for *_, team_id in rows if team_id is not None})
    managers = _managers()
    return [
        OverseenAssignment(
            assignment,
            interaction,
            agent_name,
            evaluator_name,
            [
                (person_id, name)
                for person_id, name in [*by_team.get(team_id, []), *managers]
                if person_id not in (assignment.evaluator_id, interaction.agent_id)
            ],
        )
        for assignment, interaction, agent_name, evaluator_name, team_id in rows
    ]


def reassignment_candidates(agent: User, current_evaluator_id: int) -> list[tuple[int, str]]:
    """Who may take an assignment of `agent`'s interaction instead of its evaluator."""
    by_team = _supervisors_by_team({agent.team_id} if agent.team_id is not None else set())
    return [
        (person_id, name)
        for person_id, name in [*by_team.get(agent.team_id, []), *_managers()]
        if person_id not in (current_evaluator_id, agent.id)
    ]


def _supervisors_by_team(team_ids: set[int]) -> dict[int | None, list[tuple[int, str]]]:
    found: dict[int | None, list[tuple[int, str]]] = defaultdict(list)
    if not team_ids:
        return found
    rows = db.session.execute(
        sa.select(team_supervisor.c.team_id, User.id, User.display_name)
        .join(User, User.id == team_supervisor.c.user_id)
        .where(
            team_supervisor.c.team_id.in_(team_ids),
            User.active.is_(True),
            User.role == Role.SUPERVISOR,
        )
        .order_by(User.display_name, User.id)
    )
    for team_id, person_id, name in rows:
        found[team_id].append((person_id, name))
    return found


def _managers() -> list[tuple[int, str]]:
    rows = db.session.execute(
        sa.select(User.id, User.display_name)
        .where(User.role == Role.MANAGER, User.active.is_(True))
        .order_by(User.display_name, User.id)
    )
    return [(person_id, name) for person_id, name in rows]


def reassign(assignment: Assignment, new_evaluator: User, actor: User) -> None:
    """Give the assignment to `new_evaluator`, audited; the caller has checked that `actor`
    may (`may_reassign`)."""
    interaction = assignment.interaction
    if new_evaluator.id == assignment.evaluator_id:
        raise ReassignmentError(
            _l("It is already assigned to %(name)s.", name=new_evaluator.display_name)
        )
    if not (new_evaluator.active and can_score(new_evaluator, interaction.agent_id)):
        raise ReassignmentError(
            _l(
                "%(name)s may not score %(agent)s, so cannot take this assignment.",
                name=new_evaluator.display_name,
                agent=interaction.agent.display_name,
            )
        )
    started = db.session.scalar(
        sa.select(User)
        .join(Evaluation, Evaluation.evaluator_id == User.id)
        .where(
            Evaluation.interaction_id == assignment.interaction_id,
            Evaluation.evaluator_id.in_([assignment.evaluator_id, new_evaluator.id]),
        )
        .order_by(User.id)
        .limit(1)
    )
    if started is not None:
        raise ReassignmentError(
            _l(
                "%(name)s has already started evaluating this interaction; it can no longer "
                "be reassigned.",
                name=started.display_name,
            )
        )
    before = assignment.evaluator_id
    assignment.evaluator_id = new_evaluator.id
    record_event(
        "assignment.reassigned",
        "assignment",
        assignment.id,
        before={"evaluator_id": before},
        after={"evaluator_id": new_evaluator.id},
        actor_id=actor.id,
    )


def is_overdue(due_on: date | None, today: date) -> bool:
    """Due on a day already past."""
    return due_on is not None and due_on < today
