"""The pure scoring engine: a scorecard version plus answers in, an evaluation score out.

Implements DESIGN.md "Scoring math" exactly. It knows nothing of Flask or the database so
that the evaluation form's live score, submission, dispute re-scoring, the API and the
tests all share one implementation.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType
from typing import Any, cast

from qa_app.errors import RuleError

KINDS = ("yes_no", "scale", "points")
DEFAULT_PASS_MARK = 80
DEFAULT_SCALE = (1, 5)

Number = int | float
Section = Mapping[str, Any]
Criterion = Mapping[str, Any]


class AnswerError(RuleError, ValueError):
    """Answers that do not fit the scorecard version; `problems` holds (key, reason) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = list(problems)
        detail = "; ".join(f"{key}: {reason}" for key, reason in self.problems)
        super().__init__(f"invalid answers: {detail}")


@dataclass(frozen=True)
class SectionScore:
    """One section's result: score 0–100 and the weight W it carried (None if unanswered)."""

    title: str
    score: float | None
    weight: float | None


@dataclass(frozen=True)
class EvaluationScore:
    """The outcome of scoring one evaluation; floats are unrounded."""

    score: float | None
    raw_score: float | None
    auto_failed: bool
    passed: bool | None
    pass_mark: float
    sections: tuple[SectionScore, ...]
    failed_criteria: tuple[str, ...]
    normalised: Mapping[str, float | None]


def iter_criteria(definition: Mapping[str, Any]) -> Iterator[tuple[Section, Criterion]]:
    """Yield (section, criterion) pairs in the order the scorecard lists them."""
    for section in definition.get("sections", ()):
        for criterion in section.get("criteria", ()):
            yield section, criterion


def criterion_weight(criterion: Criterion) -> Number:
    """Return the criterion's weight (default 1)."""
    return criterion.get("weight", 1)


def criterion_bounds(criterion: Criterion) -> tuple[Number, Number]:
    """Return the (min, max) an answer may take, in the criterion's own units."""
    kind = criterion.get("kind")
    key = criterion.get("key")
    if kind == "yes_no":
        # no = 0, yes = 1: lets one formula, (v - min) / (max - min), serve every kind.
        return 0, 1
    if kind == "scale":
        low, high = criterion.get("min", DEFAULT_SCALE[0]), criterion.get("max", DEFAULT_SCALE[1])
    elif kind == "points":
        if "max" not in criterion:
            raise ValueError(f"points criterion {key!r} has no max")
        low, high = 0, criterion["max"]
    else:
        raise ValueError(f"criterion {key!r} has unknown kind {kind!r}; expected one of {KINDS}")
    # An empty range would make normalisation divide by zero; it is a broken file, not
    # a bad answer, so it is a plain ValueError rather than an AnswerError.
    if not high > low:
        raise ValueError(f"criterion {key!r} has an empty range {low}..{high}")
    return low, high


def _answer_problem(criterion: Criterion, value: object) -> str | None:
    """Say what is wrong with one answer, or None when it is acceptable."""
    low, high = criterion_bounds(criterion)
    if value is None:
        return None if criterion.get("na_allowed", False) else "N/A is not allowed"
    if criterion["kind"] == "yes_no":
        if isinstance(value, bool):
            return None
        return f"expected yes or no (true/false), got {type(value).__name__} {value!r}"
    # bool is a subclass of int, but True on a 1..5 scale is almost surely a form bug.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"expected a number, got {type(value).__name__} {value!r}"
    if not math.isfinite(value):
        return f"expected a finite number, got {value!r}"
    if not low <= value <= high:
        return f"{value!r} is out of range {low}..{high}"
    return None


def _units(value: object) -> Number:
    """Express a validated, non-N/A answer in its criterion's units (no = 0, yes = 1)."""
    return int(value) if isinstance(value, bool) else cast(Number, value)


def _ratio(criterion: Criterion, value: object) -> Fraction:
    """Normalise a validated, non-N/A answer to r in [0, 1], exactly."""
    # Fractions keep the arithmetic exact: three 7s on a 0..10 scale are exactly 70, not
    # the 69.99999999999999 of float arithmetic that would fail a pass mark of 70. Bounds
    # too, since Fraction minus a float (min = 0.5) would quietly fall back to float.
    low, high = (Fraction(bound) for bound in criterion_bounds(criterion))
    return (Fraction(_units(value)) - low) / (high - low)


