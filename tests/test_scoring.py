"""The scoring engine against DESIGN.md "Scoring math": worked examples, errors, properties.

Pure unit tests: no app, no database. Every expected number is worked out by hand in a
comment next to it, so a reader can check the rule rather than trust the code.
"""

from __future__ import annotations

import math
import tomllib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_app.scoring import (
    DEFAULT_PASS_MARK,
    AnswerError,
    EvaluationScore,
    SectionScore,
    criterion_bounds,
    criterion_weight,
    iter_criteria,
    normalise,
    score_evaluation,
)

# --- builders -------------------------------------------------------------------------


def yes_no(key: str, **extra: Any) -> dict[str, Any]:
    return {"key": key, "label": key.title(), "guidance": "", "kind": "yes_no", **extra}


def scale(key: str, **extra: Any) -> dict[str, Any]:
    return {"key": key, "label": key.title(), "guidance": "", "kind": "scale", **extra}


def points(key: str, top: int | float, **extra: Any) -> dict[str, Any]:
    return {
        "key": key,
        "label": key.title(),
        "guidance": "",
        "kind": "points",
        "max": top,
        **extra,
    }


def section(title: str, *criteria: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"title": title, "criteria": list(criteria), **extra}


def card(*sections: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": "Test card",
        "slug": "test-card",
        "channels": ["phone"],
        "sections": list(sections),
        **extra,
    }


# --- worked examples ------------------------------------------------------------------


def test_weighted_criteria_in_one_section() -> None:
    definition = card(
        section("Call", yes_no("a", weight=3), yes_no("b"), scale("c", weight=2)),
    )
    result = score_evaluation(definition, {"a": True, "b": False, "c": 4})
    # r: a = 1, b = 0, c = (4 - 1) / (5 - 1) = 0.75
    # S = (3·1 + 1·0 + 2·0.75) / (3 + 1 + 2) = 4.5 / 6 = 0.75 → 75
    assert result.score == pytest.approx(75.0)
    assert result.raw_score == pytest.approx(75.0)
    assert result.sections == (SectionScore(title="Call", score=75.0, weight=6.0),)
    assert dict(result.normalised) == {"a": 1.0, "b": 0.0, "c": 0.75}
    assert result.passed is False  # 75 < default 80
    assert result.auto_failed is False
    assert result.failed_criteria == ()


def test_sections_without_weights_are_the_weighted_mean_over_criteria() -> None:
    definition = card(
        section("Opening", yes_no("a"), yes_no("b"), yes_no("c")),
        section("Closing", yes_no("d")),
    )
    result = score_evaluation(definition, {"a": True, "b": False, "c": False, "d": True})
    # Opening S = 1/3 with W = 3, Closing S = 1 with W = 1.
    # (3·1/3 + 1·1) / (3 + 1) = 2 / 4 → 50 — the same as 2 yes out of 4 criteria.
    # (A plain mean of the section scores would give (33.3 + 100) / 2 = 66.7.)
    assert result.score == pytest.approx(50.0)
    assert [s.weight for s in result.sections] == [3.0, 1.0]
    assert result.sections[0].score == pytest.approx(100 / 3)
    assert result.sections[1].score == pytest.approx(100.0)


def test_criterion_weights_feed_the_section_weight_when_sections_have_none() -> None:
    definition = card(
        section("Opening", yes_no("a", weight=4)),
        section("Closing", yes_no("b")),
    )
    result = score_evaluation(definition, {"a": False, "b": True})
    # Opening S = 0, W = 4; Closing S = 1, W = 1 → (0 + 1) / 5 → 20
    assert result.score == pytest.approx(20.0)


def test_sections_with_weights() -> None:
    definition = card(
        section("Soft skills", yes_no("a"), yes_no("b"), weight=1),
        section("Resolution", scale("c"), points("d", 4), weight=3),
    )
    result = score_evaluation(definition, {"a": True, "b": False, "c": 5, "d": 2})
    # Soft skills S = (1 + 0) / 2 = 0.5, W = 1
    # Resolution S = (1 + 2/4) / 2 = 0.75, W = 3
    # (1·0.5 + 3·0.75) / (1 + 3) = 2.75 / 4 = 0.6875 → 68.75
    assert result.score == pytest.approx(68.75)
    assert result.sections == (
        SectionScore(title="Soft skills", score=50.0, weight=1.0),
        SectionScore(title="Resolution", score=75.0, weight=3.0),
    )


