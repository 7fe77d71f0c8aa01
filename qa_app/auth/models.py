"""Accounts: users, their roles, server-side sign-in sessions and sign-in throttling."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.database import UTCDateTime, utcnow
from qa_app.extensions import Model
from qa_app.labels import TitledEnum

if TYPE_CHECKING:
    from qa_app.teams.models import Team


class Role(TitledEnum):
    """What a user is in the contact centre; decides which pages they may open."""

    ADMIN = "admin"
    MANAGER = "manager"
    SUPERVISOR = "supervisor"
    AGENT = "agent"

    __titles__ = {
        "admin": _l("Administrator"),
        "manager": _l("Manager"),
        "supervisor": _l("Supervisor"),
        "agent": _l("Agent"),
    }


# Roles that see every team in the centre.
CENTRE_WIDE_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
# Roles that score interactions. Administrators manage accounts, not quality.
EVALUATOR_ROLES = (Role.SUPERVISOR, Role.MANAGER)


ROLE_VALUES = tuple(role.value for role in Role)


class User(UserMixin, Model):
    """A person who signs in: admin, manager, supervisor or agent."""

    __tablename__ = "user"
    __table_args__ = (
        sa.CheckConstraint(
            "role IN ({})".format(", ".join(f"'{value}'" for value in ROLE_VALUES)), name="role"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(16), index=True)
    # Agents belong to one team; supervisors are linked through `team_supervisor` instead.
    team_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("team.id", ondelete="SET NULL"), index=True
    )
    external_id: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    locale: Mapped[str | None] = mapped_column(sa.String(10))
    # A supervisor named as a QA lead runs calibration sessions (managers always may).
    qa_lead: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set once when a departed agent is anonymised (qa_app.privacy); never cleared.
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    team: Mapped[Team | None] = relationship(back_populates="agents", foreign_keys=[team_id])
    supervised_teams: Mapped[list[Team]] = relationship(
        secondary="team_supervisor", back_populates="supervisors", order_by="Team.name"
    )
    # The agent's ids in each source system (see AgentIdentity); read-only here: the admin
    # pages change them through qa_app.admin.identities.
    identities: Mapped[list[AgentIdentity]] = relationship(
        foreign_keys="AgentIdentity.user_id",
        order_by="AgentIdentity.source",
        viewonly=True,
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active


# The longest source name an import carries (Interaction.source, AgentDailyStat.source).
SOURCE_NAME_LENGTH = 40
IDENTITY_LENGTH = 128


class AgentIdentity(Model):
    """An agent's id in one source system (the phone or ticket system an import names, such
    as "genesys" or "five9"): a user holds at most one per source, and an id belongs to one
    user per source. Imports of that source match it before the user's `external_id`."""

    __tablename__ = "agent_identity"
    __table_args__ = (
        sa.UniqueConstraint("source", "external_id"),
        sa.UniqueConstraint("user_id", "source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(sa.String(SOURCE_NAME_LENGTH))
    external_id: Mapped[str] = mapped_column(sa.String(IDENTITY_LENGTH))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<AgentIdentity {self.source}:{self.external_id} → {self.user_id}>"


class UserSession(Model):
    """One signed-in browser. The cookie holds a random token; only its hash is stored.

    Logging out revokes the row, so a copy of the cookie taken earlier no longer works.
    """

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ip_address: Mapped[str | None] = mapped_column(sa.String(45))
    user_agent: Mapped[str | None] = mapped_column(sa.String(200))

    user: Mapped[User] = relationship()


class SignInThrottle(Model):
    """Failed sign-ins per e-mail address (known or not), and per client address under the
    key "address:<ip>" (no "@", so never an e-mail's), to lock out password guessing."""

    __tablename__ = "sign_in_throttle"

    email: Mapped[str] = mapped_column(sa.String(254), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
