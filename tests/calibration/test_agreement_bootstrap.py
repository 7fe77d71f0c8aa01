"""The bootstrap interval of α adds each unit's share once instead of recounting every unit
in every draw; it must give the interval of the definition: α of each draw of the units
with replacement (rng.choices from the seed), percentiles 2.5 and 97.5."""

from __future__ import annotations

import random

import pytest

from qa_app.calibration.agreement import Level, alpha_interval, krippendorff_alpha
from qa_app.stats.evidence import quantile


def by_definition(
    units: list[list[float | None]], level: Level, resamples: int, seed: int
) -> tuple[float, float]:
    pairable = [unit for unit in units if sum(v is not None for v in unit) >= 2]
    rng = random.Random(seed)  # noqa: S311 - the same draws as alpha_interval
    draws = sorted(
        alpha
        for _ in range(resamples)
        if (alpha := krippendorff_alpha(rng.choices(pairable, k=len(pairable)), level)) is not None
    )
    return quantile(draws, 0.025), quantile(draws, 0.975)


def random_units(seed: int, values: list[float], size: int = 30) -> list[list[float | None]]:
    rng = random.Random(seed)  # noqa: S311 - test data
    return [
        [None if rng.random() < 0.2 else rng.choice(values) for _rater in range(5)]
        for _unit in range(size)
    ]


@pytest.mark.parametrize(
    ("level", "values"),
    [
        (Level.NOMINAL, [0.0, 1.0]),
        (Level.ORDINAL, [0.0, 0.25, 0.5, 0.75, 1.0]),
        (Level.ORDINAL, [i / 20 for i in range(21)]),  # points out of 20
        (Level.INTERVAL, [round(100 * i / 37, 6) for i in range(38)]),  # overall scores
        (Level.RATIO, [1.0, 2.0, 3.0, 5.0]),
    ],
)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_interval_is_the_definitions(level: Level, values: list[float], seed: int) -> None:
    units = random_units(seed, values)
    found = alpha_interval(units, level, resamples=300, seed=seed)
    assert found is not None
    assert found == pytest.approx(by_definition(units, level, 300, seed), abs=1e-9)


def test_draws_without_variation_are_left_out_as_before() -> None:
    # Two units alike: many draws hold one of them only, where α is undefined.
    units: list[list[float | None]] = [[50.0, 50.0], [50.0, 50.0], [20.0, 80.0]]
    for level in (Level.INTERVAL, Level.NOMINAL):
        assert alpha_interval(units, level, resamples=200, seed=4) == pytest.approx(
            by_definition(units, level, 200, seed=4), abs=1e-9
        )
