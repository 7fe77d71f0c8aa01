"""Evaluations, their answers, their revisions, agents' disputes, and the work queue
(sampling runs and assignments) that leads to them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.database import UTCDateTime, utcnow
from qa_app.extensions import Model
from qa_app.labels import TitledEnum
from qa_app.scorecards.models import ScorecardCriterion
from qa_app.scorecards.texts import criterion_labels

if TYPE_CHECKING:
    from qa_app.auth.models import User
    from qa_app.interactions.models import Interaction
    from qa_app.scorecards.models import ScorecardVersion


class EvaluationStatus(TitledEnum):
    """draft → submitted → released → acknowledged, or released → disputed → resolved."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    RELEASED = "released"
    ACKNOWLEDGED = "acknowledged"
    DISPUTED = "disputed"
    RESOLVED = "resolved"

    __titles__ = {
        "draft": lazy_pgettext("evaluation status", "draft"),
        "submitted": lazy_pgettext("evaluation status", "submitted"),
        "released": _l("new feedback"),
        "acknowledged": lazy_pgettext("evaluation status", "acknowledged"),
        "disputed": lazy_pgettext("evaluation status", "disputed"),
        "resolved": _l("dispute decided"),
    }


# Statuses an agent can see: everything from release on.
VISIBLE_TO_AGENT = (
    EvaluationStatus.RELEASED,
    EvaluationStatus.ACKNOWLEDGED,
    EvaluationStatus.DISPUTED,
    EvaluationStatus.RESOLVED,
)
# Statuses whose score counts in averages and reports.
SCORED = (EvaluationStatus.SUBMITTED, *VISIBLE_TO_AGENT)


