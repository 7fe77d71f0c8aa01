"""Interactions and the sampling runs that put them in supervisors' work queues."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.database import UTCDateTime, utcnow
from qa_app.extensions import db

if TYPE_CHECKING:
    from qa_app.auth.models import User

MANUAL_SOURCE = "manual"


class Interaction(db.Model):
    """One monitored contact: who handled it, on which channel, when, and its record."""

    __tablename__ = "interaction"
    __table_args__ = (
        # Re-importing the same export adds nothing: a reference is unique per source system.
        sa.UniqueConstraint("source", "external_ref"),
        sa.Index("ix_interaction_agent_occurred", "agent_id", "occurred_at"),
        sa.CheckConstraint(
            "channel IN ('phone', 'chat', 'email', 'in_person', 'social')", name="channel"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    channel: Mapped[str] = mapped_column(sa.String(16))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    duration_seconds: Mapped[int | None]
    source: Mapped[str] = mapped_column(sa.String(40), default=MANUAL_SOURCE)
    external_ref: Mapped[str | None] = mapped_column(sa.String(128))
    queue: Mapped[str | None] = mapped_column(sa.String(80))
    customer_ref: Mapped[str | None] = mapped_column(sa.String(128))
    transcript: Mapped[str | None] = mapped_column(sa.Text)
    recording_url: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    agent: Mapped[User] = relationship(foreign_keys=[agent_id])


class Sample(db.Model):
    """A sampling run: which team and period, how many per agent, and the seed to repeat it."""

    __tablename__ = "sample"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(sa.ForeignKey("team.id"))
    period_start: Mapped[date]
    period_end: Mapped[date]
    per_agent: Mapped[int]
    seed: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))


class Assignment(db.Model):
    """An interaction in a supervisor's work queue, to be scored on a scorecard."""

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(sa.ForeignKey("interaction.id"), unique=True)
    evaluator_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    scorecard_id: Mapped[int] = mapped_column(sa.ForeignKey("scorecard.id"))
    sample_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sample.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    interaction: Mapped[Interaction] = relationship()
