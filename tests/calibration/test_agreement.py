"""The calibration math on fixed data: alignment, the tolerance band, consensus, percent
agreement, and Krippendorff's α against his published worked example and against the
`krippendorff` package on random data with missing values."""

from __future__ import annotations

import math

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_app.calibration.agreement import (
    Level,
    alignment,
    alpha_interval,
    consensus,
    deviations,
    krippendorff_alpha,
    percent_agreement,
    within_tolerance,
)

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the example with four
# observers, twelve units and missing values; one row per unit, observers A to D.
PAPER = [
    [1, 1, None, 1],
    [2, 2, 3, 2],
    [3, 3, 3, 3],
    [3, 3, 3, 3],
    [2, 2, 2, 2],
    [1, 2, 3, 4],
    [4, 4, 4, 4],
    [1, 1, 2, 1],
    [2, 2, 2, 2],
    [None, 5, 5, 5],
    [None, None, 1, 1],
    [None, 3, None, None],
]


def _package(units: list[list[float | None]], level: Level) -> float:
    data = np.array([[np.nan if v is None else v for v in unit] for unit in units], dtype=float)
    with np.errstate(all="ignore"):  # undefined α: the package divides 0 by 0 (nan)
        return float(krippendorff.alpha(reliability_data=data.T, level_of_measurement=str(level)))


@pytest.mark.parametrize(
    ("level", "published"),
    [(Level.NOMINAL, 0.743), (Level.INTERVAL, 0.849), (Level.RATIO, 0.797)],
)
def test_alpha_reproduces_the_published_worked_example(level: Level, published: float) -> None:
    alpha = krippendorff_alpha(PAPER, level)
    assert alpha is not None
    assert round(alpha, 3) == published
    assert alpha == pytest.approx(_package(PAPER, level), abs=1e-9)


def test_ordinal_alpha_of_the_example_equals_the_package() -> None:
    alpha = krippendorff_alpha(PAPER, Level.ORDINAL)
    assert alpha == pytest.approx(_package(PAPER, Level.ORDINAL), abs=1e-9)


UNIT = st.lists(st.none() | st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]), min_size=3, max_size=3)


@settings(max_examples=200, deadline=None)
@given(st.lists(UNIT, min_size=2, max_size=12), st.sampled_from(list(Level)))
def test_alpha_equals_the_package_with_missing_values(
    units: list[list[float | None]], level: Level
) -> None:
    ours = krippendorff_alpha(units, level)
    try:
        theirs = _package(units, level)
    except (ValueError, ZeroDivisionError):  # the package refuses data α is undefined for
        theirs = math.nan
    if ours is None:
        assert math.isnan(theirs) or not math.isfinite(theirs) or _pairable(units) < 2
    else:
        assert ours == pytest.approx(theirs, abs=1e-9)


def _pairable(units: list[list[float | None]]) -> int:
    return sum(1 for unit in units if sum(v is not None for v in unit) >= 2)


def test_alpha_is_undefined_without_pairs_or_variation() -> None:
    assert krippendorff_alpha([[1.0, None], [None, 0.0]], Level.NOMINAL) is None
    assert krippendorff_alpha([[1.0, 1.0], [1.0, 1.0]], Level.NOMINAL) is None
    assert krippendorff_alpha([], Level.INTERVAL) is None


def test_the_bootstrap_interval_is_reproducible_and_holds_alpha() -> None:
    first = alpha_interval(PAPER, Level.INTERVAL, seed=7)
    assert first is not None
    assert first == alpha_interval(PAPER, Level.INTERVAL, seed=7)
    assert first != alpha_interval(PAPER, Level.INTERVAL, seed=8)
    low, high = first
    alpha = krippendorff_alpha(PAPER, Level.INTERVAL)
    assert alpha is not None and low <= alpha <= high <= 1
    assert alpha_interval([[1.0, 1.0]], Level.NOMINAL) is None  # one unit: nothing to resample


def test_deviation_alignment_and_tolerance_against_hand_figures() -> None:
    benchmark = {"greeting": 1.0, "empathy": 0.75, "hold": 0.5, "close": None}
    answers = {"greeting": 0.0, "empathy": 0.7, "hold": 0.5, "close": 1.0, "extra": 1.0}
    weights = {"greeting": 1.0, "empathy": 3.0, "hold": 2.0, "close": 1.0, "extra": 1.0}
    assert deviations(answers, benchmark) == pytest.approx(
        {"greeting": -100.0, "empathy": -5.0, "hold": 0.0}
    )
    # 1 − (1·1 + 3·0.05 + 2·0) / (1 + 3 + 2) = 1 − 1.15/6
    assert alignment(answers, benchmark, weights) == pytest.approx(1 - 1.15 / 6, abs=1e-12)
    assert within_tolerance(answers, benchmark) == pytest.approx(2 / 3)  # 5 points is within
    assert within_tolerance(answers, benchmark, tolerance=4) == pytest.approx(1 / 3)
    assert alignment(answers, answers, weights) == 1
    assert alignment({"a": 1.0}, {"b": 1.0}, {"a": 1.0, "b": 1.0}) is None
    assert within_tolerance({"a": None}, {"a": 1.0}) is None


def test_consensus_is_the_mode_or_the_median() -> None:
    assert consensus([1.0, 1.0, 0.0, None], Level.NOMINAL) == 1.0
    assert consensus([1.0, 0.0], Level.NOMINAL) is None  # a tie: no consensus
    assert consensus([0.25, 1.0, 0.5], Level.ORDINAL) == 0.5
    assert consensus([0.25, 1.0, 0.5, 0.75], Level.ORDINAL) == 0.5  # stays on the scale
    assert consensus([80.0, 90.0], Level.INTERVAL) == 85.0
    assert consensus([None], Level.INTERVAL) is None


def test_percent_agreement_counts_pairs_within_units() -> None:
    # unit 1: three equal values (3 agreeing pairs); unit 2: 1, 1, 0 (1 of 3); unit 3: alone
    units = [[1.0, 1.0, 1.0], [1.0, 1.0, 0.0], [1.0, None, None]]
    assert percent_agreement(units) == pytest.approx(4 / 6)
    assert percent_agreement([[1.0, None]]) is None
