"""The row /healthz rewrites to prove the database can still save (qa_app.main.health)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.database import UTCDateTime
from qa_app.extensions import Model


class HealthProbe(Model):
    """One row per probe name; `checked_at` is the last time a health check saved it."""

    __tablename__ = "health_probe"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime())
