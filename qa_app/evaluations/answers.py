"""Turning the evaluation form's fields into answers for the scoring engine, and back.

Pure functions: the form posts `answer-<key>` ("yes", "no", "na" or a number) and
`comment-<key>`; the engine wants key → True/False/number/None. No Flask, no database.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qa_app.scoring import iter_criteria

NOT_APPLICABLE = "na"
MAX_COMMENT = 4000


@dataclass
class FormAnswers:
    """What the form said: answers given (None = N/A), comments, and per-field problems."""

    answers: dict[str, object] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


def read_form(definition: Mapping[str, Any], form: Mapping[str, str]) -> FormAnswers:
    """Read the posted fields of every criterion; unanswered criteria are simply absent.

    Type errors ("abc" for a number) become problems here; range and N/A rules are the
    scoring engine's, so they are reported from there.
    """
    result = FormAnswers()
    for _section, criterion in iter_criteria(definition):
        key = criterion["key"]
        comment = (form.get(f"comment-{key}") or "").strip()
        if comment:
            if len(comment) > MAX_COMMENT:
                result.problems[key] = f"comment longer than {MAX_COMMENT} characters"
            result.comments[key] = comment[:MAX_COMMENT]
        raw = (form.get(f"answer-{key}") or "").strip().lower()
        if not raw:
            continue
        if raw == NOT_APPLICABLE:
            result.answers[key] = None
        elif criterion["kind"] == "yes_no":
            if raw not in ("yes", "no"):
                result.problems[key] = "choose yes or no"
                continue
            result.answers[key] = raw == "yes"
        else:
            try:
                number = float(raw.replace(",", "."))
            except ValueError:
                result.problems[key] = f"{raw!r} is not a number"
                continue
            result.answers[key] = int(number) if number.is_integer() else number
    return result


def to_form_value(kind: str, value: float | None, is_na: bool) -> str:
    """The form field's value for a stored answer ("" when unanswered)."""
    if is_na:
        return NOT_APPLICABLE
    if value is None:
        return ""
    if kind == "yes_no":
        return "yes" if value >= 1 else "no"
    return str(int(value)) if float(value).is_integer() else str(value)


def stored_value(value: object) -> float | None:
    """An engine answer as the number the Answer row stores (yes = 1, no = 0)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    return float(value)  # type: ignore[arg-type]  # the engine's other answers are numbers


def engine_value(kind: str, value: float | None, is_na: bool) -> object:
    """A stored answer back as the engine's value (None for N/A)."""
    if is_na or value is None:
        return None
    if kind == "yes_no":
        return value >= 1
    return int(value) if float(value).is_integer() else value
