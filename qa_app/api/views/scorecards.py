"""`GET /scorecards` and `GET /scorecards/{slug}/versions/{n}`."""

from __future__ import annotations

import sqlalchemy as sa
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy.orm import defer, joinedload, selectinload

from qa_app.api import representations
from qa_app.api.auth import token_required
from qa_app.api.blueprint import bp
from qa_app.api.errors import ApiError
from qa_app.api.pagination import paginate
from qa_app.api.params import choice_param
from qa_app.api.views.common import ID
from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.scorecards.definition import SLUG
from qa_app.scorecards.models import SCORECARD_STATUSES, Scorecard, ScorecardVersion

# Who reads scorecards on the web (scorecards.index) reads them here.
READERS = (Role.ADMIN, Role.MANAGER, Role.SUPERVISOR)


@bp.get("/scorecards")
@token_required(*READERS)
def scorecards() -> ResponseReturnValue:
    """Scorecards with their published versions, by id; filter: status."""
    query = sa.select(Scorecard).options(
        defer(Scorecard.draft),  # the builder's working copy: not part of the API
        selectinload(Scorecard.versions).load_only(
            ScorecardVersion.number,
            ScorecardVersion.name,
            ScorecardVersion.pass_mark,
            ScorecardVersion.source,
            ScorecardVersion.published_at,
        ),
    )
    if (status := choice_param("status", SCORECARD_STATUSES)) is not None:
        query = query.where(Scorecard.status == status)
    return paginate(query, Scorecard.id).body(representations.scorecard)


@bp.get(f"/scorecards/<slug>/versions/<{ID}:number>")
@token_required(*READERS)
def scorecard_version(slug: str, number: int) -> ResponseReturnValue:
    """One published version of a scorecard, with its whole definition."""
    version = None
    if SLUG.fullmatch(slug):
        version = db.session.scalar(
            sa.select(ScorecardVersion)
            .join(Scorecard, Scorecard.id == ScorecardVersion.scorecard_id)
            .where(Scorecard.slug == slug, ScorecardVersion.number == number)
            .options(joinedload(ScorecardVersion.scorecard))
        )
    if version is None:
        message = _(
            "Scorecard '%(slug)s' has no version %(number)s.", slug=slug[:64], number=number
        )
        raise ApiError(404, "not_found", message)
    return representations.scorecard_version(version)
