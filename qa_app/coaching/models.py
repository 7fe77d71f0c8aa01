"""Coaching sessions: a coach and an agent, what was discussed and what was agreed."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.database import UTCDateTime, utcnow
from qa_app.extensions import Model, db

if TYPE_CHECKING:
    from qa_app.auth.models import User
    from qa_app.evaluations.models import Evaluation
    from qa_app.training.models import TrainingPlanItem


coaching_session_evaluation = sa.Table(
    "coaching_session_evaluation",
    db.metadata,
    sa.Column(
        "session_id",
        sa.ForeignKey("coaching_session.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("evaluation_id", sa.ForeignKey("evaluation.id"), primary_key=True),
)

coaching_session_item = sa.Table(
    "coaching_session_item",
    db.metadata,
    sa.Column(
        "session_id",
        sa.ForeignKey("coaching_session.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "item_id", sa.ForeignKey("training_plan_item.id", ondelete="CASCADE"), primary_key=True
    ),
)


class CoachingSession(Model):
    """A one-to-one coaching conversation: what was discussed and what was agreed."""

    __tablename__ = "coaching_session"
    __table_args__ = (sa.CheckConstraint("agent_id <> coach_id", name="not_self"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    coach_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    held_on: Mapped[date] = mapped_column(sa.Date)
    notes: Mapped[str] = mapped_column(sa.Text)
    agreed_actions: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledgement_comment: Mapped[str | None] = mapped_column(sa.Text)

    agent: Mapped[User] = relationship(foreign_keys=[agent_id])
    coach: Mapped[User] = relationship(foreign_keys=[coach_id])
    evaluations: Mapped[list[Evaluation]] = relationship(
        secondary=coaching_session_evaluation, order_by="Evaluation.id"
    )
    items: Mapped[list[TrainingPlanItem]] = relationship(
        secondary=coaching_session_item, order_by="TrainingPlanItem.id"
    )
