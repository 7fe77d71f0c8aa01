"""Who may decide a dispute: the people told when an agent raises one.

The routing rule itself is `permissions.dispute_deciders`, the one the decision page, the
home pages and the disputes list apply; this name is what the notifications call.
"""

from __future__ import annotations

from qa_app.auth.models import User
from qa_app.evaluations.models import Dispute
from qa_app.evaluations.permissions import dispute_deciders


def deciders_of(dispute: Dispute) -> list[User]:
    """The active users who may decide `dispute` now (dispute routing), by id."""
    return sorted(dispute_deciders(dispute), key=lambda user: user.id)