def test_mixed_weighted_and_unweighted_sections_follow_the_rule_literally() -> None:
    definition = card(
        section("Weighted", yes_no("a"), yes_no("b"), weight=2),
        section("Unweighted", yes_no("c", weight=3), yes_no("d")),
    )
    result = score_evaluation(definition, {"a": True, "b": False, "c": True, "d": False})
    # Weighted: S = 0.5, W = its weight 2.
    # Unweighted: S = (3·1 + 1·0) / 4 = 0.75, W = Σw = 4.
    # (2·0.5 + 4·0.75) / (2 + 4) = 4 / 6 → 66.666…
    assert result.score == pytest.approx(200 / 3)
    assert [s.weight for s in result.sections] == [2.0, 4.0]


def test_na_drops_out_of_numerator_and_denominator() -> None:
    definition = card(section("Call", yes_no("a"), yes_no("b", na_allowed=True), yes_no("c")))
    result = score_evaluation(definition, {"a": True, "b": None, "c": False})
    # (1 + 0) / 2 → 50; N/A as "no" would give 33.3, as "yes" 66.7.
    assert result.score == pytest.approx(50.0)
    assert result.sections[0].weight == 2.0
    assert result.normalised["b"] is None


def test_a_section_that_is_entirely_na_leaves_the_sum() -> None:
    definition = card(
        section("A", yes_no("a"), yes_no("b", na_allowed=True), yes_no("c"), weight=1),
        section(
            "B",
            yes_no("d", na_allowed=True),
            scale("e", na_allowed=True),
            weight=3,
        ),
        section("C", yes_no("f"), weight=1),
    )
    answers = {"a": True, "b": None, "c": False, "d": None, "e": None, "f": True}
    result = score_evaluation(definition, answers)
    # A: S = 0.5, W = 1. B: no answer, left out (W = 3 does not count). C: S = 1, W = 1.
    # (0.5 + 1) / 2 → 75; counting B as 0 would give 1.5 / 5 → 30.
    assert result.score == pytest.approx(75.0)
    assert result.sections[1] == SectionScore(title="B", score=None, weight=None)


def test_a_wholly_na_section_leaves_the_criterion_mean_too() -> None:
    definition = card(
        section("A", yes_no("a"), yes_no("b")),
        section("B", yes_no("c", na_allowed=True)),
    )
    result = score_evaluation(definition, {"a": True, "b": True, "c": None})
    # Only A counts: 2 / 2 → 100.
    assert result.score == pytest.approx(100.0)
    assert result.passed is True


def test_all_na_gives_no_score_at_all() -> None:
    definition = card(
        section("A", yes_no("a", na_allowed=True), scale("b", na_allowed=True), weight=2),
        section("B", points("c", 5, na_allowed=True, critical=True)),
    )
    result = score_evaluation(definition, {"a": None, "b": None, "c": None})
    assert result == EvaluationScore(
        score=None,
        raw_score=None,
        auto_failed=False,
        passed=None,
        pass_mark=80.0,
        sections=(
            SectionScore(title="A", score=None, weight=None),
            SectionScore(title="B", score=None, weight=None),
        ),
        failed_criteria=(),
        normalised={"a": None, "b": None, "c": None},
    )


def test_critical_no_auto_fails_and_keeps_the_raw_score() -> None:
    definition = card(
        section(
            "Compliance",
            yes_no("id_check", critical=True),
            *(yes_no(f"q{i}") for i in range(9)),
        )
    )
    answers: dict[str, object] = {"id_check": False, **{f"q{i}": True for i in range(9)}}
    result = score_evaluation(definition, answers)
    # Raw: 9 yes of 10 → 90, above the pass mark; the failed critical forces 0.
    assert result.raw_score == pytest.approx(90.0)
    assert result.score == 0.0
    assert result.auto_failed is True
    assert result.passed is False
    assert result.failed_criteria == ("id_check",)


def test_critical_yes_does_not_fail() -> None:
    definition = card(section("A", yes_no("a", critical=True), yes_no("b")))
    result = score_evaluation(definition, {"a": True, "b": False})
    # (1 + 0) / 2 → 50, no auto-fail.
    assert result.score == pytest.approx(50.0)
    assert result.auto_failed is False
    assert result.failed_criteria == ()


