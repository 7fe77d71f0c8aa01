"""Import every model so that SQLAlchemy and Alembic see the whole schema."""

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import Role, SignInThrottle, User, UserSession
from qa_app.teams.models import Team, team_supervisor

__all__ = ["AuditEvent", "Role", "SignInThrottle", "Team", "User", "UserSession", "team_supervisor"]
