"""Scorecards and their immutable published versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.database import UTCDateTime, utcnow
from qa_app.extensions import Model
from qa_app.scorecards.texts import definition_language, localized

SCORECARD_STATUSES = ("active", "archived")
VERSION_SOURCES = ("file", "builder")


class Scorecard(Model):
    """A scorecard: its versions, and the web builder's working draft (if any)."""

    __tablename__ = "scorecard"
    __table_args__ = (sa.CheckConstraint("status IN ('active', 'archived')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    status: Mapped[str] = mapped_column(sa.String(16), default="active", server_default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # The builder edits a copy; publishing turns it into a new version and clears it.
    draft: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    # Bumped on every draft change, so two editors cannot overwrite each other unnoticed.
    draft_revision: Mapped[int] = mapped_column(default=0, server_default="0")
    draft_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    versions: Mapped[list[ScorecardVersion]] = relationship(
        back_populates="scorecard", order_by="ScorecardVersion.number"
    )

    @property
    def display_name(self) -> str:
        """The name in the reader's language (from the latest version, else the draft)."""
        if self.versions:
            return self.versions[-1].display_name
        if self.draft and self.draft.get("name"):
            return localized(self.draft["name"], definition_language(self.draft))
        return self.name

    @property
    def is_archived(self) -> bool:
        """Archived scorecards keep their versions but take no new evaluations."""
        return self.status == "archived"


class ScorecardVersion(Model):
    """One published, immutable version: evaluations point here and never change meaning."""

    __tablename__ = "scorecard_version"
    __table_args__ = (
        sa.UniqueConstraint("scorecard_id", "number"),
        sa.CheckConstraint("source IN ('file', 'builder')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(sa.ForeignKey("scorecard.id"), index=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(120))
    pass_mark: Mapped[float]
    definition: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    content_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    source: Mapped[str] = mapped_column(sa.String(16))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    scorecard: Mapped[Scorecard] = relationship(back_populates="versions")
    criteria: Mapped[list[ScorecardCriterion]] = relationship(
        back_populates="version", order_by="ScorecardCriterion.position"
    )

    @property
    def display_name(self) -> str:
        """The name in the reader's language (`name` keeps the file's own language)."""
        name = (self.definition or {}).get("name")
        return localized(name, definition_language(self.definition)) if name else self.name


class ScorecardCriterion(Model):
    """A criterion of a version as a row, for reports that group answers in SQL.

    Derived from the version's definition when it is published, and as immutable.
    """

    __tablename__ = "scorecard_criterion"
    __table_args__ = (sa.UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("scorecard_version.id"), index=True)
    key: Mapped[str] = mapped_column(sa.String(64), index=True)
    label: Mapped[str] = mapped_column(sa.String(200))
    section_title: Mapped[str] = mapped_column(sa.String(120))
    section_position: Mapped[int]
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(16))
    weight: Mapped[float]
    critical: Mapped[bool]
    na_allowed: Mapped[bool]

    version: Mapped[ScorecardVersion] = relationship(back_populates="criteria")


class PublishedVersionImmutable(RuntimeError):
    """A published version (or one of its criteria) was about to change."""


@sa.event.listens_for(ScorecardVersion, "before_update")
@sa.event.listens_for(ScorecardVersion, "before_delete")
@sa.event.listens_for(ScorecardCriterion, "before_update")
@sa.event.listens_for(ScorecardCriterion, "before_delete")
def _refuse_change(_mapper: Any, _connection: Any, target: Any) -> None:
    raise PublishedVersionImmutable(
        f"{type(target).__name__} {target.id} is published and cannot change; publish a new "
        "version instead"
    )