@pytest.mark.parametrize(
    ("value", "fails"),
    [(1, True), (1.0, True), (2, False), (1.5, False), (5, False)],
)
def test_critical_scale_without_fail_below_fails_only_at_the_minimum(
    value: float, fails: bool
) -> None:
    definition = card(section("A", scale("a", critical=True), yes_no("b")))
    result = score_evaluation(definition, {"a": value, "b": True})
    # At the minimum r = 0; anything above it, even 1.5 (r = 0.125), is not a failure.
    assert result.auto_failed is fails
    assert result.failed_criteria == (("a",) if fails else ())
    expected_raw = 100 * ((value - 1) / 4 + 1) / 2
    assert result.raw_score == pytest.approx(expected_raw)
    assert result.score == (0.0 if fails else pytest.approx(expected_raw))


def test_critical_scale_minimum_on_a_custom_range() -> None:
    definition = card(section("A", scale("a", min=0, max=10, critical=True)))
    assert score_evaluation(definition, {"a": 0}).auto_failed is True
    assert score_evaluation(definition, {"a": 1}).auto_failed is False


@pytest.mark.parametrize(("value", "fails"), [(0, True), (0.0, True), (0.5, False), (4, False)])
def test_critical_points_fail_at_zero(value: float, fails: bool) -> None:
    definition = card(section("A", points("a", 4, critical=True), yes_no("b")))
    result = score_evaluation(definition, {"a": value, "b": True})
    assert result.auto_failed is fails
    assert result.score == (0.0 if fails else pytest.approx(100 * (value / 4 + 1) / 2))


@pytest.mark.parametrize(
    ("value", "fails"), [(1, True), (2, True), (2.99, True), (3, False), (4, False), (5, False)]
)
def test_fail_below_is_in_the_criterions_own_units(value: float, fails: bool) -> None:
    definition = card(section("A", scale("empathy", critical=True, fail_below=3)))
    result = score_evaluation(definition, {"empathy": value})
    # fail_below = 3 on 1..5 fails 1 and 2 but not 3; raw = 100·(v − 1)/4.
    assert result.auto_failed is fails
    assert result.failed_criteria == (("empathy",) if fails else ())
    assert result.raw_score == pytest.approx(100 * (value - 1) / 4)
    assert result.score == (0.0 if fails else pytest.approx(100 * (value - 1) / 4))


def test_fail_below_on_points() -> None:
    definition = card(section("A", points("accuracy", 10, critical=True, fail_below=6)))
    assert score_evaluation(definition, {"accuracy": 5}).auto_failed is True
    result = score_evaluation(definition, {"accuracy": 6})
    assert result.auto_failed is False
    assert result.score == pytest.approx(60.0)  # 6 / 10


def test_fail_below_replaces_the_r_zero_rule() -> None:
    # With fail_below = 0 nothing on 0..4 is below it, so even 0 points passes the check.
    definition = card(section("A", points("a", 4, critical=True, fail_below=0)))
    result = score_evaluation(definition, {"a": 0})
    assert result.auto_failed is False
    assert result.score == 0.0


def test_critical_answered_na_does_not_fail() -> None:
    definition = card(section("A", yes_no("a", critical=True, na_allowed=True), yes_no("b")))
    result = score_evaluation(definition, {"a": None, "b": True})
    assert result.auto_failed is False
    assert result.score == pytest.approx(100.0)


def test_several_failed_criticals_are_all_listed_in_scorecard_order() -> None:
    definition = card(
        section("A", yes_no("a", critical=True), yes_no("b")),
        section("B", scale("c", critical=True, fail_below=2), points("d", 3, critical=True)),
    )
    result = score_evaluation(definition, {"a": False, "b": True, "c": 1, "d": 0})
    assert result.failed_criteria == ("a", "c", "d")
    assert result.score == 0.0
    assert result.raw_score == pytest.approx(25.0)  # (0 + 1 + 0 + 0) / 4


@pytest.mark.parametrize(
    ("pass_mark", "passed"), [(None, True), (80, True), (80.0, True), (80.5, False)]
)
def test_passing_at_exactly_the_pass_mark(pass_mark: float | None, passed: bool) -> None:
    extra = {} if pass_mark is None else {"pass_mark": pass_mark}
    definition = card(section("A", *(yes_no(k) for k in "abcde")), **extra)
    result = score_evaluation(definition, dict.fromkeys("abcd", True) | {"e": False})
    # 4 yes of 5 → exactly 80.
    assert result.score == 80.0
    assert result.passed is passed


