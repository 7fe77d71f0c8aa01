"""The calibration math (DESIGN.md "Calibration"): pure functions, no database.

Answers are on the scoring math's r scale (0..1, DESIGN.md "Scoring math"); deviations and
the tolerance band are in points of the 0–100 scale. A criterion answered N/A, or not at
all, is missing: left out of a participant's figures and of α's pairs.

Krippendorff's α follows Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011):
the coincidence matrix of all pairable values (units with at least two values), observed
against expected disagreement under the level's difference function. The 95 % interval
resamples units with replacement (a percentile bootstrap) from a fixed seed, so the same
data always give the same interval.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Hashable, Mapping, Sequence
from enum import StrEnum
from itertools import combinations
from typing import TypeVar

from qa_app.stats.evidence import quantile

DEFAULT_TOLERANCE_POINTS = 5.0
DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 20261207

Value = float  # an answer on its level's scale (r for criteria, the score for the overall)
K = TypeVar("K", bound=Hashable)  # a criterion key, or (interaction, key) pairs
Units = Sequence[Sequence[Value | None]]  # one row per unit (interaction), one value per rater


class Level(StrEnum):
    """Krippendorff's levels of measurement: yes/no answers are nominal, scales and points
    ordinal, the overall score interval."""

    NOMINAL = "nominal"
    ORDINAL = "ordinal"
    INTERVAL = "interval"
    RATIO = "ratio"


def deviations(
    answers: Mapping[K, float | None], benchmark: Mapping[K, float | None]
) -> dict[K, float]:
    """Per criterion answered by both: 100 × (r − r_benchmark), in points."""
    return {
        key: 100 * (r - bench)
        for key, r in answers.items()
        if r is not None and (bench := benchmark.get(key)) is not None
    }


def alignment(
    answers: Mapping[K, float | None],
    benchmark: Mapping[K, float | None],
    weights: Mapping[K, float],
) -> float | None:
    """1 − Σ w·|r − r_bench| / Σ w over the criteria answered by both (1 = identical);
    None when they answered no criterion in common."""
    common = deviations(answers, benchmark)
    total = sum(weights[key] for key in common)
    if not common or total == 0:
        return None
    return 1 - sum(weights[key] * abs(points) / 100 for key, points in common.items()) / total


def within_tolerance(
    answers: Mapping[K, float | None],
    benchmark: Mapping[K, float | None],
    tolerance: float = DEFAULT_TOLERANCE_POINTS,
) -> float | None:
    """The share of criteria answered by both whose deviation is at most `tolerance`
    points either way; None when none is answered by both."""
    common = deviations(answers, benchmark)
    if not common:
        return None
    # A hair of slack: 100 × (0.75 − 0.7) is 5.000000000000004 in floating point.
    return sum(abs(points) <= tolerance + 1e-9 for points in common.values()) / len(common)


def consensus(values: Sequence[Value | None], level: Level) -> Value | None:
    """The benchmark without an expert: the most frequent answer for nominal data (None
    on a tie), the median otherwise (the lower of the two middle ones for ordinal data,
    which must stay a value of the scale; their mean for interval data)."""
    present = sorted(v for v in values if v is not None)
    if not present:
        return None
    if level == Level.NOMINAL:
        ranked = Counter(present).most_common()
        if len(ranked) > 1 and ranked[0][1] == ranked[1][1]:
            return None
        return ranked[0][0]
    middle = len(present) // 2
    if len(present) % 2:
        return present[middle]
    if level == Level.ORDINAL:
        return present[middle - 1]
    return (present[middle - 1] + present[middle]) / 2


def percent_agreement(units: Units) -> float | None:
    """The share of pairs of values within a unit (any two raters of one interaction) that
    are equal; None without a pair."""
    agree = pairs = 0
    for unit in units:
        present = [v for v in unit if v is not None]
        for a, b in combinations(present, 2):
            pairs += 1
            agree += a == b
    return agree / pairs if pairs else None


def _coincidences(units: Units) -> dict[tuple[Value, Value], float]:
    """Krippendorff's coincidence matrix o_ck: each ordered pair of values from different
    raters of a unit with m_u ≥ 2 values counts 1/(m_u − 1)."""
    matrix: dict[tuple[Value, Value], float] = defaultdict(float)
    for unit in units:
        present = [v for v in unit if v is not None]
        m = len(present)
        if m < 2:
            continue
        for i, c in enumerate(present):
            for j, k in enumerate(present):
                if i != j:
                    matrix[(c, k)] += 1 / (m - 1)
    return matrix


def _difference(level: Level, totals: Mapping[Value, float]) -> dict[tuple[Value, Value], float]:
    """δ²(c, k) for every pair of the values present, by the level of measurement."""
    values = sorted(totals)
    # Ordinal: the values between c and k, counting c and k by half, from running sums
    # (before[i]: the count of the values below the i-th), so V values cost V², not V³.
    before = [0.0]
    for value in values:
        before.append(before[-1] + totals[value])
    found: dict[tuple[Value, Value], float] = {}
    for i, c in enumerate(values):
        for j, k in enumerate(values):
            if level == Level.NOMINAL:
                found[(c, k)] = 0.0 if c == k else 1.0
            elif level == Level.INTERVAL:
                found[(c, k)] = (c - k) ** 2
            elif level == Level.RATIO:
                found[(c, k)] = ((c - k) / (c + k)) ** 2 if c + k else 0.0
            else:
                low, high = min(i, j), max(i, j)
                between = before[high + 1] - before[low]
                found[(c, k)] = (between - (totals[c] + totals[k]) / 2) ** 2
    return found


def krippendorff_alpha(units: Units, level: Level) -> float | None:
    """α = 1 − (n − 1) · Σ o_ck δ²_ck / Σ n_c n_k δ²_ck over the pairable values; None when
    it is undefined (fewer than two pairable values, or no variation at all to agree on)."""
    return _alpha_of_matrix(_coincidences(units), level)


def _alpha_of_matrix(matrix: Mapping[tuple[Value, Value], float], level: Level) -> float | None:
    """α from a coincidence matrix (see krippendorff_alpha)."""
    totals: dict[Value, float] = defaultdict(float)
    for (c, _k), count in matrix.items():
        totals[c] += count
    n = sum(totals.values())
    if n < 2:
        return None
    delta = _difference(level, totals)
    observed = sum(count * delta[pair] for pair, count in matrix.items())
    expected = sum(totals[c] * totals[k] * delta[(c, k)] for c in totals for k in totals)
    if expected == 0:
        return None
    return 1 - (n - 1) * observed / expected


def _bootstrap_alphas(
    pairable: Sequence[Sequence[Value | None]], level: Level, rng: random.Random, resamples: int
) -> list[float]:
    """α of each of `resamples` draws of the units with replacement (the draws α's
    definition would make: rng.choices of the units), without recounting every unit in
    every draw: each unit's coincidences, or for interval data its sums, are computed once
    and added up with the number of times the draw holds it."""
    indices = range(len(pairable))
    if level == Level.INTERVAL:
        sums = [_interval_sums(unit) for unit in pairable]
        draws = (
            _interval_alpha(Counter(rng.choices(indices, k=len(pairable))), sums)
            for _ in range(resamples)
        )
    else:
        parts = [_coincidences([unit]) for unit in pairable]
        draws = (
            _alpha_of_matrix(
                _weighted(Counter(rng.choices(indices, k=len(pairable))), parts), level
            )
            for _ in range(resamples)
        )
    return [alpha for alpha in draws if alpha is not None]


def _weighted(
    times: Mapping[int, int], parts: Sequence[Mapping[tuple[Value, Value], float]]
) -> dict[tuple[Value, Value], float]:
    matrix: dict[tuple[Value, Value], float] = defaultdict(float)
    for index, count in times.items():
        for pair, weight in parts[index].items():
            matrix[pair] += count * weight
    return matrix


# One unit's share of interval α: m, Σx, Σx², its observed disagreement Σ_{i≠j}(x_i − x_j)²
# / (m − 1) = (2mΣx² − 2(Σx)²) / (m − 1), and its lowest and highest value.
IntervalSums = tuple[int, float, float, float, float, float]


def _interval_sums(unit: Sequence[Value | None]) -> IntervalSums:
    present = [v for v in unit if v is not None]
    m, total, squares = len(present), sum(present), sum(v * v for v in present)
    observed = sum((a - b) ** 2 for a, b in combinations(present, 2)) * 2 / (m - 1)
    return m, total, squares, observed, min(present), max(present)


def _interval_alpha(times: Mapping[int, int], sums: Sequence[IntervalSums]) -> float | None:
    """Interval α of a draw from its units' sums: Σ n_c n_k (c − k)² = 2nΣx² − 2(Σx)²."""
    n = total = squares = observed = 0.0
    low, high = math.inf, -math.inf
    for index, count in times.items():
        m, unit_total, unit_squares, unit_observed, unit_low, unit_high = sums[index]
        n += count * m
        total += count * unit_total
        squares += count * unit_squares
        observed += count * unit_observed
        low, high = min(low, unit_low), max(high, unit_high)
    if n < 2 or low == high:  # no variation at all: α is undefined
        return None
    expected = 2 * n * squares - 2 * total * total
    return 1 - (n - 1) * observed / expected


def alpha_interval(
    units: Units,
    level: Level,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    confidence: float = 0.95,
) -> tuple[float, float] | None:
    """The percentile bootstrap interval of α: `resamples` draws of the units with
    replacement from `seed`; draws where α is undefined are left out. None when fewer
    than half of the draws give an α."""
    pairable = [unit for unit in units if sum(v is not None for v in unit) >= 2]
    if len(pairable) < 2:
        return None
    rng = random.Random(seed)  # noqa: S311 - reproducible resampling, not a secret
    draws = sorted(_bootstrap_alphas(pairable, level, rng, resamples))
    if len(draws) < resamples / 2:
        return None
    tail = (1 - confidence) / 2
    return quantile(draws, tail), quantile(draws, 1 - tail)
