"""What the workbook writers take: one plain record per row, values ready to write.

Dates are naive datetimes in the centre's time zone (Excel has no time zones); shares are
fractions (0..1) for a percent format; scores stay on their 0–100 scale.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from qa_app.training.models import item_overdue


@dataclass(frozen=True)
class CriterionColumn:
    """A criterion as a column of the Evaluations and Criteria sheets."""

    key: str
    label: str
    section: str


@dataclass(frozen=True)
class KpiColumn:
    """A KPI as a column: its key, its header and the number format of its unit."""

    key: str
    header: str
    number_format: str


@dataclass(frozen=True)
class AgentSummary:
    """One agent's figures over the export's evaluations and period."""

    agent: str
    email: str
    team: str | None
    evaluations: int
    qa_average: float | None
    qa_n: int
    qa_low: float | None
    qa_high: float | None
    pass_rate: float | None
    critical_failures: int
    kpis: Mapping[str, float | None]
    kpi_index: float | None
    composite: float | None
    # The composite's flags in words ("" without any): QA below the pass mark, a critical
    # failure in the period.
    composite_flags: str = ""


@dataclass(frozen=True)
class EvaluationRow:
    """One evaluation, with the names of the people and the scorecard it involves."""

    id: int
    submitted_at: datetime | None
    interaction_at: datetime
    agent: str
    team: str | None
    evaluator: str
    scorecard: str
    version: int
    channel: str
    external_ref: str | None
    status: str
    score: float | None
    raw_score: float | None
    auto_failed: bool
    passed: bool | None
    overall_comment: str | None
    strengths: str | None
    opportunities: str | None


@dataclass(frozen=True)
class AnswerRow:
    """One answer: the value given, its normalised r in [0, 1], or N/A."""

    evaluation_id: int
    criterion_key: str
    label: str | None
    section: str | None
    kind: str | None
    value: float | None
    normalised: float | None
    is_na: bool
    comment: str | None


@dataclass(frozen=True)
class KpiComparison:
    """A KPI of one agent beside the team's and the target, in the KPI's unit."""

    header: str
    number_format: str
    agent: float | None
    team: float | None
    target: float | None
    better_when: str
    attainment: float | None


@dataclass(frozen=True)
class CriterionComparison:
    """A criterion's mean r for one agent beside the team's, each with its n."""

    key: str
    label: str
    section: str
    agent_mean: float | None
    agent_n: int
    team_mean: float | None
    team_n: int


@dataclass(frozen=True)
class FeedbackOverview:
    """The first sheet of an agent's feedback workbook."""

    agent: str
    team: str | None
    start: date
    end: date
    summary: AgentSummary
    kpis: Sequence[KpiComparison]
    min_evaluations: int


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


def with_answers(
    evaluations: Iterable[EvaluationRow], answers: Iterable[AnswerRow]
) -> Iterator[tuple[EvaluationRow, list[AnswerRow]]]:
    """Pair each evaluation with its answers, walking two streams sorted by evaluation id,
    so that only one evaluation's answers are in memory at a time."""
    pending = iter(answers)
    answer = next(pending, None)
    for evaluation in evaluations:
        own = []
        while answer is not None and answer.evaluation_id <= evaluation.id:
            if answer.evaluation_id == evaluation.id:
                own.append(answer)
            answer = next(pending, None)
        yield evaluation, own
