"""Who may see which coaching session (coaches for their teams' agents, an agent their own)."""

from __future__ import annotations

import sqlalchemy as sa

from qa_app.auth.models import User
from qa_app.coaching.models import CoachingSession
from qa_app.training.permissions import scoped_to


def visible_sessions(user: User) -> sa.Select[CoachingSession]:
    """Coaching sessions `user` may open: their teams' (coaches), or an agent's own."""
    return sa.select(CoachingSession).where(*scoped_to(user, CoachingSession.agent_id))
