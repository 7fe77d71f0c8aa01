"""Calibration sessions: several evaluators score the same interactions blind.

Kept in tables of their own, never in `evaluation`: no report, dashboard, export, training
evidence or agent page reads these, so a calibration cannot change an agent's figures
(DESIGN.md "Calibration"). The one bridge is promotion: a manager may copy the benchmark's
scoring of an interaction into a normal evaluation of its agent (audited).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.database import UTCDateTime, utcnow
from qa_app.extensions import Model
from qa_app.labels import TitledEnum

if TYPE_CHECKING:
    from qa_app.auth.models import User
    from qa_app.interactions.models import Interaction
    from qa_app.scorecards.models import ScorecardVersion

TITLE_LENGTH = 120


class SessionStatus(TitledEnum):
    """open (participants score) → closed (results for everyone, nothing changes)."""

    OPEN = "open"
    CLOSED = "closed"

    __titles__ = {
        "open": lazy_pgettext("calibration status", "open"),
        "closed": lazy_pgettext("calibration status", "closed"),
    }


class Benchmark(TitledEnum):
    """What each participant is compared with: an expert's answers, or everyone's consensus."""

    EXPERT = "expert"
    CONSENSUS = "consensus"

    __titles__ = {
        "expert": _l("An expert's answers"),
        "consensus": _l("The consensus of the participants"),
    }


def _in(column: str, values: Any) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class CalibrationSession(Model):
    """One calibration: interactions, a scorecard version, participants, a benchmark."""

    __tablename__ = "calibration_session"
    __table_args__ = (
        sa.CheckConstraint(_in("status", SessionStatus), name="status"),
        sa.CheckConstraint(_in("benchmark", Benchmark), name="benchmark"),
        sa.CheckConstraint("(benchmark = 'expert') = (expert_id IS NOT NULL)", name="expert_named"),
        sa.CheckConstraint("tolerance_points >= 0 AND tolerance_points <= 100", name="tolerance"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(TITLE_LENGTH))
    scorecard_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("scorecard_version.id"), index=True
    )
    benchmark: Mapped[str] = mapped_column(sa.String(16))
    expert_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # The band a deviation counts as "within", fixed when the session is created so that its
    # results do not move when the centre's setting changes.
    tolerance_points: Mapped[float]
    due_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(sa.String(16), default=SessionStatus.OPEN, index=True)
    created_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    version: Mapped[ScorecardVersion] = relationship()
    expert: Mapped[User | None] = relationship(foreign_keys=[expert_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    items: Mapped[list[CalibrationItem]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="CalibrationItem.id"
    )
    participants: Mapped[list[CalibrationParticipant]] = relationship(
        back_populates="session",
        cascade="all, delete-orphan",
        order_by="CalibrationParticipant.id",
    )

    @property
    def is_open(self) -> bool:
        return self.status == SessionStatus.OPEN


class CalibrationItem(Model):
    """An interaction every participant of the session scores."""

    __tablename__ = "calibration_item"
    __table_args__ = (sa.UniqueConstraint("session_id", "interaction_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("calibration_session.id", ondelete="CASCADE")
    )
    interaction_id: Mapped[int] = mapped_column(sa.ForeignKey("interaction.id"), index=True)
    # The normal evaluation a manager made of the benchmark's scoring (see services).
    promoted_evaluation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("evaluation.id", ondelete="SET NULL")
    )

    session: Mapped[CalibrationSession] = relationship(back_populates="items")
    interaction: Mapped[Interaction] = relationship()


class CalibrationParticipant(Model):
    """An evaluator invited to score the session (the expert is one too)."""

    __tablename__ = "calibration_participant"
    __table_args__ = (sa.UniqueConstraint("session_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("calibration_session.id", ondelete="CASCADE")
    )
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set when they have submitted every interaction: from then on they see the others.
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    session: Mapped[CalibrationSession] = relationship(back_populates="participants")
    user: Mapped[User] = relationship()


class CalibrationScore(Model):
    """One participant's scoring of one interaction of the session: a draft until submitted.

    The score columns mean what Evaluation's mean (DESIGN.md "Scoring math")."""

    __tablename__ = "calibration_score"
    __table_args__ = (sa.UniqueConstraint("item_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("calibration_item.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    score: Mapped[float | None]
    raw_score: Mapped[float | None]
    auto_failed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    passed: Mapped[bool | None]
    overall_comment: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    item: Mapped[CalibrationItem] = relationship()
    user: Mapped[User] = relationship()
    answers: Mapped[list[CalibrationAnswer]] = relationship(
        back_populates="score", cascade="all, delete-orphan", order_by="CalibrationAnswer.id"
    )


class CalibrationAnswer(Model):
    """One criterion's answer in a calibration score: value (or N/A), r and a comment."""

    __tablename__ = "calibration_answer"
    __table_args__ = (sa.UniqueConstraint("score_id", "criterion_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    score_id: Mapped[int] = mapped_column(sa.ForeignKey("calibration_score.id", ondelete="CASCADE"))
    criterion_key: Mapped[str] = mapped_column(sa.String(64))
    value: Mapped[float | None]
    is_na: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    normalised: Mapped[float | None]
    comment: Mapped[str | None] = mapped_column(sa.Text)

    score: Mapped[CalibrationScore] = relationship(back_populates="answers")
