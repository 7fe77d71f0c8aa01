"""A saved import profile."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.database import UTCDateTime, utcnow
from qa_app.extensions import Model


class ImportProfile(Model):
    """How to read one source's files of one kind (statistics or interactions): the
    definition holds the keys of qa_app.uploads.presets.PROFILE_KEYS, as a profile file does."""

    __tablename__ = "import_profile"
    __table_args__ = (sa.UniqueConstraint("kind", "source"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    source: Mapped[str] = mapped_column(sa.String(40))
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