def test_just_below_the_pass_mark_fails() -> None:
    definition = card(section("A", scale("a", min=0, max=1000)))
    result = score_evaluation(definition, {"a": 799})
    assert result.score == pytest.approx(79.9)
    assert result.passed is False


@pytest.mark.parametrize(
    ("values", "weights", "pass_mark"),
    [
        # (0.7 + 0.7 + 0.7) / 3 = 0.7 → 70; summing floats gives 69.99999999999999.
        ((7, 7, 7), (1, 1, 1), 70),
        # (0.3 + 0.7 + 2·0.7) / 4 = 2.4 / 4 = 0.6 → 60; float ratios give 59.99999999999999.
        ((3, 7, 7), (1, 1, 2), 60),
    ],
)
def test_exact_arithmetic_keeps_a_score_on_the_pass_mark(
    values: tuple[int, ...], weights: tuple[int, ...], pass_mark: int
) -> None:
    definition = card(
        section("A", *(scale(f"q{i}", min=0, max=10, weight=w) for i, w in enumerate(weights))),
        pass_mark=pass_mark,
    )
    result = score_evaluation(definition, {f"q{i}": v for i, v in enumerate(values)})
    assert result.score == float(pass_mark)
    assert result.passed is True


def test_default_pass_mark_is_80() -> None:
    definition = card(section("A", yes_no("a")))
    result = score_evaluation(definition, {"a": True})
    assert DEFAULT_PASS_MARK == 80
    assert result.pass_mark == 80.0
    assert (
        score_evaluation(card(section("A", yes_no("a")), pass_mark=65), {"a": True}).pass_mark == 65
    )


def test_custom_pass_mark() -> None:
    definition = card(section("A", yes_no("a"), yes_no("b"), yes_no("c", weight=2)), pass_mark=75)
    result = score_evaluation(definition, {"a": True, "b": False, "c": True})
    # (1 + 0 + 2) / 4 → 75 ≥ 75.
    assert result.score == pytest.approx(75.0)
    assert result.passed is True


@pytest.mark.parametrize(
    ("bounds", "value", "ratio"),
    [
        ({}, 1, 0.0),
        ({}, 3, 0.5),
        ({}, 5, 1.0),
        ({"min": 0, "max": 10}, 0, 0.0),
        ({"min": 0, "max": 10}, 7, 0.7),
        ({"min": 0, "max": 10}, 10, 1.0),
        ({"min": -2, "max": 2}, 0, 0.5),
        ({"max": 7}, 4, 0.5),
        ({"min": 0, "max": 4}, 2.5, 0.625),
        ({"min": 0.5, "max": 2.5}, 1.5, 0.5),
    ],
)
def test_scale_normalisation(bounds: dict[str, int], value: float, ratio: float) -> None:
    # r = (v − min) / (max − min), min..max defaulting to 1..5.
    definition = card(section("A", scale("a", **bounds)))
    result = score_evaluation(definition, {"a": value})
    assert result.normalised["a"] == pytest.approx(ratio)
    assert result.score == pytest.approx(100 * ratio)
    assert normalise(scale("a", **bounds), value) == pytest.approx(ratio)


@pytest.mark.parametrize(
    ("top", "value", "ratio"), [(4, 0, 0.0), (4, 3, 0.75), (4, 4, 1.0), (10, 2.5, 0.25)]
)
def test_points_normalisation(top: int, value: float, ratio: float) -> None:
    # r = v / max; points always start at 0.
    definition = card(section("A", points("a", top)))
    result = score_evaluation(definition, {"a": value})
    assert result.normalised["a"] == pytest.approx(ratio)
    assert result.score == pytest.approx(100 * ratio)


