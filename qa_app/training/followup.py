"""Did coaching work? Each focus area of an issued plan, before the plan and after it.

Before: from the start of the plan's evidence period until it was issued. After: from issue
until the plan was closed (or now). A criterion (or critical criterion) compares its mean r
over non-N/A answers; a KPI compares its value from summed agent-days (DESIGN.md "KPI
math"). Each side carries its n. Two queries for any number of items: one for criteria,
one for KPIs.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from qa_app.evaluations.models import Answer, Evaluation
from qa_app.extensions import db
from qa_app.stats.kpis import KPI_BY_KEY, SUMMED, KpiTotals, kpi_sums
from qa_app.stats.models import ALL_CHANNELS, AgentDailyStat
from qa_app.training.models import FocusKind, TrainingPlan, TrainingPlanItem

# A verdict ("better", "not better") needs at least this n on each side: one evaluation
# after the plan says nothing yet.
MIN_N = 2


@dataclass(frozen=True)
class Comparison:
    """One focus area before and after its plan was issued."""

    item_id: int
    kind: str
    key: str
    before: float | None
    before_n: int
    after: float | None
    after_n: int

    @property
    def change(self) -> float | None:
        """after − before, when both sides have data."""
        if self.before is None or self.after is None:
            return None
        return self.after - self.before

    @property
    def improved(self) -> bool | None:
        """Better after than before (lower is better for handle time); None without enough
        data on either side (MIN_N)."""
        change = self.change
        if change is None or min(self.before_n, self.after_n) < MIN_N:
            return None
        if self.kind == FocusKind.KPI and KPI_BY_KEY[self.key].direction == "lower":
            return change < 0
        return change > 0


def _criterion_comparisons(
    item_ids: Sequence[int], statuses: Collection[str]
) -> dict[int, Comparison]:
    plan = TrainingPlan
    before = Evaluation.submitted_at < plan.issued_at
    after = sa.and_(
        Evaluation.submitted_at >= plan.issued_at,
        sa.or_(plan.closed_at.is_(None), Evaluation.submitted_at < plan.closed_at),
    )
    rows = db.session.execute(
        sa.select(
            TrainingPlanItem.id,
            TrainingPlanItem.focus_kind,
            TrainingPlanItem.focus_key,
            sa.func.avg(sa.case((before, Answer.normalised))),
            sa.func.count(sa.case((before, Answer.normalised))),
            sa.func.avg(sa.case((after, Answer.normalised))),
            sa.func.count(sa.case((after, Answer.normalised))),
        )
        .join(plan, plan.id == TrainingPlanItem.plan_id)
        .join(
            Evaluation,
            sa.and_(
                Evaluation.agent_id == plan.agent_id,
                Evaluation.status.in_(statuses),
                Evaluation.submitted_at >= plan.evidence_from,
            ),
        )
        .join(
            Answer,
            sa.and_(
                Answer.evaluation_id == Evaluation.id,
                Answer.criterion_key == TrainingPlanItem.focus_key,
                Answer.normalised.is_not(None),
            ),
        )
        .where(
            TrainingPlanItem.id.in_(item_ids),
            TrainingPlanItem.focus_kind.in_([FocusKind.CRITERION, FocusKind.CRITICAL]),
            plan.issued_at.is_not(None),
        )
        .group_by(TrainingPlanItem.id, TrainingPlanItem.focus_kind, TrainingPlanItem.focus_key)
    )
    return {
        item_id: Comparison(
            item_id, kind, key, before_mean, before_n or 0, after_mean, after_n or 0
        )
        for item_id, kind, key, before_mean, before_n, after_mean, after_n in rows
    }


def _kpi_comparisons(item_ids: Sequence[int]) -> dict[int, Comparison]:
    plan = TrainingPlan
    windows = {
        "before": AgentDailyStat.day < plan.issued_on,
        "after": AgentDailyStat.day >= plan.issued_on,
    }
    sums = [column for condition in windows.values() for column in kpi_sums(condition)]
    rows = db.session.execute(
        sa.select(TrainingPlanItem.id, TrainingPlanItem.focus_key, *sums)
        .join(plan, plan.id == TrainingPlanItem.plan_id)
        .join(
            AgentDailyStat,
            sa.and_(
                AgentDailyStat.agent_id == plan.agent_id,
                AgentDailyStat.channel == ALL_CHANNELS,
                AgentDailyStat.day >= plan.period_start,
                sa.or_(plan.closed_on.is_(None), AgentDailyStat.day <= plan.closed_on),
            ),
        )
        .where(
            TrainingPlanItem.id.in_(item_ids),
            TrainingPlanItem.focus_kind == FocusKind.KPI,
            plan.issued_on.is_not(None),
        )
        .group_by(TrainingPlanItem.id, TrainingPlanItem.focus_key)
    )
    result = {}
    count = len(SUMMED)
    for item_id, key, *values in rows:
        totals_before = KpiTotals.from_sums(values[:count])
        totals_after = KpiTotals.from_sums(values[count:])
        result[item_id] = Comparison(
            item_id,
            FocusKind.KPI,
            key,
            totals_before.kpi(key),
            totals_before.denominator(key),
            totals_after.kpi(key),
            totals_after.denominator(key),
        )
    return result


def compare_items(
    items: Sequence[TrainingPlanItem], *, statuses: Collection[str]
) -> dict[int, Comparison]:
    """Item id → its focus area before and after, for items of issued plans that answer
    evidence (items added by hand have no focus area, and no comparison); criteria over the
    evaluations of `statuses` (`countable_statuses` of whoever reads the comparison)."""
    ids = [item.id for item in items if item.focus_kind]
    if not ids:
        return {}
    return {**_criterion_comparisons(ids, statuses), **_kpi_comparisons(ids)}