def _in(column: str, values: Any) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Evaluation(Model):
    """One evaluator scoring one interaction on one scorecard version.

    The score columns hold the current revision (see EvaluationRevision for earlier ones);
    `lock_version` makes a save based on stale data fail instead of overwriting.
    """

    __tablename__ = "evaluation"
    __table_args__ = (
        sa.UniqueConstraint("interaction_id", "evaluator_id"),
        sa.CheckConstraint(_in("status", EvaluationStatus), name="status"),
        sa.CheckConstraint("agent_id <> evaluator_id", name="not_self"),
        sa.Index("ix_evaluation_agent_status", "agent_id", "status"),
        sa.Index("ix_evaluation_evaluator_status", "evaluator_id", "status"),
        # Reports: an agent scope and a period, and every column the reports read of those
        # evaluations, so that SQLite reads the index alone (migration 0009; it replaced
        # 0007's index on agent_id and submitted_at only).
        sa.Index(
            "ix_evaluation_agent_submitted_scores",
            "agent_id",
            "submitted_at",
            "status",
            "evaluator_id",
            "scorecard_version_id",
            "score",
            "passed",
            "auto_failed",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(sa.ForeignKey("interaction.id"), index=True)
    # Copied from the interaction: every access check and report filters on it.
    agent_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    evaluator_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    scorecard_version_id: Mapped[int] = mapped_column(
        sa.ForeignKey("scorecard_version.id"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(16), default=EvaluationStatus.DRAFT)
    score: Mapped[float | None]
    raw_score: Mapped[float | None]
    auto_failed: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    passed: Mapped[bool | None]
    overall_comment: Mapped[str | None] = mapped_column(sa.Text)
    strengths: Mapped[str | None] = mapped_column(sa.Text)
    opportunities: Mapped[str | None] = mapped_column(sa.Text)
    revision: Mapped[int] = mapped_column(default=0, server_default="0")
    lock_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledgement_comment: Mapped[str | None] = mapped_column(sa.Text)

    interaction: Mapped[Interaction] = relationship()
    agent: Mapped[User] = relationship(foreign_keys=[agent_id])
    evaluator: Mapped[User] = relationship(foreign_keys=[evaluator_id])
    version: Mapped[ScorecardVersion] = relationship()
    answers: Mapped[list[Answer]] = relationship(
        back_populates="evaluation", cascade="all, delete-orphan", order_by="Answer.id"
    )
    disputes: Mapped[list[Dispute]] = relationship(
        back_populates="evaluation", order_by="Dispute.id", cascade="all, delete-orphan"
    )
    # Who scored each submitted state: the evaluator, or a manager who completed or corrected
    # it (see permissions.scored_by). Revisions are only ever added, never changed here.
    revisions: Mapped[list[EvaluationRevision]] = relationship(
        order_by="EvaluationRevision.number", viewonly=True
    )

    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012


class Answer(Model):
    """One criterion's answer in the current revision: value (or N/A), r, and a comment.

    A criterion without a row, or with neither a value nor N/A, is not answered yet.
    """

    __tablename__ = "answer"
    __table_args__ = (
        sa.UniqueConstraint("evaluation_id", "criterion_key"),
        # Criterion averages read r of each evaluation's answers from the index alone
        # (migration 0009).
        sa.Index(
            "ix_answer_evaluation_criterion_normalised",
            "evaluation_id",
            "criterion_key",
            "normalised",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(sa.ForeignKey("evaluation.id", ondelete="CASCADE"))
    criterion_key: Mapped[str] = mapped_column(sa.String(64), index=True)
    # yes = 1 and no = 0 for yes_no; the number given for scale and points.
    value: Mapped[float | None]
    is_na: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # r in [0, 1] (DESIGN.md), stored so criterion averages are a plain SQL AVG.
    normalised: Mapped[float | None]
    comment: Mapped[str | None] = mapped_column(sa.Text)

    evaluation: Mapped[Evaluation] = relationship(back_populates="answers")


class EvaluationRevision(Model):
    """A submitted state of an evaluation, kept whole: submission is revision 1, every
    upheld dispute's re-score adds one. Nothing here is ever updated."""

    __tablename__ = "evaluation_revision"
    __table_args__ = (sa.UniqueConstraint("evaluation_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluation.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    score: Mapped[float | None]
    raw_score: Mapped[float | None]
    auto_failed: Mapped[bool]
    passed: Mapped[bool | None]
    # {criterion key: {"value": …, "na": bool, "comment": …}} plus the overall texts.
    content: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))


class DisputeStatus(TitledEnum):
    """An agent's challenge is open until upheld (re-scored) or rejected."""

    OPEN = "open"
    UPHELD = "upheld"
    REJECTED = "rejected"

    __titles__ = {
        "open": lazy_pgettext("dispute status", "open"),
        "upheld": lazy_pgettext("dispute status", "upheld"),
        "rejected": lazy_pgettext("dispute status", "rejected"),
    }


class Dispute(Model):
    """An agent's challenge of a released evaluation, overall or of named criteria."""

    __tablename__ = "dispute"
    __table_args__ = (sa.CheckConstraint(_in("status", DisputeStatus), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("evaluation.id", ondelete="CASCADE"), index=True
    )
    raised_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    # Empty: the evaluation as a whole.
    criterion_keys: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # The agent's reason for each disputed criterion, by key (empty for disputes raised
    # before reasons were given per criterion: their one `reason` covers them all).
    criterion_reasons: Mapped[dict[str, str]] = mapped_column(
        sa.JSON, default=dict, server_default="{}"
    )
    # About the evaluation as a whole: required without criteria, optional beside them.
    reason: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(16), default=DisputeStatus.OPEN, index=True)
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_note: Mapped[str | None] = mapped_column(sa.Text)
    revision_before: Mapped[int | None]
    revision_after: Mapped[int | None]

    evaluation: Mapped[Evaluation] = relationship(back_populates="disputes")
    raised_by: Mapped[User] = relationship(foreign_keys=[raised_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])

    @property
    def disputed_criteria(self) -> list[DisputedCriterion]:
        """The disputed criteria in the scorecard's order, with their labels (as the agent
        read them in the version they were scored on) and the agent's reason for each."""
        chosen = set(self.criterion_keys or ())
        reasons = self.criterion_reasons or {}
        labels = criterion_labels(self.evaluation.version.definition)
        found = [
            DisputedCriterion(key, label, reasons.get(key))
            for key, label in labels.items()
            if key in chosen
        ]
        known = {item.key for item in found}
        # A key the version does not know (never written by the app) still shows, as itself.
        return found + [
            DisputedCriterion(key, key, reasons.get(key)) for key in sorted(chosen - known)
        ]


@dataclass(frozen=True)
class DisputedCriterion:
    """One disputed criterion as people read it: its label and the agent's reason."""

    key: str
    label: str
    reason: str | None


def answer_label() -> sa.ScalarSelect[str]:
    """The label of an answer's criterion in its evaluation's scorecard version: a subquery
    correlated with Answer and Evaluation, for reports that group answers by key."""
    return (
        sa.select(ScorecardCriterion.label)
        .where(
            ScorecardCriterion.version_id == Evaluation.scorecard_version_id,
            ScorecardCriterion.key == Answer.criterion_key,
        )
        .correlate(Evaluation, Answer)
        .scalar_subquery()
    )


class Sample(Model):
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


class Assignment(Model):
    """An interaction in a supervisor's work queue, to be scored on a scorecard."""

    __tablename__ = "assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    interaction_id: Mapped[int] = mapped_column(sa.ForeignKey("interaction.id"), unique=True)
    evaluator_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    scorecard_id: Mapped[int] = mapped_column(sa.ForeignKey("scorecard.id"))
    sample_id: Mapped[int | None] = mapped_column(sa.ForeignKey("sample.id"), index=True)
    # The day by which it should be scored (set when sampling); past it, the queue flags it.
    due_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    interaction: Mapped[Interaction] = relationship()
    sample: Mapped[Sample | None] = relationship()
