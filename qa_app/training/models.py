"""The training catalogue, agents' training plans and their items, and coaching sessions."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qa_app.database import UTCDateTime, utcnow
from qa_app.extensions import Model
from qa_app.labels import TitledEnum
from qa_app.scorecards.texts import localized, reader_language

if TYPE_CHECKING:
    from qa_app.auth.models import User


def _in(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class TrainingModule(Model):
    """A catalogue entry, loaded from scorecards/training.toml by `scorecards sync`.

    Modules dropped from the file are deactivated, not deleted: plans still point at them.
    """

    __tablename__ = "training_module"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(120))
    skill: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str] = mapped_column(sa.Text)
    expected_minutes: Mapped[int]
    link: Mapped[str | None] = mapped_column(sa.String(500))
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # The file's translations: "title", "skill", "description" → {language: text}; the
    # columns above hold the texts in the file's own language.
    translations: Mapped[dict[str, dict[str, str]] | None] = mapped_column(sa.JSON)

    def text(self, name: str) -> str:
        """`title`, `skill` or `description` in the reader's language, else the file's."""
        own = str(getattr(self, name))
        table = (self.translations or {}).get(name)
        return localized(table, language=reader_language()) if table else own


class KpiTrainingModule(Model):
    """Which modules address a shortfall on a KPI, most relevant first."""

    __tablename__ = "kpi_training_module"

    kpi: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("training_module.id"), primary_key=True)
    position: Mapped[int]

    module: Mapped[TrainingModule] = relationship()


class PlanStatus(TitledEnum):
    """draft → issued → acknowledged → closed (an issued plan may also be closed directly)."""

    DRAFT = "draft"
    ISSUED = "issued"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"

    __titles__ = {
        "draft": lazy_pgettext("plan status", "draft"),
        "issued": lazy_pgettext("plan status", "issued"),
        "acknowledged": lazy_pgettext("plan status", "acknowledged"),
        "closed": lazy_pgettext("plan status", "closed"),
    }


# An agent has at most one plan in these statuses (a partial unique index says so too).
OPEN_PLAN = (PlanStatus.DRAFT, PlanStatus.ISSUED, PlanStatus.ACKNOWLEDGED)
# Plans the agent can see.
VISIBLE_TO_AGENT = (PlanStatus.ISSUED, PlanStatus.ACKNOWLEDGED, PlanStatus.CLOSED)


class ItemStatus(TitledEnum):
    """An item's progress, set by the agent (or the coach)."""

    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    DONE = "done"

    __titles__ = {"assigned": _l("to do"), "in_progress": _l("in progress"), "done": _l("done")}


class FocusKind(enum.StrEnum):
    """What evidence an item answers: a criterion average below its threshold, a critical
    failure, or a KPI below its attainment threshold. Items a coach adds by hand have none."""

    CRITERION = "criterion"
    CRITICAL = "critical"
    KPI = "kpi"


class TrainingPlan(Model):
    """An agent's training plan, proposed from a period's evidence and owned by the coach."""

    __tablename__ = "training_plan"
    __table_args__ = (
        sa.CheckConstraint(_in("status", PlanStatus), name="status"),
        sa.CheckConstraint("period_start <= period_end", name="period"),
        sa.Index(
            "uq_training_plan_open_agent",
            "agent_id",
            unique=True,
            sqlite_where=sa.text("status <> 'closed'"),
            postgresql_where=sa.text("status <> 'closed'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(16), default=PlanStatus.DRAFT)
    # The evidence the proposal was drawn from: follow-up compares it with what came after.
    period_start: Mapped[date] = mapped_column(sa.Date)
    period_end: Mapped[date] = mapped_column(sa.Date)
    # period_start's first moment in the centre's time zone, so follow-up compares
    # evaluations with plain SQL.
    evidence_from: Mapped[datetime] = mapped_column(UTCDateTime())
    notes: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # The centre's calendar days of issue and closure: follow-up splits agent-days there.
    issued_on: Mapped[date | None] = mapped_column(sa.Date)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledgement_comment: Mapped[str | None] = mapped_column(sa.Text)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    closed_on: Mapped[date | None] = mapped_column(sa.Date)
    closing_note: Mapped[str | None] = mapped_column(sa.Text)
    lock_version: Mapped[int] = mapped_column(default=1, server_default="1")

    agent: Mapped[User] = relationship(foreign_keys=[agent_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])
    items: Mapped[list[TrainingPlanItem]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="TrainingPlanItem.position"
    )

    __mapper_args__ = {"version_id_col": lock_version}  # noqa: RUF012

    @property
    def is_open(self) -> bool:
        """Draft, issued or acknowledged: not closed yet."""
        return self.status in OPEN_PLAN


class TrainingPlanItem(Model):
    """One module in a plan, with the evidence that put it there and its progress."""

    __tablename__ = "training_plan_item"
    __table_args__ = (
        sa.CheckConstraint(_in("status", ItemStatus), name="status"),
        sa.CheckConstraint(
            f"focus_kind IS NULL OR {_in('focus_kind', FocusKind)}", name="focus_kind"
        ),
        sa.UniqueConstraint("plan_id", "module_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(
        sa.ForeignKey("training_plan.id", ondelete="CASCADE"), index=True
    )
    module_id: Mapped[int] = mapped_column(sa.ForeignKey("training_module.id"))
    position: Mapped[int]
    focus_kind: Mapped[str | None] = mapped_column(sa.String(16))
    focus_key: Mapped[str | None] = mapped_column(sa.String(64))
    focus_label: Mapped[str | None] = mapped_column(sa.String(200))
    priority: Mapped[float | None]
    reason: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    due_on: Mapped[date] = mapped_column(sa.Date)
    status: Mapped[str] = mapped_column(sa.String(16), default=ItemStatus.ASSIGNED)
    coach_notes: Mapped[str | None] = mapped_column(sa.Text)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    plan: Mapped[TrainingPlan] = relationship(back_populates="items")
    module: Mapped[TrainingModule] = relationship()

    def is_overdue(self, today: date) -> bool:
        """Not done by its due date, in a plan the agent is working on."""
        return item_overdue(self.plan.status, self.status, self.due_on, today)


def item_overdue(plan_status: str, item_status: str, due_on: date, today: date) -> bool:
    """An item is overdue when it is not done by its due date while its plan is issued or
    acknowledged (the plan the agent is working on)."""
    return (
        item_status != ItemStatus.DONE
        and due_on < today
        and plan_status in (PlanStatus.ISSUED, PlanStatus.ACKNOWLEDGED)
    )
