"""`GET /interactions` and `POST /interactions` (one object or a batch; idempotent)."""

from __future__ import annotations

import sqlalchemy as sa
from flask.typing import ResponseReturnValue
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.api import representations
from qa_app.api.auth import token_required
from qa_app.api.batches import INTERACTION_FIELDS, MAX_INTERACTIONS, store_interactions
from qa_app.api.blueprint import bp
from qa_app.api.errors import conflict, validation_error
from qa_app.api.pagination import paginate
from qa_app.api.params import (
    agent_param,
    choice_param,
    date_order_param,
    flag_param,
    only_params,
    period_params,
    team_agents,
    team_param,
    text_param,
)
from qa_app.api.payloads import read_items, read_json_body
from qa_app.api.views.common import within_period
from qa_app.auth.models import Role, User
from qa_app.channels import CHANNELS
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.interactions.outcomes import repeat_contacts
from qa_app.teams.identities import NameMatch
from qa_app.teams.scope import agents_visible_to
from qa_app.uploads.cells import ReadOptions
from qa_app.uploads.reader import TableError

# Who records interactions on the web (interactions.index, .import) records them here too.
EVALUATORS = (Role.MANAGER, Role.SUPERVISOR)


@bp.get("/interactions")
@token_required(*EVALUATORS)
def interactions() -> ResponseReturnValue:
    """Interactions of the caller's agents, by id; filters: period (when they occurred),
    team, agent, channel, source, external_ref. Each with its customer outcomes, and
    whether a repeat contact followed (one more query for the page)."""
    agents = agents_visible_to(current_user).with_only_columns(User.id).order_by(None)
    query = sa.select(Interaction).where(Interaction.agent_id.in_(agents))
    start, end = period_params()
    query = query.where(*within_period(Interaction.occurred_at, start, end))
    if (team_id := team_param(current_user)) is not None:
        query = query.where(Interaction.agent_id.in_(team_agents(team_id)))
    if (agent_id := agent_param(current_user)) is not None:
        query = query.where(Interaction.agent_id == agent_id)
    if (channel := choice_param("channel", CHANNELS)) is not None:
        query = query.where(Interaction.channel == channel)
    if (source := text_param("source")) is not None:
        query = query.where(Interaction.source == source)
    if (external_ref := text_param("external_ref")) is not None:
        query = query.where(Interaction.external_ref == external_ref)
    page = paginate(query, Interaction.id)
    repeats = repeat_contacts(page.items)
    return page.body(lambda record: representations.interaction(record, repeats[record.id]))


@bp.post("/interactions")
@token_required(*EVALUATORS)
def create_interactions() -> ResponseReturnValue:
    """Record one interaction or a batch, all or nothing, with the file import's checks.
    Items already stored (same source, external_ref and agent) are not added again: their
    ids come back with `created: false`. 201 when anything was created, else 200.
    `dry_run=true` only checks: 200, and `created` says what would be; `date_order` decides
    how slash dates are read."""
    only_params("dry_run", "date_order")
    dry_run = flag_param("dry_run")
    options = ReadOptions(day_first=date_order_param(), tz=get_timezone())
    items = read_items(read_json_body(), INTERACTION_FIELDS, MAX_INTERACTIONS)
    try:
        warnings: list[NameMatch] = []
        stored = store_interactions(items, current_user, warnings, options=options, dry_run=dry_run)
        db.session.commit()
    except TableError as error:
        raise validation_error(error) from None
    except sa.exc.IntegrityError:
        raise conflict(_("Another request stored some of these interactions meanwhile.")) from None
    created = sum(1 for item in stored if item.created)
    body = {
        "data": [
            {"id": item.id, "source": item.source, "external_ref": item.external_ref,
             "created": item.created}
            for item in stored
        ],
        "created": created,
        "existing": len(stored) - created,
        "dry_run": dry_run,
        "warnings": [representations.name_match(match) for match in warnings],
    }  # fmt: skip
    return body, 201 if created and not dry_run else 200