def test_a_scorecard_parsed_from_toml() -> None:
    definition = tomllib.loads(
        """
        name = "Inbound calls"
        slug = "inbound-calls"
        channels = ["phone"]
        pass_mark = 85

        [[sections]]
        title = "Opening"
        weight = 1

        [[sections.criteria]]
        key = "greeting"
        label = "Greeting"
        guidance = "Names the company and self"
        kind = "yes_no"
        training = ["call-opening"]

        [[sections]]
        title = "Resolution"
        weight = 2

        [[sections.criteria]]
        key = "resolution"
        label = "Resolution"
        guidance = "Resolves on first contact"
        kind = "scale"
        min = 0
        max = 4
        weight = 3
        training = []

        [[sections.criteria]]
        key = "compliance"
        label = "Compliance"
        guidance = "Reads the disclosure"
        kind = "points"
        max = 5
        critical = true
        fail_below = 3
        training = []
        """
    )
    result = score_evaluation(definition, {"greeting": True, "resolution": 3, "compliance": 5})
    # Opening S = 1, W = 1. Resolution S = (3·0.75 + 1·1) / 4 = 0.8125, W = 2.
    # (1 + 2·0.8125) / 3 = 2.625 / 3 = 0.875 → 87.5 ≥ 85.
    assert result.score == pytest.approx(87.5)
    assert result.passed is True
    assert result.pass_mark == 85.0
    failing = score_evaluation(definition, {"greeting": True, "resolution": 3, "compliance": 2})
    assert failing.failed_criteria == ("compliance",)
    assert failing.score == 0.0


def test_results_are_immutable() -> None:
    result = score_evaluation(card(section("A", yes_no("a"))), {"a": True})
    with pytest.raises(AttributeError):
        result.score = 0.0  # type: ignore[misc]
    with pytest.raises(TypeError):
        result.normalised["a"] = 0.0  # type: ignore[index]


# --- helpers --------------------------------------------------------------------------


def test_criterion_weight_defaults_to_one() -> None:
    assert criterion_weight(yes_no("a")) == 1
    assert criterion_weight(yes_no("a", weight=2.5)) == 2.5


@pytest.mark.parametrize(
    ("criterion", "bounds"),
    [
        (yes_no("a"), (0, 1)),
        (scale("a"), (1, 5)),
        (scale("a", min=0, max=10), (0, 10)),
        (scale("a", max=3), (1, 3)),
        (points("a", 7), (0, 7)),
    ],
)
def test_criterion_bounds(criterion: dict[str, Any], bounds: tuple[int, int]) -> None:
    assert criterion_bounds(criterion) == bounds


@pytest.mark.parametrize(
    ("criterion", "message"),
    [
        (scale("a", min=3, max=3), "criterion 'a' has an empty range 3..3"),
        (scale("a", min=5, max=1), "criterion 'a' has an empty range 5..1"),
        (points("a", 0), "criterion 'a' has an empty range 0..0"),
        ({"key": "a", "kind": "points"}, "points criterion 'a' has no max"),
        ({"key": "a", "kind": "stars"}, "criterion 'a' has unknown kind 'stars'"),
    ],
)
def test_broken_definitions_raise_instead_of_dividing_by_zero(
    criterion: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message) as excinfo:
        score_evaluation(card(section("A", criterion)), {"a": 1})
    assert not isinstance(excinfo.value, AnswerError)


def test_zero_weight_criteria_never_divide_by_zero() -> None:
    definition = card(section("A", yes_no("a", weight=0)), section("B", yes_no("b", weight=0)))
    result = score_evaluation(definition, {"a": True, "b": False})
    assert result.score is None
    assert result.sections == (SectionScore("A", None, None), SectionScore("B", None, None))
    assert dict(result.normalised) == {"a": 1.0, "b": 0.0}


def test_iter_criteria_walks_sections_in_order() -> None:
    definition = card(section("A", yes_no("a"), yes_no("b")), section("B", scale("c")))
    pairs = [(s["title"], c["key"]) for s, c in iter_criteria(definition)]
    assert pairs == [("A", "a"), ("A", "b"), ("B", "c")]
    assert list(iter_criteria({"sections": []})) == []


def test_normalise_yes_no() -> None:
    assert normalise(yes_no("a"), True) == 1.0
    assert normalise(yes_no("a"), False) == 0.0


@pytest.mark.parametrize(
    ("criterion", "value", "reason"),
    [
        (yes_no("a", na_allowed=True), None, "N/A has no normalised value"),
        (yes_no("a"), None, "N/A is not allowed"),
        (scale("a"), 9, "9 is out of range 1..5"),
        (points("a", 3), True, "expected a number, got bool True"),
    ],
)
def test_normalise_rejects_what_it_cannot_normalise(
    criterion: dict[str, Any], value: object, reason: str
) -> None:
    with pytest.raises(AnswerError) as excinfo:
        normalise(criterion, value)
    assert excinfo.value.problems == [("a", reason)]


# --- errors ---------------------------------------------------------------------------

