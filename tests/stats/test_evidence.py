"""The evidence statistics on fixed data, against closed forms and SciPy computed here
independently: Welch intervals, the seeded bootstrap, Newcombe's interval, Fisher's z,
Benjamini–Hochberg, the sample-size formula and the words the intervals allow."""

from __future__ import annotations

import math

import pytest
from scipy import stats as scipy_stats

from qa_app.stats.evidence import (
    MIN_N,
    Difference,
    Verdict,
    benjamini_hochberg,
    bootstrap_interval,
    correlation,
    evaluations_needed,
    mean_difference,
    proportion_difference,
    welch_interval,
    wilson_interval,
)

BEFORE = [62.0, 70.0, 55.0, 68.0, 74.0, 60.0, 66.0, 71.0, 58.0, 64.0, 69.0, 63.0]
AFTER = [75.0, 81.0, 70.0, 79.0, 88.0, 72.0, 77.0, 84.0, 73.0, 80.0]


def test_welch_matches_scipys_own_welch_test() -> None:
    low, high = welch_interval(BEFORE, AFTER)
    reference = scipy_stats.ttest_ind(AFTER, BEFORE, equal_var=False).confidence_interval(0.95)
    assert (low, high) == pytest.approx((reference.low, reference.high), abs=1e-9)
    result = mean_difference(BEFORE, AFTER)
    assert result.method == "welch" and result.verdict == Verdict.BETTER
    assert result.estimate == pytest.approx(sum(AFTER) / 10 - sum(BEFORE) / 12, abs=1e-12)


def test_small_samples_use_a_reproducible_bootstrap() -> None:
    before, after = [60.0, 70.0, 65.0, 72.0], [68.0, 75.0, 80.0]
    first = mean_difference(before, after, seed=3)
    assert first.method == "bootstrap"
    assert first == mean_difference(before, after, seed=3)
    wider_before, wider_after = BEFORE[:8], AFTER[:6]  # enough distinct means to differ
    assert bootstrap_interval(wider_before, wider_after, seed=3) != bootstrap_interval(
        wider_before, wider_after, seed=4
    )
    assert bootstrap_interval(before, after, seed=3) == (first.low, first.high)
    assert first.low is not None and first.high is not None
    assert first.low <= first.estimate <= first.high  # type: ignore[operator]


def test_too_few_on_either_side_says_so_and_claims_nothing() -> None:
    result = mean_difference(BEFORE, [80.0] * (MIN_N - 1))
    assert result.verdict == Verdict.TOO_FEW and result.estimate is None
    assert (result.n_before, result.n_after) == (12, MIN_N - 1)


@pytest.mark.parametrize(
    ("low", "high", "verdict"),
    [
        (3.0, 19.0, Verdict.BETTER),
        (-19.0, -3.0, Verdict.WORSE),
        (-8.0, 14.0, Verdict.NO_CLEAR_CHANGE),
        (0.0, 14.0, Verdict.NO_CLEAR_CHANGE),  # an interval touching zero includes it
        (-14.0, 0.0, Verdict.NO_CLEAR_CHANGE),
        (None, None, Verdict.TOO_FEW),
    ],
)
def test_words_follow_the_interval(low: float | None, high: float | None, verdict: Verdict) -> None:
    assert Difference(1.0, low, high, 10, 10, "welch").verdict == verdict


def test_wilson_and_newcombe_against_the_closed_forms() -> None:
    # Newcombe (1998), Table II example: 56/70 vs 48/80 → difference 0.2, 95 % interval
    # 0.0524 to 0.3339 (method 10).
    result = proportion_difference(48, 80, 56, 70)
    assert result.estimate == pytest.approx(0.2)
    assert (result.low, result.high) == pytest.approx((0.0524, 0.3339), abs=5e-5)
    assert result.verdict == Verdict.BETTER
    low, high = wilson_interval(81, 263)  # Wilson's interval as scipy's binomtest gives it
    reference = scipy_stats.binomtest(81, 263).proportion_ci(0.95, method="wilson")
    assert (low, high) == pytest.approx((reference.low, reference.high), abs=1e-12)
    assert proportion_difference(1, 2, 5, 10).verdict == Verdict.TOO_FEW


def test_correlation_with_fisher_interval() -> None:
    x = [55.0, 60.0, 72.0, 80.0, 85.0, 90.0, 64.0, 77.0]
    y = [3.0, 3.5, 4.0, 4.1, 4.6, 4.8, 3.2, 4.4]
    found = correlation(x, y)
    reference = scipy_stats.pearsonr(x, y)
    assert found.r == pytest.approx(reference.statistic, abs=1e-12)
    assert found.p_value == pytest.approx(reference.pvalue, abs=1e-12)
    half = 1.959963984540054 / math.sqrt(len(x) - 3)
    assert found.low == pytest.approx(math.tanh(math.atanh(found.r) - half), abs=1e-12)  # type: ignore[arg-type]
    assert found.high == pytest.approx(math.tanh(math.atanh(found.r) + half), abs=1e-12)  # type: ignore[arg-type]
    assert correlation([1.0, 2.0, 3.0], [1.0, 2.0, 4.0]).r is None  # fewer than 4 pairs
    assert correlation([1.0] * 5, [1.0, 2.0, 3.0, 4.0, 5.0]).r is None  # no variation


def test_benjamini_hochberg_by_hand_and_against_scipy() -> None:
    # m = 6, q = 0.05. Sorted: 0.001, 0.012, 0.02, 0.04, 0.045, 0.9 against k·q/m =
    # 0.0083, 0.0167, 0.025, 0.0333, 0.0417, 0.05: the largest k with p(k) ≤ k·q/m is 3,
    # so the three smallest are flagged and the rest are not.
    p = [0.04, 0.001, 0.9, 0.012, 0.02, 0.045]
    assert benjamini_hochberg(p) == [False, True, False, True, True, False]
    adjusted = scipy_stats.false_discovery_control(p, method="bh")
    assert benjamini_hochberg(p) == [bool(a <= 0.05) for a in adjusted]
    assert benjamini_hochberg([]) == []


@pytest.mark.parametrize(
    ("spread", "half_width"), [(10.0, 5.0), (15.0, 5.0), (8.0, 2.0), (3.0, 5.0)]
)
def test_evaluations_needed_is_the_smallest_n_reaching_the_width(
    spread: float, half_width: float
) -> None:
    n = evaluations_needed(spread, half_width)

    def width(k: int) -> float:
        return float(scipy_stats.t.ppf(0.975, k - 1)) * spread / math.sqrt(k)

    assert width(n) <= half_width
    assert n == 2 or width(n - 1) > half_width
    assert evaluations_needed(0.0, 5.0) == 1
