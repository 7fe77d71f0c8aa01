"""Creating interactions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from qa_app.audit.services import record_event
from qa_app.auth.models import User
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
    customer_ref, transcript, recording_url).

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


def interaction_or_404(
    user: User, interaction_id: int, *, with_evaluations: bool = False
) -> Interaction:
    """An interaction of an agent `user` may see (404 otherwise, not 403: no probing); with
    `with_evaluations`, its evaluations come with their evaluators and scorecard versions in
    one more query, however many there are."""
    query = visible_interactions(user).where(Interaction.id == interaction_id)
    if with_evaluations:
        # Evaluations sit above interactions, so their class is reached through the mapper.
        evaluation = sa.inspect(Interaction).relationships["evaluations"].entity.class_
        query = query.options(
            sa.orm.selectinload(Interaction.evaluations).options(
                sa.orm.joinedload(evaluation.evaluator), sa.orm.joinedload(evaluation.version)
            )
        )
    return db.first_or_404(query)