ERROR_CARD = card(
    section(
        "A",
        yes_no("greeting"),
        scale("empathy"),
        scale("tone", min=0, max=10),
        points("accuracy", 4),
        yes_no("survey", na_allowed=True),
    )
)
VALID = {"greeting": True, "empathy": 3, "tone": 7, "accuracy": 2, "survey": None}


@pytest.mark.parametrize(
    ("changes", "key", "reason"),
    [
        ({"transfer": True}, "transfer", "unknown criterion for this scorecard version"),
        ({"greeting": ...}, "greeting", "answer is missing"),
        ({"greeting": None}, "greeting", "N/A is not allowed"),
        ({"empathy": None}, "empathy", "N/A is not allowed"),
        ({"greeting": "yes"}, "greeting", "expected yes or no (true/false), got str 'yes'"),
        ({"greeting": 1}, "greeting", "expected yes or no (true/false), got int 1"),
        ({"greeting": 0.0}, "greeting", "expected yes or no (true/false), got float 0.0"),
        ({"empathy": True}, "empathy", "expected a number, got bool True"),
        ({"accuracy": False}, "accuracy", "expected a number, got bool False"),
        ({"empathy": "3"}, "empathy", "expected a number, got str '3'"),
        ({"accuracy": [2]}, "accuracy", "expected a number, got list [2]"),
        ({"empathy": 0}, "empathy", "0 is out of range 1..5"),
        ({"empathy": 6}, "empathy", "6 is out of range 1..5"),
        ({"empathy": 5.01}, "empathy", "5.01 is out of range 1..5"),
        ({"tone": -1}, "tone", "-1 is out of range 0..10"),
        ({"tone": 11}, "tone", "11 is out of range 0..10"),
        ({"accuracy": -1}, "accuracy", "-1 is out of range 0..4"),
        ({"accuracy": 5}, "accuracy", "5 is out of range 0..4"),
        ({"empathy": math.nan}, "empathy", "expected a finite number, got nan"),
        ({"accuracy": math.inf}, "accuracy", "expected a finite number, got inf"),
    ],
)
@pytest.mark.parametrize("partial", [False, True])
def test_invalid_answers(changes: dict[str, object], key: str, reason: str, partial: bool) -> None:
    answers = {k: v for k, v in (VALID | changes).items() if v is not ...}
    if partial and reason == "answer is missing":
        # A draft may leave answers out; that is the point of partial scoring.
        assert score_evaluation(ERROR_CARD, answers, partial=True).score is not None
        return
    with pytest.raises(AnswerError) as excinfo:
        score_evaluation(ERROR_CARD, answers, partial=partial)
    assert excinfo.value.problems == [(key, reason)]
    assert str(excinfo.value) == f"invalid answers: {key}: {reason}"
    assert isinstance(excinfo.value, ValueError)


def test_all_problems_are_reported_at_once_in_scorecard_order() -> None:
    answers = {"zzz": 1, "tone": 12, "greeting": "no", "survey": None, "accuracy": True}
    with pytest.raises(AnswerError) as excinfo:
        score_evaluation(ERROR_CARD, answers)
    assert excinfo.value.problems == [
        ("greeting", "expected yes or no (true/false), got str 'no'"),
        ("empathy", "answer is missing"),
        ("tone", "12 is out of range 0..10"),
        ("accuracy", "expected a number, got bool True"),
        ("zzz", "unknown criterion for this scorecard version"),
    ]
    message = str(excinfo.value)
    for key in ("greeting", "empathy", "tone", "accuracy", "zzz"):
        assert key in message


def test_valid_answers_pass_the_checks() -> None:
    result = score_evaluation(ERROR_CARD, VALID)
    # (1 + 0.5 + 0.7 + 0.5) / 4 = 2.7 / 4 → 67.5; survey is N/A.
    assert result.score == pytest.approx(67.5)


# --- partial scoring ------------------------------------------------------------------


def test_partial_scores_only_what_has_been_answered() -> None:
    definition = card(
        section("A", yes_no("a"), yes_no("b"), weight=1),
        section("B", scale("c"), weight=3),
    )
    result = score_evaluation(definition, {"a": True}, partial=True)
    # Only a counts: section A = 100, section B has no answer yet → 100.
    assert result.score == pytest.approx(100.0)
    assert result.sections[1] == SectionScore(title="B", score=None, weight=None)
    assert dict(result.normalised) == {"a": 1.0, "b": None, "c": None}
    result = score_evaluation(definition, {"a": True, "c": 1}, partial=True)
    # A = 1 with W 1, B = 0 with W 3 → 1 / 4 → 25.
    assert result.score == pytest.approx(25.0)


