"""Daily statistics per agent, KPI targets, and saved column mappings for imports."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.database import UTCDateTime, utcnow
from qa_app.extensions import Model

ALL_CHANNELS = "all"
# The raw totals DESIGN.md says to store; every KPI is a ratio of their sums.
TOTAL_COLUMNS = (
    "contacts_handled",
    "handle_seconds",
    "talk_seconds",
    "hold_seconds",
    "acw_seconds",
    "logged_in_seconds",
    "csat_responses",
    "csat_positive",
    "nps_responses",
    "nps_promoters",
    "nps_detractors",
    "fcr_eligible",
    "fcr_resolved",
    "transfers",
)


class AgentDailyStat(Model):
    """One agent's totals for one day (on one channel, or "all") from one source system.

    Several sources may give figures for the same agent-day (volumes and times from the phone
    system, CSAT from a survey tool); every KPI adds them up, and importing a source again
    replaces only that source's rows. A total is NULL when its source did not give it (a survey
    file has no contact counts): 0 is a figure given as zero, NULL is no figure at all.
    """

    __tablename__ = "agent_daily_stat"
    __table_args__ = (
        sa.UniqueConstraint("agent_id", "day", "channel", "source"),
        sa.Index("ix_agent_daily_stat_day_agent", "day", "agent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    day: Mapped[date]
    channel: Mapped[str] = mapped_column(sa.String(16), default=ALL_CHANNELS)
    # The totals: NULL when the source did not give one (the ORM's default is a given 0).
    contacts_handled: Mapped[int | None] = mapped_column(default=0)
    handle_seconds: Mapped[int | None] = mapped_column(default=0)
    talk_seconds: Mapped[int | None] = mapped_column(default=0)
    hold_seconds: Mapped[int | None] = mapped_column(default=0)
    acw_seconds: Mapped[int | None] = mapped_column(default=0)
    logged_in_seconds: Mapped[int | None] = mapped_column(default=0)
    csat_responses: Mapped[int | None] = mapped_column(default=0)
    csat_positive: Mapped[int | None] = mapped_column(default=0)
    nps_responses: Mapped[int | None] = mapped_column(default=0)
    nps_promoters: Mapped[int | None] = mapped_column(default=0)
    nps_detractors: Mapped[int | None] = mapped_column(default=0)
    fcr_eligible: Mapped[int | None] = mapped_column(default=0)
    fcr_resolved: Mapped[int | None] = mapped_column(default=0)
    transfers: Mapped[int | None] = mapped_column(default=0)
    source: Mapped[str] = mapped_column(sa.String(40), default="import")
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class KpiTarget(Model):
    """A KPI's target for a team, or the centre-wide default when team_id is NULL."""

    __tablename__ = "kpi_target"
    __table_args__ = (
        sa.UniqueConstraint("team_id", "kpi"),
        sa.CheckConstraint("direction IN ('higher', 'lower')", name="direction"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int | None] = mapped_column(sa.ForeignKey("team.id", ondelete="CASCADE"))
    kpi: Mapped[str] = mapped_column(sa.String(32))
    target: Mapped[float]
    direction: Mapped[str] = mapped_column(sa.String(8))
    weight: Mapped[float] = mapped_column(default=1.0, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ColumnMapping(Model):
    """A saved mapping of unusual export headers to our column names, per source system."""

    __tablename__ = "column_mapping"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(sa.String(40), unique=True)
    # canonical column name → the header that source uses for it
    columns: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
