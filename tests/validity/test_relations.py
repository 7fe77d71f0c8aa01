"""Criterion validity's pure functions, checked against closed forms and SciPy computed here
independently: Newcombe's interval, Fisher's p-value, Benjamini–Hochberg over the relations
shown at once, the flags' thresholds, and the correlations per team."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from qa_app.stats.evidence import Difference
from qa_app.validity.relations import (
    MET_FROM,
    NO_RELATION_WITHIN,
    AnswerOutcome,
    EvaluationOutcome,
    Flag,
    Outcome,
    correlations_by_team,
    criterion_relations,
    fisher_p_value,
    flag_of,
    is_met,
)

Z = 1.959963984540054


def wilson(successes: int, n: int) -> tuple[float, float]:
    p = successes / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return centre - half, centre + half


def answers(key: str, met: tuple[int, int], not_met: tuple[int, int]) -> list[AnswerOutcome]:
    """`met` = (positive, n) over answers r = 1, `not_met` over answers r = 0 (CSAT only)."""
    rows = []
    for r, (positive, n) in ((1.0, met), (0.0, not_met)):
        for index in range(n):
            rows.append(AnswerOutcome(1, key, r, {Outcome.CSAT_POSITIVE: index < positive}))
    return rows


def test_met_means_r_from_three_quarters() -> None:
    # yes, 4 and 5 of 1..5 (r = 0.75, 1), 3 of 3 points; not 3 of 1..5 (r = 0.5).
    assert MET_FROM == 0.75
    assert [is_met(r) for r in (1.0, 0.75, 0.5, 2 / 3, 0.0)] == [True, True, False, False, False]


def test_a_relation_is_the_difference_of_rates_with_newcombes_interval_and_fishers_p() -> None:
    (relation,) = criterion_relations(answers("empathy", (40, 50), (15, 30)))
    assert (relation.met_positive, relation.met_n) == (40, 50)
    assert (relation.not_met_positive, relation.not_met_n) == (15, 30)
    p1, p2 = 40 / 50, 15 / 30
    l1, u1 = wilson(40, 50)
    l2, u2 = wilson(15, 30)
    assert relation.difference.estimate == pytest.approx(p1 - p2)
    assert relation.difference.low == pytest.approx(p1 - p2 - math.hypot(p1 - l1, u2 - p2))
    assert relation.difference.high == pytest.approx(p1 - p2 + math.hypot(u1 - p1, p2 - l2))
    # Fisher's exact two-sided p: the hypergeometric probabilities no likelier than the table's.
    table = stats.hypergeom(80, 55, 50)
    observed = table.pmf(40)
    expected = sum(table.pmf(k) for k in range(5, 51) if table.pmf(k) <= observed * (1 + 1e-7))
    assert relation.p_value == pytest.approx(expected, rel=1e-6)
    assert relation.flag == Flag.CLEAR


def test_unknown_outcomes_and_other_outcomes_count_on_no_side() -> None:
    unknown_csat = {Outcome.CSAT_POSITIVE: None, Outcome.REPEAT_CONTACT: True}
    rows = [
        AnswerOutcome(1, "greeting", 1.0, unknown_csat),
        AnswerOutcome(1, "greeting", 0.0, {Outcome.REPEAT_CONTACT: False}),
    ]
    (repeat,) = criterion_relations(rows)
    assert repeat.outcome == Outcome.REPEAT_CONTACT
    assert (repeat.met_positive, repeat.met_n, repeat.not_met_positive, repeat.not_met_n) == (
        1, 1, 0, 1,
    )  # fmt: skip
    assert repeat.p_value is None and repeat.flag == Flag.TOO_LITTLE


def test_benjamini_hochberg_runs_over_every_relation_shown_at_once() -> None:
    # Alone, "b" (p ≈ 0.03) would be clear at 5 %; beside four relations without any
    # difference, BH keeps only the strong one: p(b) > 2 · 0.05 / 5.
    rows = answers("a", (45, 50), (10, 50)) + answers("b", (30, 50), (18, 50))
    for key in ("c", "d", "e"):
        rows += answers(key, (25, 50), (25, 50))
    relations = {r.criterion_key: r for r in criterion_relations(rows)}
    p_b = relations["b"].p_value
    assert p_b is not None and 0.02 < p_b < 0.05
    assert relations["b"].difference.low is not None and relations["b"].difference.low > 0
    assert relations["a"].flag == Flag.CLEAR
    assert relations["b"].flag == Flag.TOO_LITTLE
    (alone,) = criterion_relations(answers("b", (30, 50), (18, 50)))
    assert alone.flag == Flag.CLEAR


@pytest.mark.parametrize(
    ("low", "high", "kept", "flag"),
    [
        (0.02, 0.30, True, Flag.CLEAR),
        (-0.30, -0.02, True, Flag.CLEAR),
        (0.02, 0.30, False, Flag.TOO_LITTLE),  # kept by no correction: not "clear"
        (-0.01, 0.30, True, Flag.TOO_LITTLE),  # an interval over zero is never "clear"
        (-NO_RELATION_WITHIN, NO_RELATION_WITHIN, False, Flag.NONE),
        (-0.05, 0.16, False, Flag.TOO_LITTLE),  # too wide to rule out a relation
        (None, None, False, Flag.TOO_LITTLE),
    ],
)
def test_flags_follow_the_interval(
    low: float | None, high: float | None, kept: bool, flag: Flag
) -> None:
    estimate = None if low is None or high is None else (low + high) / 2
    assert flag_of(Difference(estimate, low, high, 50, 50, "newcombe"), kept) == flag


def test_no_relation_over_enough_data_and_too_little_data() -> None:
    relations = {
        r.criterion_key: r
        for r in criterion_relations(
            answers("closing", (300, 400), (296, 400)) + answers("notes", (3, 4), (2, 4))
        )
    }
    assert relations["closing"].flag == Flag.NONE
    assert relations["notes"].flag == Flag.TOO_LITTLE
    assert fisher_p_value(3, 4, 2, 4) == pytest.approx(1.0)


def test_correlations_per_team_match_pearson_with_the_fisher_z_interval() -> None:
    scores = [55.0, 62, 70, 71, 80, 85, 90, 95]
    csat = [1.0, 2, 2, 3, 4, 4, 5, 5]
    positive = [False, False, False, True, True, False, True, True]
    rows = [
        EvaluationOutcome(7, s, c, p, None) for s, c, p in zip(scores, csat, positive, strict=True)
    ] + [EvaluationOutcome(8, 60.0, None, True, True)]
    teams, overall = correlations_by_team(rows)
    team = next(t for t in teams if t.team_id == 7)
    r, p = stats.pearsonr(scores, csat)
    half = Z / math.sqrt(len(scores) - 3)
    assert team.csat_score.r == pytest.approx(r)
    assert team.csat_score.p_value == pytest.approx(p)
    assert team.csat_score.low == pytest.approx(math.tanh(math.atanh(r) - half))
    assert team.csat_score.high == pytest.approx(math.tanh(math.atanh(r) + half))
    assert team.csat_positive.r == pytest.approx(stats.pearsonr(scores, positive).statistic)
    assert team.resolved_first_contact.r is None and team.resolved_first_contact.n == 0
    assert team.evaluations == 8 and overall.evaluations == 9 and overall.team_id is None
    assert overall.csat_positive.n == 9 and overall.csat_score.n == 8
