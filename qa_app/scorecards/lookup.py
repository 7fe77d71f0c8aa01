"""Who edits and reads scorecards, and finding the scorecard a URL names (404 when missing)."""

from __future__ import annotations

import sqlalchemy as sa

from qa_app.auth.models import Role
from qa_app.extensions import db
from qa_app.scorecards.models import Scorecard

EDITORS = (Role.ADMIN, Role.MANAGER)
READERS = (Role.ADMIN, Role.MANAGER, Role.SUPERVISOR)


def scorecard_or_404(slug: str) -> Scorecard:
    """The scorecard with this slug."""
    return db.first_or_404(sa.select(Scorecard).where(Scorecard.slug == slug))