def test_partial_with_nothing_answered_has_no_score() -> None:
    definition = card(section("A", yes_no("a"), scale("b")))
    result = score_evaluation(definition, {}, partial=True)
    assert (result.score, result.raw_score, result.passed) == (None, None, None)
    assert result.auto_failed is False
    with pytest.raises(AnswerError):
        score_evaluation(definition, {})


def test_partial_unanswered_critical_does_not_fail() -> None:
    definition = card(section("A", yes_no("a", critical=True), yes_no("b")))
    result = score_evaluation(definition, {"b": True}, partial=True)
    assert result.auto_failed is False
    assert result.score == pytest.approx(100.0)
    assert score_evaluation(definition, {"a": False}, partial=True).auto_failed is True


def test_partial_with_every_answer_equals_the_full_score() -> None:
    assert score_evaluation(ERROR_CARD, VALID, partial=True) == score_evaluation(ERROR_CARD, VALID)


# --- properties -----------------------------------------------------------------------

WEIGHTS = st.one_of(
    st.integers(min_value=1, max_value=10),
    st.floats(min_value=0.1, max_value=10, allow_nan=False, allow_infinity=False),
)


@st.composite
def criteria(draw: st.DrawFn, key: str, critical: bool) -> tuple[dict[str, Any], object]:
    """One random valid criterion and a random valid answer for it."""
    kind = draw(st.sampled_from(["yes_no", "scale", "points"]))
    criterion: dict[str, Any] = {"key": key, "label": key, "guidance": "", "kind": kind}
    if draw(st.booleans()):
        criterion["weight"] = draw(WEIGHTS)
    if kind == "yes_no":
        low, high = 0, 1
        value: object = draw(st.booleans())
    else:
        if kind == "scale":
            if draw(st.booleans()):
                low, high = 1, 5
            else:
                low = draw(st.integers(min_value=-5, max_value=5))
                high = low + draw(st.integers(min_value=1, max_value=10))
                criterion.update(min=low, max=high)
        else:
            low, high = 0, draw(st.integers(min_value=1, max_value=20))
            criterion["max"] = high
        value = draw(
            st.integers(min_value=low, max_value=high)
            | st.floats(min_value=low, max_value=high, allow_nan=False)
        )
    if draw(st.booleans()):
        criterion["na_allowed"] = True
        if draw(st.booleans()):
            value = None
    if critical and draw(st.booleans()):
        criterion["critical"] = True
        if draw(st.booleans()):
            criterion["fail_below"] = draw(st.integers(min_value=low, max_value=high))
    return criterion, value


@st.composite
def evaluations(
    draw: st.DrawFn, *, critical: bool = True, section_weights: bool = True
) -> tuple[dict[str, Any], dict[str, object]]:
    """A random valid scorecard version and a complete, valid set of answers for it."""
    sections = []
    answers: dict[str, object] = {}
    for s in range(draw(st.integers(min_value=1, max_value=4))):
        items = []
        for c in range(draw(st.integers(min_value=1, max_value=5))):
            criterion, value = draw(criteria(f"s{s}c{c}", critical))
            items.append(criterion)
            answers[criterion["key"]] = value
        extra = {"weight": draw(WEIGHTS)} if section_weights and draw(st.booleans()) else {}
        sections.append(section(f"Section {s}", *items, **extra))
    extra = {"pass_mark": draw(st.integers(0, 100))} if draw(st.booleans()) else {}
    return card(*sections, **extra), answers


def expected_ratio(criterion: dict[str, Any], value: object) -> float:
    """r computed independently of the engine, straight from DESIGN.md."""
    if criterion["kind"] == "yes_no":
        return 1.0 if value else 0.0
    assert isinstance(value, int | float)
    if criterion["kind"] == "points":
        return value / criterion["max"]
    low, high = criterion.get("min", 1), criterion.get("max", 5)
    return (value - low) / (high - low)


PROPERTY = settings(max_examples=200, deadline=None, database=None)


