"""Teams of agents and the supervisors who look after them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.database import UTCDateTime, utcnow
from qa_app.extensions import Model, db

if TYPE_CHECKING:
    from qa_app.auth.models import User

team_supervisor = sa.Table(
    "team_supervisor",
    db.metadata,
    sa.Column("team_id", sa.ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)

# Who decides the disputes of a team's agents besides its supervisors: supervisors of other
# teams, QA leads, managers (see `evaluations.permissions.dispute_deciders`).
team_dispute_reviewer = sa.Table(
    "team_dispute_reviewer",
    db.metadata,
    sa.Column("team_id", sa.ForeignKey("team.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
)


class Team(Model):
    """A group of agents with one or more supervisors."""

    __tablename__ = "team"
    __table_args__ = (
        sa.CheckConstraint("release_mode IN ('immediate', 'manual')", name="release_mode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    # "immediate": submitted evaluations reach the agent at once; "manual": a supervisor
    # releases them (e.g. after calibration).
    release_mode: Mapped[str] = mapped_column(
        sa.String(16), default="immediate", server_default="immediate"
    )
    # The per-agent monthly target supervisors' queues show progress against.
    evaluations_per_agent_month: Mapped[int] = mapped_column(default=4, server_default="4")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    agents: Mapped[list[User]] = relationship(
        back_populates="team", order_by="User.display_name", foreign_keys="User.team_id"
    )
    supervisors: Mapped[list[User]] = relationship(
        secondary=team_supervisor, back_populates="supervised_teams", order_by="User.display_name"
    )
    dispute_reviewers: Mapped[list[User]] = relationship(
        secondary=team_dispute_reviewer, order_by="User.display_name"
    )

    def __repr__(self) -> str:
        return f"<Team {self.id} {self.name}>"
