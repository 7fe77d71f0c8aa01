"""Statistics that tell the truth (DESIGN.md "Evidence"): differences with their 95 %
intervals and the words that match them, relations between criteria and customer
outcomes, the false discovery rate over many flags, and how many evaluations an interval
of a given width needs. Pure functions on plain numbers, no database; distributions come
from SciPy.

- **Difference of means** (before vs after a plan): Welch's t interval when both sides have
  at least `WELCH_MIN_N` values, else a percentile bootstrap from a fixed seed (the same
  data always give the same interval); none below `MIN_N` on either side ("too few").
- **Difference of ratios of totals** (a KPI before vs after a plan, DESIGN.md "KPI math"):
  Σ numerator / Σ denominator on each side, with a percentile bootstrap over the days.
- **Difference of proportions** (a CSAT-positive rate when a criterion is met vs not):
  Newcombe's hybrid score interval (method 10), built from the two Wilson intervals.
- **Correlation** (QA score vs CSAT or FCR): Pearson's r with the Fisher z interval.
- **Benjamini–Hochberg**: the flags kept at false discovery rate q among many tests.
- **Evaluations needed** for a ±E interval from a spread s: the smallest n with
  t(0.975, n − 1)·s/√n ≤ E.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy
from numpy.typing import NDArray
from scipy import stats as scipy_stats

CONFIDENCE = 0.95
MIN_N = 3  # fewer values on a side: "too few to tell"
WELCH_MIN_N = 10  # from here on Welch's t; below, the bootstrap
BOOTSTRAP_RESAMPLES = 4000
BOOTSTRAP_SEED = 20261207
MAX_EVALUATIONS_NEEDED = 10_000


class Verdict(StrEnum):
    """What a difference's interval allows saying: better or worse only when the whole
    interval is on one side of zero."""

    BETTER = "better"
    WORSE = "worse"
    NO_CLEAR_CHANGE = "no_clear_change"
    TOO_FEW = "too_few"


@dataclass(frozen=True)
class Difference:
    """after − before (or with − without), its interval and the sizes behind it; the
    estimate and interval are None when a side has fewer than `MIN_N` values."""

    estimate: float | None
    low: float | None
    high: float | None
    n_before: int
    n_after: int
    method: str  # "welch", "bootstrap", "newcombe", or "" when too few

    @property
    def verdict(self) -> Verdict:
        """The words the interval allows (DESIGN.md "Evidence")."""
        if self.low is None or self.high is None:
            return Verdict.TOO_FEW
        if self.low > 0:
            return Verdict.BETTER
        if self.high < 0:
            return Verdict.WORSE
        return Verdict.NO_CLEAR_CHANGE


def mean_difference(
    before: Sequence[float],
    after: Sequence[float],
    *,
    confidence: float = CONFIDENCE,
    seed: int = BOOTSTRAP_SEED,
) -> Difference:
    """mean(after) − mean(before) with its interval (Welch, or the seeded bootstrap for
    small samples)."""
    n_before, n_after = len(before), len(after)
    if min(n_before, n_after) < MIN_N:
        return Difference(None, None, None, n_before, n_after, "")
    estimate = statistics.fmean(after) - statistics.fmean(before)
    if min(n_before, n_after) >= WELCH_MIN_N:
        low, high = welch_interval(before, after, confidence)
        return Difference(estimate, low, high, n_before, n_after, "welch")
    low, high = bootstrap_interval(before, after, confidence, seed)
    return Difference(estimate, low, high, n_before, n_after, "bootstrap")


def welch_interval(
    before: Sequence[float], after: Sequence[float], confidence: float = CONFIDENCE
) -> tuple[float, float]:
    """Welch's interval of mean(after) − mean(before): ± t(df)·√(s₁²/n₁ + s₂²/n₂) with the
    Welch–Satterthwaite degrees of freedom (both sides need at least two values)."""
    n1, n2 = len(before), len(after)
    v1, v2 = statistics.variance(before) / n1, statistics.variance(after) / n2
    estimate = statistics.fmean(after) - statistics.fmean(before)
    spread = math.sqrt(v1 + v2)
    if spread == 0:
        return estimate, estimate
    df = (v1 + v2) ** 2 / (v1**2 / (n1 - 1) + v2**2 / (n2 - 1))
    half = float(scipy_stats.t.ppf((1 + confidence) / 2, df)) * spread
    return estimate - half, estimate + half


def bootstrap_interval(
    before: Sequence[float],
    after: Sequence[float],
    confidence: float = CONFIDENCE,
    seed: int = BOOTSTRAP_SEED,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> tuple[float, float]:
    """The percentile bootstrap interval of mean(after) − mean(before): each side resampled
    with replacement `resamples` times from `seed` (NumPy's generator, all draws at once),
    the interval's ends NumPy's quantiles of the differences. Each side is sorted first, so
    the same values in any order (as databases return rows) give the same interval."""
    rng = numpy.random.default_rng(seed)
    draws = _resampled_means(after, resamples, rng) - _resampled_means(before, resamples, rng)
    return _percentile_ends(draws, confidence)


def _resampled_means(
    values: Sequence[float], resamples: int, rng: numpy.random.Generator
) -> NDArray[numpy.float64]:
    data = numpy.sort(numpy.asarray(values, dtype=numpy.float64))
    picks = rng.integers(0, len(data), size=(resamples, len(data)))
    means: NDArray[numpy.float64] = data[picks].mean(axis=1)
    return means


def _percentile_ends(draws: NDArray[numpy.float64], confidence: float) -> tuple[float, float]:
    tail = (1 - confidence) / 2
    low, high = numpy.quantile(draws, [tail, 1 - tail])
    return float(low), float(high)


def ratio_difference(
    before: Sequence[tuple[float, float]],
    after: Sequence[tuple[float, float]],
    *,
    confidence: float = CONFIDENCE,
    seed: int = BOOTSTRAP_SEED,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> Difference:
    """Σ numerator / Σ denominator after − the same before, where each pair is one day's (or
    one agent-day's) numerator and denominator (> 0) of a KPI: the ratio of totals, never a
    mean of daily ratios. The interval is a percentile bootstrap over the days, each side's
    days resampled with replacement from `seed`; none below `MIN_N` days on either side."""
    n_before, n_after = len(before), len(after)
    if min(n_before, n_after) < MIN_N:
        return Difference(None, None, None, n_before, n_after, "")
    estimate = _ratio_of_totals(after) - _ratio_of_totals(before)
    rng = numpy.random.default_rng(seed)
    draws = _resampled_ratios(after, resamples, rng) - _resampled_ratios(before, resamples, rng)
    low, high = _percentile_ends(draws, confidence)
    return Difference(estimate, low, high, n_before, n_after, "bootstrap")


def _ratio_of_totals(pairs: Sequence[tuple[float, float]]) -> float:
    return sum(numerator for numerator, _ in pairs) / sum(denominator for _, denominator in pairs)


def _resampled_ratios(
    pairs: Sequence[tuple[float, float]], resamples: int, rng: numpy.random.Generator
) -> NDArray[numpy.float64]:
    data = numpy.asarray(sorted(pairs), dtype=numpy.float64)  # any order: the same interval
    picks = rng.integers(0, len(data), size=(resamples, len(data)))
    ratios: NDArray[numpy.float64] = data[picks, 0].sum(axis=1) / data[picks, 1].sum(axis=1)
    return ratios


def quantile(ordered: Sequence[float], q: float) -> float:
    """The q-quantile of sorted values, linear between ranks (numpy's default)."""
    position = q * (len(ordered) - 1)
    below = int(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (ordered[above] - ordered[below]) * (position - below)


def wilson_interval(successes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson's score interval of a proportion (n ≥ 1)."""
    z = float(scipy_stats.norm.ppf((1 + confidence) / 2))
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def proportion_difference(
    successes_without: int,
    n_without: int,
    successes_with: int,
    n_with: int,
    *,
    confidence: float = CONFIDENCE,
) -> Difference:
    """p_with − p_without with Newcombe's hybrid score interval (Newcombe 1998, method 10):
    from the Wilson intervals (l₁, u₁) of p_with and (l₂, u₂) of p_without,
    low = d − √((p₁ − l₁)² + (u₂ − p₂)²), high = d + √((u₁ − p₁)² + (p₂ − l₂)²)."""
    if min(n_without, n_with) < MIN_N:
        return Difference(None, None, None, n_without, n_with, "")
    p1, p2 = successes_with / n_with, successes_without / n_without
    l1, u1 = wilson_interval(successes_with, n_with, confidence)
    l2, u2 = wilson_interval(successes_without, n_without, confidence)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return Difference(d, low, high, n_without, n_with, "newcombe")


@dataclass(frozen=True)
class Correlation:
    """Pearson's r, its Fisher z interval and p-value, over n pairs; None below 4 pairs or
    without variation."""

    r: float | None
    low: float | None
    high: float | None
    p_value: float | None
    n: int


def correlation(
    x: Sequence[float], y: Sequence[float], confidence: float = CONFIDENCE
) -> Correlation:
    """Pearson's r of paired values with the interval tanh(atanh r ± z/√(n − 3))."""
    n = len(x)
    if n < 4 or len(set(x)) < 2 or len(set(y)) < 2:
        return Correlation(None, None, None, None, n)
    result = scipy_stats.pearsonr(x, y)
    r = float(result.statistic)
    z = float(scipy_stats.norm.ppf((1 + confidence) / 2))
    if abs(r) >= 1:
        return Correlation(r, r, r, float(result.pvalue), n)
    centre, half = math.atanh(r), z / math.sqrt(n - 3)
    return Correlation(
        r, math.tanh(centre - half), math.tanh(centre + half), float(result.pvalue), n
    )


def benjamini_hochberg(p_values: Sequence[float], q: float = 0.05) -> list[bool]:
    """Which of the tests to flag at false discovery rate `q`: with the p-values in
    ascending order p₍₁₎ ≤ … ≤ p₍ₘ₎, the largest k with p₍ₖ₎ ≤ k·q/m and every test up to it."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    cut = 0
    for rank, index in enumerate(order, start=1):
        if p_values[index] <= rank * q / m:
            cut = rank
    flagged = set(order[:cut])
    return [i in flagged for i in range(m)]


def evaluations_needed(spread: float, half_width: float, confidence: float = CONFIDENCE) -> int:
    """The smallest n ≥ 2 with t((1 + confidence)/2, n − 1)·spread/√n ≤ half_width
    (`MAX_EVALUATIONS_NEEDED` at most); 1 when there is no spread."""
    if spread <= 0:
        return 1
    upper = (1 + confidence) / 2
    # t > z, so no n below the normal approximation's can do: start there and step up.
    z = float(scipy_stats.norm.ppf(upper))
    n = max(2, math.ceil((z * spread / half_width) ** 2))
    while n < MAX_EVALUATIONS_NEEDED:
        if float(scipy_stats.t.ppf(upper, n - 1)) * spread / math.sqrt(n) <= half_width:
            return n
        n += 1
    return MAX_EVALUATIONS_NEEDED
