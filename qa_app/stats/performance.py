"""Combined performance (DESIGN.md): attainment, KPI index, composite, and QA averages with
their 95% confidence interval. Pure functions: numbers in, numbers out."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

from scipy import stats as scipy_stats

ATTAINMENT_CAP = 1.25
# In the composite each attainment counts up to the target only: beating a KPI target cannot
# buy back quality (the KPI index on its own keeps ATTAINMENT_CAP).
COMPOSITE_ATTAINMENT_CAP = 1.0
DEFAULT_QA_WEIGHT = 60.0
DEFAULT_KPI_WEIGHT = 40.0
DEFAULT_MIN_EVALUATIONS = 3


@dataclass(frozen=True)
class Target:
    """A KPI target with its direction and its weight in the KPI index."""

    value: float
    direction: str  # "higher" or "lower"
    weight: float = 1.0


def attainment(actual: float | None, target: Target) -> float | None:
    """a = actual/target (higher is better) or target/actual (lower), capped to [0, 1.25]."""
    if actual is None or target.value <= 0:
        return None
    if target.direction == "higher":
        ratio = actual / target.value
    elif actual <= 0:
        ratio = ATTAINMENT_CAP  # nothing at all of a lower-is-better KPI: best possible
    else:
        ratio = target.value / actual
    return min(ATTAINMENT_CAP, max(0.0, ratio))


def kpi_index(
    attainments: Mapping[str, float | None], targets: Mapping[str, Target]
) -> float | None:
    """100 × Σ w·a / Σ w over the KPIs that have data (and a target); None when none has."""
    pairs = [
        (targets[key].weight, value)
        for key, value in attainments.items()
        if value is not None and key in targets and targets[key].weight > 0
    ]
    weight = sum(w for w, _ in pairs)
    return None if not weight else 100 * sum(w * a for w, a in pairs) / weight


def composite(
    qa_score: float | None,
    qa_n: int,
    kpi_part: float | None,
    *,
    qa_weight: float = DEFAULT_QA_WEIGHT,
    kpi_weight: float = DEFAULT_KPI_WEIGHT,
    min_evaluations: int = DEFAULT_MIN_EVALUATIONS,
) -> float | None:
    """(W_qa·QA + W_kpi·K)/(W_qa + W_kpi), K from `composite_kpi_part`; None below
    `min_evaluations` scored evaluations or without either part."""
    if qa_score is None or kpi_part is None or qa_n < min_evaluations:
        return None
    return (qa_weight * qa_score + kpi_weight * kpi_part) / (qa_weight + kpi_weight)


def composite_kpi_part(
    attainments: Mapping[str, float | None], targets: Mapping[str, Target]
) -> float | None:
    """K of the composite: the KPI index with each attainment capped at 1.0 instead of 1.25."""
    capped = {
        key: None if value is None else min(value, COMPOSITE_ATTAINMENT_CAP)
        for key, value in attainments.items()
    }
    return kpi_index(capped, targets)


# The flags of a composite (DESIGN.md): shown wherever the composite is, whatever its value.
BELOW_PASS_MARK = "below_pass_mark"  # noqa: S105 - a flag's name, not a password
CRITICAL_FAILURE = "critical_failure"
COMPOSITE_FLAGS = (BELOW_PASS_MARK, CRITICAL_FAILURE)


@dataclass(frozen=True)
class Composite:
    """An agent's composite, its KPI part K and its flags (a subset of COMPOSITE_FLAGS)."""

    value: float | None
    kpi_part: float | None
    flags: tuple[str, ...] = ()


def agent_composite(
    qa: MeanWithInterval,
    attainments: Mapping[str, float | None],
    targets: Mapping[str, Target],
    *,
    pass_mark: float | None,
    critical_failures: int,
    qa_weight: float = DEFAULT_QA_WEIGHT,
    kpi_weight: float = DEFAULT_KPI_WEIGHT,
    min_evaluations: int = DEFAULT_MIN_EVALUATIONS,
) -> Composite:
    """The composite of one agent with its flags: below the pass mark when the QA average is
    below `pass_mark` (the mean pass mark of the scored evaluations' scorecard versions), a
    critical failure when any evaluation of the period auto-failed. Every surface takes the
    composite from here."""
    kpi_part = composite_kpi_part(attainments, targets)
    value = composite(
        qa.mean,
        qa.n,
        kpi_part,
        qa_weight=qa_weight,
        kpi_weight=kpi_weight,
        min_evaluations=min_evaluations,
    )
    flags = []
    if qa.mean is not None and pass_mark is not None and qa.mean < pass_mark:
        flags.append(BELOW_PASS_MARK)
    if critical_failures > 0:
        flags.append(CRITICAL_FAILURE)
    return Composite(value, kpi_part, tuple(flags))


@dataclass(frozen=True)
class MeanWithInterval:
    """A mean with its n and the 95% confidence interval (None below two values)."""

    mean: float | None
    n: int
    low: float | None = None
    high: float | None = None

    @property
    def half_width(self) -> float | None:
        """± of the interval."""
        return None if self.low is None or self.mean is None else self.mean - self.low


def mean_with_interval(
    values: Iterable[float], *, bounds: tuple[float, float] = (0, 100)
) -> MeanWithInterval:
    """Mean ± t(0.975, n−1)·s/√n, clipped to `bounds`, so 2 evaluations never read like 40."""
    data = [float(v) for v in values]
    n = len(data)
    if n == 0:
        return MeanWithInterval(None, 0)
    mean = statistics.fmean(data)
    if n < 2:
        return MeanWithInterval(mean, n)
    return _with_interval(mean, n, statistics.stdev(data), bounds)


def mean_with_interval_from_sums(
    n: int, total: float, squares: float, *, bounds: tuple[float, float] = (0, 100)
) -> MeanWithInterval:
    """The same mean and interval from n, Σx and Σx², as SQL sums them over many rows."""
    if n == 0:
        return MeanWithInterval(None, 0)
    mean = total / n
    spread = stdev_from_sums(n, total, squares)
    if spread is None:
        return MeanWithInterval(mean, n)
    return _with_interval(mean, n, spread, bounds)


def stdev_from_sums(n: int, total: float, squares: float) -> float | None:
    """The sample standard deviation from n, Σx and Σx²; None below two values."""
    if n < 2:
        return None
    # s² = (Σx² − Σx²/n)/(n − 1); rounding can leave a tiny negative for equal values.
    return math.sqrt(max(0.0, (squares - total * total / n) / (n - 1)))


def _with_interval(
    mean: float, n: int, stdev: float, bounds: tuple[float, float]
) -> MeanWithInterval:
    half = t95(n - 1) * stdev / math.sqrt(n)
    low, high = bounds
    return MeanWithInterval(mean, n, max(low, mean - half), min(high, mean + half))


@lru_cache(maxsize=1024)
def t95(degrees_of_freedom: int) -> float:
    """The two-sided 95 % Student t quantile t(0.975, df), from SciPy (cached: dashboards ask
    for the same few degrees of freedom once per agent)."""
    return float(scipy_stats.t.ppf(0.975, degrees_of_freedom))