@PROPERTY
@given(evaluations())
def test_scores_stay_within_0_and_100(case: tuple[dict[str, Any], dict[str, object]]) -> None:
    definition, answers = case
    result = score_evaluation(definition, answers)
    for value in (result.score, result.raw_score, *(s.score for s in result.sections)):
        assert value is None or 0 <= value <= 100
    for ratio in result.normalised.values():
        assert ratio is None or 0 <= ratio <= 1
    assert (result.score is None) == (result.passed is None)
    assert (result.score is None) == all(v is None for v in answers.values())


@PROPERTY
@given(evaluations(), st.floats(min_value=0.01, max_value=1000))
def test_scaling_every_weight_changes_nothing(
    case: tuple[dict[str, Any], dict[str, object]], factor: float
) -> None:
    definition, answers = case
    scaled = {
        **definition,
        "sections": [
            {
                **s,
                **({"weight": s["weight"] * factor} if "weight" in s else {}),
                "criteria": [{**c, "weight": criterion_weight(c) * factor} for c in s["criteria"]],
            }
            for s in definition["sections"]
        ],
    }
    before = score_evaluation(definition, answers)
    after = score_evaluation(scaled, answers)
    assert after.score == pytest.approx(before.score)
    assert after.raw_score == pytest.approx(before.raw_score)
    assert after.auto_failed == before.auto_failed
    assert [s.score for s in after.sections] == pytest.approx([s.score for s in before.sections])


@PROPERTY
@given(evaluations(), st.data())
def test_an_added_na_criterion_changes_nothing(
    case: tuple[dict[str, Any], dict[str, object]], data: st.DataObject
) -> None:
    definition, answers = case
    extra, _ = data.draw(criteria("added", critical=True))
    extra["na_allowed"] = True
    where = data.draw(st.integers(min_value=0, max_value=len(definition["sections"]) - 1))
    sections = [dict(s, criteria=list(s["criteria"])) for s in definition["sections"]]
    sections[where]["criteria"].insert(
        data.draw(st.integers(min_value=0, max_value=len(sections[where]["criteria"]))), extra
    )
    before = score_evaluation(definition, answers)
    after = score_evaluation({**definition, "sections": sections}, answers | {"added": None})
    assert after.score == before.score
    assert after.raw_score == before.raw_score
    assert after.passed == before.passed
    assert after.auto_failed == before.auto_failed
    assert after.sections == before.sections
    assert after.failed_criteria == before.failed_criteria
    assert dict(after.normalised) == dict(before.normalised) | {"added": None}


@PROPERTY
@given(evaluations())
def test_any_failed_critical_scores_zero(case: tuple[dict[str, Any], dict[str, object]]) -> None:
    definition, answers = case
    failed = []
    for _, c in iter_criteria(definition):
        value = answers[c["key"]]
        if not c.get("critical") or value is None:
            continue
        if "fail_below" in c:
            assert isinstance(value, int | float)
            if value < c["fail_below"]:
                failed.append(c["key"])
        # r = 0 means "no", the scale minimum or 0 points; compared in the criterion's units,
        # since a float r would underflow to 0 for a value such as 5e-324.
        elif value == {"yes_no": False, "points": 0}.get(c["kind"], c.get("min", 1)):
            failed.append(c["key"])
    result = score_evaluation(definition, answers)
    assert result.failed_criteria == tuple(failed)
    assert result.auto_failed is bool(failed)
    if failed:
        assert result.score == 0.0
        assert result.passed is False
        assert result.raw_score is not None
    else:
        assert result.score == result.raw_score


@PROPERTY
@given(evaluations(critical=False))
def test_without_criticals_score_is_the_raw_score(
    case: tuple[dict[str, Any], dict[str, object]],
) -> None:
    definition, answers = case
    result = score_evaluation(definition, answers)
    assert result.score == result.raw_score
    assert result.auto_failed is False
    assert result.failed_criteria == ()
    if result.score is not None:
        assert result.passed is (result.score >= result.pass_mark)


@PROPERTY
@given(evaluations(critical=False, section_weights=False))
def test_without_section_weights_score_is_the_weighted_mean_over_criteria(
    case: tuple[dict[str, Any], dict[str, object]],
) -> None:
    definition, answers = case
    numerator = denominator = 0.0
    for _, c in iter_criteria(definition):
        value = answers[c["key"]]
        if value is not None:
            weight = c.get("weight", 1)
            numerator += weight * expected_ratio(c, value)
            denominator += weight
    result = score_evaluation(definition, answers)
    if denominator == 0:
        assert result.score is None
    else:
        assert result.score == pytest.approx(100 * numerator / denominator)
