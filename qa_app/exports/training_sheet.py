"""The Training sheet: every plan active in the exported period, one row per item.

A plan is active in the period when it was created before the period ended and was not
closed before it began. Rows are streamed like the evaluations (plain columns, `yield_per`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from openpyxl import Workbook

from qa_app.auth.models import User
from qa_app.exports.queries import YIELD_PER, _local
from qa_app.exports.sheets import DATE, DATE_TIME, N_, WHOLE, Column, Sheet, Translate, translated
from qa_app.extensions import db
from qa_app.stats.filters import ReportFilters
from qa_app.teams.models import Team
from qa_app.training.models import TrainingModule, TrainingPlan, item_overdue
from qa_app.training.models import TrainingPlanItem as Item

TRAINING = "Training"
TRAINING_COLUMNS = [
    Column(N_("Plan id"), 8, WHOLE),
    Column(N_("Agent"), 24),
    Column(N_("Team"), 18),
    Column(N_("Plan status"), 12),
    Column(N_("Created"), 17, DATE_TIME),
    Column(N_("Issued"), 17, DATE_TIME),
    Column(N_("Acknowledged"), 17, DATE_TIME),
    Column(N_("Closed"), 17, DATE_TIME),
    Column(N_("Item"), 6, WHOLE),
    Column(N_("Module"), 28),
    Column(N_("Skill"), 16),
    Column(N_("Focus area"), 24),
    Column(N_("Reason"), 48),
    Column(N_("Due on"), 11, DATE),
    Column(N_("Item status"), 12),
    Column(N_("Completed"), 17, DATE_TIME),
    Column(N_("Overdue"), 9),
]


@dataclass(frozen=True)
class TrainingRow:
    """A plan and one of its items (item fields empty for a plan without items)."""

    plan_id: int
    agent: str
    team: str | None
    plan_status: str
    created_at: datetime
    issued_at: datetime | None
    acknowledged_at: datetime | None
    closed_at: datetime | None
    position: int | None
    module: str | None
    skill: str | None
    focus: str | None
    reason: str | None
    due_on: date | None
    item_status: str | None
    completed_at: datetime | None

    def overdue(self, today: date) -> bool | None:
        """Not done by its due date while the plan was being worked on."""
        if self.due_on is None or self.item_status is None:
            return None
        return item_overdue(self.plan_status, self.item_status, self.due_on, today)


def training_rows(filters: ReportFilters) -> Iterator[TrainingRow]:
    """Plans of the agents in scope that were active in the period, by plan and position."""
    begin, finish = filters.bounds()
    columns = {
        "plan_id": TrainingPlan.id,
        "agent": User.display_name,
        "team": Team.name,
        "plan_status": TrainingPlan.status,
        "created_at": TrainingPlan.created_at,
        "issued_at": TrainingPlan.issued_at,
        "acknowledged_at": TrainingPlan.acknowledged_at,
        "closed_at": TrainingPlan.closed_at,
        "position": Item.position,
        "module": TrainingModule.title,
        "skill": TrainingModule.skill,
        "focus": Item.focus_label,
        "reason": Item.reason,
        "due_on": Item.due_on,
        "item_status": Item.status,
        "completed_at": Item.completed_at,
    }
    query = (
        sa.select(*(column.label(name) for name, column in columns.items()))
        .join(User, User.id == TrainingPlan.agent_id)
        .outerjoin(Team, Team.id == User.team_id)
        .outerjoin(Item, Item.plan_id == TrainingPlan.id)
        .outerjoin(TrainingModule, TrainingModule.id == Item.module_id)
        .where(
            TrainingPlan.agent_id.in_(filters.agent_ids()),
            TrainingPlan.created_at < finish,
            sa.or_(TrainingPlan.closed_at.is_(None), TrainingPlan.closed_at >= begin),
        )
        .order_by(TrainingPlan.id, Item.position)
        .execution_options(yield_per=YIELD_PER)
    )
    moments = ("created_at", "issued_at", "acknowledged_at", "closed_at", "completed_at")
    for row in db.session.execute(query):
        values = row._asdict()
        for name in moments:
            values[name] = _local(values[name], filters.tz)
        yield TrainingRow(**values)


def write_training(
    workbook: Workbook, rows: Iterable[TrainingRow], today: date, translate: Translate
) -> int:
    """The Training sheet; its number of data rows."""
    sheet = Sheet(workbook, TRAINING, translated(TRAINING_COLUMNS, translate))
    for row in rows:
        sheet.append(
            [
                row.plan_id, row.agent, row.team, row.plan_status, row.created_at,
                row.issued_at, row.acknowledged_at, row.closed_at, row.position, row.module,
                row.skill, row.focus, row.reason, row.due_on, row.item_status,
                row.completed_at, row.overdue(today),
            ]
        )  # fmt: skip
    sheet.filter()
    return sheet.rows
