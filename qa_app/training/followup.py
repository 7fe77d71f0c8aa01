"""Did coaching work? Each focus area of an issued plan before and after the plan: the change
with its 95 % interval and the words that match it, for each plan's item and pooled per
focus area over many plans (the team view).

The periods are qa_app.training.effects.follow_up_window's: equally long on each side of
the issue. A criterion (or critical criterion) compares its non-N/A answers, each
evaluation one value r × 100 ("points"), by qa_app.stats.evidence.mean_difference. A KPI
compares its ratio of summed totals (DESIGN.md "KPI math"), each day with figures one
(numerator, denominator) pair, by evidence.ratio_difference: the change is in the KPI's
own unit. Pooling takes every answer (or agent-day) of the agents whose plan had the focus
area, each once per side. Two queries for any number of items: criteria, then KPIs.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Collection, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa

from qa_app.evaluations.models import Answer, Evaluation
from qa_app.extensions import db
from qa_app.stats.evidence import mean_difference, ratio_difference
from qa_app.stats.kpis import KPI_BY_KEY, KpiTotals, kpi_sums
from qa_app.stats.models import ALL_CHANNELS, AgentDailyStat
from qa_app.training.effects import (
    KPI_UNITS,
    POINTS,
    FollowUpWindow,
    ShownEffect,
    effect_words,
    follow_up_window,
    shown_effect,
)
from qa_app.training.models import FocusKind, TrainingPlan, TrainingPlanItem

CRITERION_KINDS = (FocusKind.CRITERION, FocusKind.CRITICAL)
Pair = tuple[float, float]  # a KPI's numerator and denominator over one day


@dataclass(frozen=True)
class Comparison:
    """One focus area before and after: the level on each side (a criterion's mean r, or the
    KPI's value) and the change as shown, with its verdict and n."""

    kind: str
    key: str
    before: float | None
    after: float | None
    effect: ShownEffect

    @property
    def before_n(self) -> int:
        """Answers (criteria) or days with figures (KPIs) before the plan."""
        return self.effect.n_before

    @property
    def after_n(self) -> int:
        """Answers (criteria) or days with figures (KPIs) after the plan."""
        return self.effect.n_after

    @property
    def verdict(self) -> str:
        """better, worse, no_clear_change or too_few (qa_app.stats.evidence.Verdict)."""
        return self.effect.verdict

    @property
    def words(self) -> str:
        """The verdict in plain words with its figures, in the reader's language."""
        return effect_words(self.effect)


@dataclass
class _Observations:
    """What one item's focus area gave on each side, keyed so that pooling counts each
    answer (or agent-day) once."""

    kind: str
    key: str
    before: dict[Hashable, float | Pair] = field(default_factory=dict)
    after: dict[Hashable, float | Pair] = field(default_factory=dict)


@dataclass(frozen=True)
class PooledComparison:
    """A focus area over many plans: how many plans had it, and the pooled comparison."""

    kind: str
    key: str
    label: str
    plans: int
    comparison: Comparison


@dataclass(frozen=True)
class FollowUp:
    """Every item's comparison (by item id) and the focus areas pooled over the items."""

    by_item: dict[int, Comparison]
    pooled: list[PooledComparison]


def _windows(
    items: Sequence[TrainingPlanItem], *, now: datetime, today: date, days: int
) -> dict[int, FollowUpWindow]:
    windows = {}
    for item in items:
        plan = item.plan
        if plan.issued_at is not None and plan.issued_on is not None:
            windows[plan.id] = follow_up_window(
                plan.issued_at, plan.issued_on, now=now, today=today, days=days
            )
    return windows


def _within(
    windows: dict[int, FollowUpWindow],
    bounds: Callable[[FollowUpWindow], tuple[sa.ColumnElement[bool], ...] | None],
) -> sa.ColumnElement[bool]:
    """Rows of any plan inside that plan's periods: `bounds` gives a window's conditions,
    or None for a window of no time (a plan issued just now)."""
    conditions = []
    for plan_id, window in windows.items():
        found = bounds(window)
        if found is not None:
            conditions.append(sa.and_(TrainingPlan.id == plan_id, *found))
    return sa.or_(*conditions, sa.false())


def _criterion_observations(
    items: Sequence[TrainingPlanItem],
    windows: dict[int, FollowUpWindow],
    statuses: Collection[str],
) -> dict[int, _Observations]:
    wanted = [i for i in items if i.focus_kind in CRITERION_KINDS and i.plan_id in windows]
    if not wanted:
        return {}
    plan = TrainingPlan
    in_window = _within(
        windows,
        lambda window: (
            (
                Evaluation.submitted_at >= window.before_from,
                Evaluation.submitted_at < window.after_until,
            )
            if window.length
            else None
        ),
    )
    rows = db.session.execute(
        sa.select(TrainingPlanItem.id, Answer.id, Evaluation.submitted_at, Answer.normalised)
        .join(plan, plan.id == TrainingPlanItem.plan_id)
        .join(
            Evaluation,
            sa.and_(Evaluation.agent_id == plan.agent_id, Evaluation.status.in_(statuses)),
        )
        .join(
            Answer,
            sa.and_(
                Answer.evaluation_id == Evaluation.id,
                Answer.criterion_key == TrainingPlanItem.focus_key,
                Answer.normalised.is_not(None),
            ),
        )
        .where(TrainingPlanItem.id.in_([i.id for i in wanted]), in_window)
    )
    found = {i.id: _Observations(str(i.focus_kind), str(i.focus_key)) for i in wanted}
    issued = {i.id: windows[i.plan_id].issued_at for i in wanted}
    for item_id, answer_id, submitted_at, normalised in rows:
        if submitted_at is None or normalised is None:  # excluded by the query's conditions
            continue
        observations = found[item_id]
        side = observations.after if submitted_at >= issued[item_id] else observations.before
        side[answer_id] = float(normalised)
    return found


def _kpi_pair(totals: KpiTotals, key: str) -> Pair | None:
    """One day's KPI as (numerator, denominator): their ratio is the KPI (KpiTotals)."""
    value = totals.kpi(key)
    denominator = {
        "aht_seconds": totals.timed_contacts or 0,
        "contacts_per_hour": totals.logged_in_seconds / 3600,
        "csat_pct": totals.csat_responses,
        "nps": totals.nps_responses,
        "fcr_pct": totals.fcr_eligible,
    }[key]
    if value is None or denominator <= 0:
        return None
    return value * denominator, float(denominator)


def _kpi_observations(
    items: Sequence[TrainingPlanItem], windows: dict[int, FollowUpWindow]
) -> dict[int, _Observations]:
    wanted = [
        i
        for i in items
        if i.focus_kind == FocusKind.KPI and i.focus_key in KPI_BY_KEY and i.plan_id in windows
    ]
    if not wanted:
        return {}
    plan = TrainingPlan
    in_window = _within(
        windows,
        lambda window: (
            (AgentDailyStat.day >= window.first_day, AgentDailyStat.day < window.end_day)
            if window.days
            else None
        ),
    )
    rows = db.session.execute(
        sa.select(TrainingPlanItem.id, plan.agent_id, AgentDailyStat.day, *kpi_sums())
        .join(plan, plan.id == TrainingPlanItem.plan_id)
        .join(
            AgentDailyStat,
            sa.and_(
                AgentDailyStat.agent_id == plan.agent_id,
                AgentDailyStat.channel == ALL_CHANNELS,
            ),
        )
        .where(TrainingPlanItem.id.in_([i.id for i in wanted]), in_window)
        .group_by(TrainingPlanItem.id, plan.agent_id, AgentDailyStat.day)
    )
    found = {i.id: _Observations(FocusKind.KPI, str(i.focus_key)) for i in wanted}
    issued = {i.id: windows[i.plan_id].issued_on for i in wanted}
    for item_id, agent_id, day, *sums in rows:
        observations = found[item_id]
        pair = _kpi_pair(KpiTotals.from_sums(sums), observations.key)
        if pair is not None:
            side = observations.after if day >= issued[item_id] else observations.before
            side[(agent_id, day)] = pair
    return found


def _compare(
    kind: str, key: str, before: list[float | Pair], after: list[float | Pair]
) -> Comparison:
    if kind == FocusKind.KPI:
        before_pairs = [p for p in before if isinstance(p, tuple)]
        after_pairs = [p for p in after if isinstance(p, tuple)]
        difference = ratio_difference(before_pairs, after_pairs)
        effect = shown_effect(
            difference, KPI_UNITS[key], lower_is_better=KPI_BY_KEY[key].direction == "lower"
        )
        return Comparison(kind, key, _ratio(before_pairs), _ratio(after_pairs), effect)
    before_r = [float(v) for v in before if not isinstance(v, tuple)]
    after_r = [float(v) for v in after if not isinstance(v, tuple)]
    difference = mean_difference([100 * r for r in before_r], [100 * r for r in after_r])
    return Comparison(kind, key, _mean(before_r), _mean(after_r), shown_effect(difference, POINTS))


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _ratio(pairs: list[Pair]) -> float | None:
    denominator = sum(d for _, d in pairs)
    return sum(n for n, _ in pairs) / denominator if denominator else None


def follow_up(
    items: Sequence[TrainingPlanItem],
    *,
    statuses: Collection[str],
    now: datetime,
    today: date,
    days: int,
) -> FollowUp:
    """Each item's focus area before and after its plan (items of issued plans that answer
    evidence; items added by hand have no focus area and no comparison), and the focus areas
    pooled over all of them. Criteria count the evaluations of `statuses`
    (`countable_statuses` of whoever reads the comparison); `days` on each side."""
    items = [item for item in items if item.focus_kind and item.focus_key]
    windows = _windows(items, now=now, today=today, days=days)
    observations = {
        **_criterion_observations(items, windows, statuses),
        **_kpi_observations(items, windows),
    }
    by_item = {
        item_id: _compare(
            found.kind, found.key, list(found.before.values()), list(found.after.values())
        )
        for item_id, found in observations.items()
    }
    pooled: dict[tuple[str, str], tuple[str, set[int], _Observations]] = {}
    for item in items:
        found = observations.get(item.id)
        if found is None:
            continue
        label = item.focus_label or found.key
        _label, plan_ids, together = pooled.setdefault(
            (found.kind, found.key), (label, set(), _Observations(found.kind, found.key))
        )
        plan_ids.add(item.plan_id)
        together.before.update(found.before)
        together.after.update(found.after)
    rows = [
        PooledComparison(
            kind,
            key,
            label,
            len(plan_ids),
            _compare(kind, key, list(together.before.values()), list(together.after.values())),
        )
        for (kind, key), (label, plan_ids, together) in pooled.items()
    ]
    rows.sort(key=lambda row: (-row.plans, row.label.casefold()))
    return FollowUp(by_item, rows)


def compare_items(
    items: Sequence[TrainingPlanItem],
    *,
    statuses: Collection[str],
    now: datetime,
    today: date,
    days: int,
) -> dict[int, Comparison]:
    """Item id → its focus area before and after (see `follow_up`)."""
    return follow_up(items, statuses=statuses, now=now, today=today, days=days).by_item
