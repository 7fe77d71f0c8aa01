"""Interactions: what was monitored (calls, chats, tickets), entered by hand or imported."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.database import UTCDateTime, utcnow
from qa_app.extensions import Model

if TYPE_CHECKING:
    from qa_app.auth.models import User
    from qa_app.evaluations.models import Evaluation

MANUAL_SOURCE = "manual"


class Interaction(Model):
    """One monitored contact: who handled it, on which channel, when, and its record."""

    __tablename__ = "interaction"
    __table_args__ = (
        # Re-importing the same export adds nothing: a reference is unique per source system
        # and agent. Per agent, not centre-wide: another team's call with the same reference
        # must neither block this one nor answer with its id (migration 0010).
        sa.UniqueConstraint("source", "external_ref", "agent_id"),
        sa.Index("ix_interaction_agent_occurred", "agent_id", "occurred_at"),
        sa.CheckConstraint(
            "channel IN ('phone', 'chat', 'email', 'in_person', 'social')", name="channel"
        ),
        # Repeat contacts: the same customer's later interactions (qa_app.interactions.outcomes).
        sa.Index("ix_interaction_customer_occurred", "customer_ref", "occurred_at"),
        sa.CheckConstraint("nps_score BETWEEN 0 AND 10", name="nps_score"),
        sa.CheckConstraint("csat_score BETWEEN 0 AND 100", name="csat_score"),
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
    # The customer's answers about this contact, None when unknown (outcomes.py): the CSAT
    # answer on its survey's scale and whether it counts as positive, the NPS answer (0–10),
    # and whether the matter was resolved on this first contact.
    csat_score: Mapped[float | None] = mapped_column(sa.Float)
    csat_positive: Mapped[bool | None]
    nps_score: Mapped[int | None] = mapped_column(sa.SmallInteger)
    resolved_first_contact: Mapped[bool | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    agent: Mapped[User] = relationship(foreign_keys=[agent_id])
    # Read-only: evaluations are made and changed through their own services.
    evaluations: Mapped[list[Evaluation]] = relationship(viewonly=True, order_by="Evaluation.id")
