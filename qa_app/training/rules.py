"""Which skills an agent should train, from evidence (DESIGN.md "Training plans").

Pure functions: evidence in, ranked focus areas and proposed items out. No database, no
request; `proposals.py` gathers the evidence and turns the result into a draft plan.

A focus area is
- a criterion whose average r is below the threshold (default 0.80) over at least
  `min_answers` (default 2) answers: gap = threshold − average;
- a critical criterion that failed at least once: gap = 1, a complete miss, so that a
  critical failure outranks any shortfall on a criterion of the same weight;
- a KPI whose attainment is below the KPI threshold (default 0.90): gap = threshold − a.
Priority = weight × gap, where weight is the criterion's weight in its scorecard or the
KPI's weight in the KPI index.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext

from qa_app.i18n import format_share
from qa_app.stats.display import kpi_label, kpi_value
from qa_app.training.models import FocusKind

# Among equal priorities: critical failures first, then criteria, then KPIs.
KIND_ORDER = {FocusKind.CRITICAL: 0, FocusKind.CRITERION: 1, FocusKind.KPI: 2}


@dataclass(frozen=True)
class Rules:
    """The thresholds of a proposal (config TRAINING_*)."""

    threshold: float = 0.80
    min_answers: int = 2
    kpi_threshold: float = 0.90
    items: int = 3
    due_days: int = 14


@dataclass(frozen=True)
class CriterionEvidence:
    """An agent's answers on one criterion over the period, and the team's."""

    key: str
    label: str
    weight: float
    modules: tuple[str, ...]
    mean: float | None
    n: int
    team_mean: float | None = None
    team_n: int = 0
    critical: bool = False
    failures: int = 0


@dataclass(frozen=True)
class KpiEvidence:
    """An agent's KPI over the period against its target, and the team's value."""

    key: str
    actual: float | None
    target: float
    attainment: float | None
    weight: float
    modules: tuple[str, ...]
    team_value: float | None = None


@dataclass(frozen=True)
class FocusArea:
    """A gap worth training, with its priority and the evidence in plain words."""

    kind: FocusKind
    key: str
    label: str
    priority: float
    reason: str
    modules: tuple[str, ...]


@dataclass(frozen=True)
class ProposedItem:
    """A module for the plan, the focus area that put it there, and its due date."""

    module: str
    focus: FocusArea
    due_on: date
    also: tuple[FocusArea, ...] = field(default_factory=tuple)

    @property
    def reason(self) -> str:
        """The focus area's evidence, and that of others the same module answers."""
        return " ".join([self.focus.reason, *(area.reason for area in self.also)])


def _criterion_reason(evidence: CriterionEvidence) -> str:
    text = ngettext(
        "%(label)s averaged %(mean)s over %(num)d evaluation",
        "%(label)s averaged %(mean)s over %(num)d evaluations",
        evidence.n,
        label=evidence.label,
        mean=format_share(evidence.mean),
    )
    if evidence.team_n and evidence.team_mean is not None:
        return _("%(text)s; team %(team)s.", text=text, team=format_share(evidence.team_mean))
    return text + "."


def _critical_reason(evidence: CriterionEvidence) -> str:
    return ngettext(
        "%(label)s, a critical criterion, failed in %(failures)d of %(num)d evaluation.",
        "%(label)s, a critical criterion, failed in %(failures)d of %(num)d evaluations.",
        evidence.n,
        label=evidence.label,
        failures=evidence.failures,
    )


def _kpi_reason(evidence: KpiEvidence) -> str:
    text = _(
        "%(kpi)s was %(actual)s against a target of %(target)s (%(share)s of target)",
        kpi=kpi_label(evidence.key),
        actual=kpi_value(evidence.key, evidence.actual),
        target=kpi_value(evidence.key, evidence.target),
        share=format_share(evidence.attainment),
    )
    if evidence.team_value is not None:
        return _(
            "%(text)s; team %(team)s.", text=text, team=kpi_value(evidence.key, evidence.team_value)
        )
    return text + "."


def focus_areas(
    criteria: Sequence[CriterionEvidence], kpis: Sequence[KpiEvidence], rules: Rules
) -> list[FocusArea]:
    """Every focus area in the evidence, highest priority first."""
    areas: list[FocusArea] = []
    for evidence in criteria:
        if evidence.critical and evidence.failures > 0:
            areas.append(
                FocusArea(
                    FocusKind.CRITICAL,
                    evidence.key,
                    evidence.label,
                    evidence.weight * 1.0,
                    _critical_reason(evidence),
                    evidence.modules,
                )
            )
        elif (
            evidence.mean is not None
            and evidence.n >= rules.min_answers
            and evidence.mean < rules.threshold
        ):
            areas.append(
                FocusArea(
                    FocusKind.CRITERION,
                    evidence.key,
                    evidence.label,
                    evidence.weight * (rules.threshold - evidence.mean),
                    _criterion_reason(evidence),
                    evidence.modules,
                )
            )
    for kpi in kpis:
        if kpi.attainment is not None and kpi.attainment < rules.kpi_threshold:
            areas.append(
                FocusArea(
                    FocusKind.KPI,
                    kpi.key,
                    kpi_label(kpi.key),
                    kpi.weight * (rules.kpi_threshold - kpi.attainment),
                    _kpi_reason(kpi),
                    kpi.modules,
                )
            )
    return sorted(areas, key=lambda area: (-area.priority, KIND_ORDER[area.kind], area.label))


def propose_items(
    areas: Sequence[FocusArea], available: Collection[str], rules: Rules, today: date
) -> list[ProposedItem]:
    """The top items: each focus area in priority order brings its first module the plan
    does not hold yet; a focus area whose modules are all taken adds its evidence to the
    item of its first module. Modules outside `available` (not in the catalogue) are
    skipped. Item n is due `due_days` × n days from today, one module at a time."""
    items: list[ProposedItem] = []
    by_module: dict[str, int] = {}
    for area in areas:
        modules = [module for module in area.modules if module in available]
        if not modules:
            continue
        new = next((module for module in modules if module not in by_module), None)
        if new is None:
            index = by_module[modules[0]]
            items[index] = replace(items[index], also=(*items[index].also, area))
            continue
        if len(items) == rules.items:
            continue
        by_module[new] = len(items)
        due = today + timedelta(days=rules.due_days * (len(items) + 1))
        items.append(ProposedItem(new, area, due))
    return items