def normalise(criterion: Criterion, value: object) -> float:
    """Return r in [0, 1] for one answer; raise AnswerError for N/A or an invalid value."""
    key = str(criterion.get("key"))
    problem = _answer_problem(criterion, value)
    if problem is not None:
        raise AnswerError([(key, problem)])
    if value is None:
        raise AnswerError([(key, "N/A has no normalised value")])
    return float(_ratio(criterion, value))


def _critical_failed(criterion: Criterion, value: object, ratio: Fraction) -> bool:
    """Tell whether a critical criterion's answer fails the whole evaluation."""
    if not criterion.get("critical", False):
        return False
    fail_below = criterion.get("fail_below")
    if fail_below is None:
        return ratio == 0
    # fail_below is in the criterion's own units (3 on a 1..5 scale fails 1 and 2).
    return _units(value) < fail_below


def critical_failed(criterion: Criterion, value: object) -> bool:
    """Tell whether a stored, non-N/A answer fails its critical criterion (False otherwise)."""
    if value is None or not criterion.get("critical", False):
        return False
    return _critical_failed(criterion, value, _ratio(criterion, value))


def _check_answers(
    definition: Mapping[str, Any], answers: Mapping[str, object], partial: bool
) -> None:
    """Raise one AnswerError listing every problem, so a form can mark each field."""
    problems: list[tuple[str, str]] = []
    known: set[str] = set()
    for _, criterion in iter_criteria(definition):
        key = criterion["key"]
        known.add(key)
        if key not in answers:
            # A draft being filled in is scored live; a missing answer is just "not yet".
            if not partial:
                problems.append((key, "answer is missing"))
            continue
        problem = _answer_problem(criterion, answers[key])
        if problem is not None:
            problems.append((key, problem))
    problems.extend(
        (str(key), "unknown criterion for this scorecard version")
        for key in answers
        if key not in known
    )
    if problems:
        raise AnswerError(problems)


def score_evaluation(
    definition: Mapping[str, Any], answers: Mapping[str, object], *, partial: bool = False
) -> EvaluationScore:
    """Score answers against a scorecard version as DESIGN.md "Scoring math" specifies."""
    _check_answers(definition, answers, partial)

    normalised: dict[str, float | None] = {}
    failed: list[str] = []
    sections: list[SectionScore] = []
    weighted_total = Fraction(0)
    weight_total = Fraction(0)
    for section in definition.get("sections", ()):
        section_weighted = Fraction(0)
        section_weight = Fraction(0)
        for criterion in section.get("criteria", ()):
            key = criterion["key"]
            value = answers.get(key)
            if value is None:
                # N/A and "not answered yet" leave both numerator and denominator.
                normalised[key] = None
                continue
            ratio = _ratio(criterion, value)
            normalised[key] = float(ratio)
            if _critical_failed(criterion, value, ratio):
                failed.append(key)
            weight = Fraction(criterion_weight(criterion))
            section_weighted += weight * ratio
            section_weight += weight
        title = section.get("title", "")
        if section_weight == 0:
            # Nothing answered (or only zero-weight criteria): the section drops out of
            # the evaluation instead of counting as 0.
            sections.append(SectionScore(title=title, score=None, weight=None))
            continue
        section_ratio = section_weighted / section_weight
        # Without an explicit section weight, W = Σw makes the whole evaluation the
        # plain weighted mean over its criteria.
        used_weight = Fraction(section["weight"]) if "weight" in section else section_weight
        weighted_total += used_weight * section_ratio
        weight_total += used_weight
        sections.append(
            SectionScore(title=title, score=float(100 * section_ratio), weight=float(used_weight))
        )

    raw_score = None if weight_total == 0 else float(100 * weighted_total / weight_total)
    auto_failed = bool(failed)
    score = 0.0 if auto_failed else raw_score
    pass_mark = float(definition.get("pass_mark", DEFAULT_PASS_MARK))
    passed: bool | None = None
    if score is not None:
        # Compared on the returned float so that anyone re-checking score >= pass_mark
        # agrees; an auto-failed evaluation never passes, even with a pass mark of 0.
        passed = score >= pass_mark and not auto_failed
    return EvaluationScore(
        score=score,
        raw_score=raw_score,
        auto_failed=auto_failed,
        passed=passed,
        pass_mark=pass_mark,
        sections=tuple(sections),
        failed_criteria=tuple(failed),
        normalised=MappingProxyType(normalised),
    )
