"""What the scoring form shows: field values, comments and per-criterion messages."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from qa_app.evaluations.answers import FormAnswers, read_form, to_form_value
from qa_app.evaluations.models import Evaluation
from qa_app.scoring import (
    AnswerError,
    EvaluationScore,
    criterion_bounds,
    iter_criteria,
    score_evaluation,
)


@dataclass
class FormState:
    """Field values as the form holds them ("yes", "3", "na"), comments and errors by key."""

    values: dict[str, str] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_posted(cls, posted: FormAnswers, form: Mapping[str, str]) -> FormState:
        """The state of a posted form, kept exactly as typed so nothing is lost on errors."""
        values = {
            name.removeprefix("answer-"): value
            for name, value in form.items()
            if name.startswith("answer-") and value
        }
        return cls(values=values, comments=dict(posted.comments))

    def engine_answers(self, definition: Mapping[str, Any]) -> dict[str, object]:
        """The answers on the page, for the live score (invalid ones left out)."""
        fields = {f"answer-{key}": value for key, value in self.values.items()}
        posted = read_form(definition, fields)
        return {key: value for key, value in posted.answers.items() if key not in posted.problems}

    def live_score(self, definition: Mapping[str, Any]) -> EvaluationScore | None:
        """The score of the answers on the page so far (None while an answer is invalid)."""
        try:
            return score_evaluation(definition, self.engine_answers(definition), partial=True)
        except AnswerError:
            return None


def state_from_evaluation(evaluation: Evaluation) -> FormState:
    """The form state of the stored answers."""
    kinds = {c["key"]: c["kind"] for _, c in iter_criteria(evaluation.version.definition)}
    state = FormState()
    for row in evaluation.answers:
        value = to_form_value(kinds.get(row.criterion_key, "scale"), row.value, row.is_na)
        if value:
            state.values[row.criterion_key] = value
        if row.comment:
            state.comments[row.criterion_key] = row.comment
    return state


def problem_messages(
    definition: Mapping[str, Any], problems: Iterable[tuple[str, str]]
) -> dict[str, list[str]]:
    """The scoring engine's and the form reader's problems as messages for the user."""
    criteria = {c["key"]: c for _, c in iter_criteria(definition)}
    messages: dict[str, list[str]] = {}
    for key, reason in problems:
        criterion = criteria.get(key)
        if criterion is None:
            continue
        if reason == "answer is missing":
            text = _("Answer this criterion before submitting.")
        elif reason == "N/A is not allowed":
            text = _("N/A is not allowed for this criterion.")
        elif "out of range" in reason or "not a number" in reason:
            low, high = criterion_bounds(criterion)
            text = _("Enter a number from %(low)s to %(high)s.", low=low, high=high)
        elif reason.startswith("comment longer"):
            text = _("The comment is too long.")
        else:
            text = _("This answer is not valid.")
        messages.setdefault(key, []).append(text)
    return messages


def refused_answers_message(problems: int, *, submitting: bool) -> str:
    """What the scoring form flashes when the engine refuses its answers (the evaluation
    form's and the calibration scoring form's)."""
    if not submitting:
        return _("Some answers are not valid; nothing was saved.")
    return ngettext(
        "%(num)d criterion needs an answer or a correction before submitting.",
        "%(num)d criteria need an answer or a correction before submitting.",
        problems,
    )
