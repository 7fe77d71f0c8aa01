"""Creating interactions, finding those a user may see, and how each was evaluated."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from qa_app.audit.services import record_event
from qa_app.auth.models import CENTRE_WIDE_ROLES, Role, User
from qa_app.errors import RuleError
from qa_app.extensions import db
from qa_app.interactions.models import MANUAL_SOURCE, Interaction
from qa_app.teams.scope import agents_visible_to


class DuplicateReference(RuleError, ValueError):
    """The agent already has an interaction with this source and reference."""


def create_interaction(
    agent: User,
    *,
    channel: str,
    occurred_at: datetime,
    actor: User,
    source: str = MANUAL_SOURCE,
    **details: Any,
) -> Interaction:
    """Record an interaction of `agent` (details: duration_seconds, external_ref, queue,
    customer_ref, transcript, recording_url, and the customer outcomes csat_score,
    csat_positive, nps_score, resolved_first_contact).

    Raises DuplicateReference when the agent already has one with this source and reference
    (unique per source, reference and agent), also when a concurrent request stored it first.
    """
    reference = details.get("external_ref")
    if reference is not None and db.session.scalar(
        sa.select(Interaction.id).where(
            Interaction.source == source,
            Interaction.external_ref == reference,
            Interaction.agent_id == agent.id,
        )
    ):
        raise DuplicateReference(_duplicate(reference))
    interaction = Interaction(
        agent_id=agent.id,
        channel=channel,
        occurred_at=occurred_at,
        source=source,
        created_by_id=actor.id,
        **details,
    )
    try:
        with db.session.begin_nested():
            db.session.add(interaction)
    except sa.exc.IntegrityError as error:
        raise DuplicateReference(_duplicate(reference)) from error
    record_event(
        "interaction.created",
        "interaction",
        interaction.id,
        after={
            "agent_id": agent.id,
            "channel": channel,
            "source": source,
            "external_ref": details.get("external_ref"),
        },
    )
    return interaction


def _duplicate(reference: object) -> str:
    return _(
        "This agent already has an interaction with the call or ticket id %(reference)s; "
        "open it from the interactions list instead.",
        reference=reference,
    )


def visible_interactions(user: User) -> sa.Select[Interaction]:
    """Interactions of the agents `user` may see."""
    agents = agents_visible_to(user).with_only_columns(User.id).order_by(None)
    return sa.select(Interaction).where(Interaction.agent_id.in_(agents))


def _evaluation_class() -> Any:
    # Evaluations sit above interactions, so their class is reached through the mapper.
    return sa.inspect(Interaction).relationships["evaluations"].entity.class_


@dataclass(frozen=True)
class EvaluationMark:
    """How an interaction was evaluated, as its list shows it: whose evaluation, its status
    and score, and whether the viewer may open it."""

    evaluation_id: int
    status: str
    score: float | None
    passed: bool | None
    evaluator_name: str
    openable: bool


def evaluation_marks(user: User, interaction_ids: list[int]) -> dict[int, list[EvaluationMark]]:
    """The evaluations of the listed interactions, in one query however many there are.

    For the interaction list, which only supervisors and managers see: openable as
    `evaluations.permissions.visible_evaluations` has it for them (centre-wide roles every
    evaluation; a supervisor those of the agents in their teams and those they scored).
    """
    if not interaction_ids:
        return {}
    evaluation = _evaluation_class()
    if user.role in CENTRE_WIDE_ROLES:
        openable: sa.ColumnElement[bool] = sa.true()
    elif user.role == Role.SUPERVISOR:
        agents = agents_visible_to(user).with_only_columns(User.id).order_by(None)
        openable = sa.or_(evaluation.agent_id.in_(agents), evaluation.evaluator_id == user.id)
    else:
        openable = sa.false()
    rows = db.session.execute(
        sa.select(
            evaluation.interaction_id,
            evaluation.id,
            evaluation.status,
            evaluation.score,
            evaluation.passed,
            User.display_name,
            sa.case((openable, True), else_=False),
        )
        .join(User, User.id == evaluation.evaluator_id)
        .where(evaluation.interaction_id.in_(interaction_ids))
        .order_by(evaluation.interaction_id, evaluation.id)
    )
    marks: dict[int, list[EvaluationMark]] = defaultdict(list)
    for interaction_id, *mark in rows:
        marks[interaction_id].append(EvaluationMark(*mark))
    return marks


def evaluated(yes: bool) -> sa.ColumnElement[bool]:
    """Interactions with (True) or without (False) an evaluation of any status, drafts
    included: the list's "evaluated" filter, the same rule sampling skips by."""
    evaluation = _evaluation_class()
    found = sa.exists().where(evaluation.interaction_id == Interaction.id)
    return found if yes else ~found


def interaction_or_404(
    user: User, interaction_id: int, *, with_evaluations: bool = False
) -> Interaction:
    """An interaction of an agent `user` may see (404 otherwise, not 403: no probing); with
    `with_evaluations`, its evaluations come with their evaluators and scorecard versions in
    one more query, however many there are."""
    query = visible_interactions(user).where(Interaction.id == interaction_id)
    if with_evaluations:
        evaluation = _evaluation_class()
        query = query.options(
            sa.orm.selectinload(Interaction.evaluations).options(
                sa.orm.joinedload(evaluation.evaluator), sa.orm.joinedload(evaluation.version)
            )
        )
    return db.first_or_404(query)
