"""The decision form's answers: what the page holds, and which criteria the decider changed.

Plain functions over the posted fields (`answer-<key>`, `comment-<key>`) and the stored
answers, so that a rejection never silently drops answers the decider changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qa_app.evaluations.answers import read_form
from qa_app.evaluations.form_state import FormState
from qa_app.scoring import iter_criteria

MISSING = object()


def posted_state(stored: FormState, form: Mapping[str, str]) -> FormState:
    """The stored answers and comments overlaid with the fields the page posted, exactly as
    typed: what the form shows again when the decision is refused."""
    state = FormState(values=dict(stored.values), comments=dict(stored.comments))
    for name, value in form.items():
        for prefix, target in (("answer-", state.values), ("comment-", state.comments)):
            if name.startswith(prefix):
                key = name.removeprefix(prefix)
                if value.strip():
                    target[key] = value
                else:
                    target.pop(key, None)
    return state


def changed_criteria(
    definition: Mapping[str, Any], stored: FormState, form: Mapping[str, str]
) -> list[str]:
    """The keys, in scorecard order, whose answer or comment the posted form changes from the
    stored ones (fields the form did not post change nothing)."""
    before = read_form(definition, _fields(stored))
    after = read_form(definition, form)
    changed = []
    for _, criterion in iter_criteria(definition):
        key = criterion["key"]
        answer_changed = f"answer-{key}" in form and (
            key in after.problems
            or after.answers.get(key, MISSING) != before.answers.get(key, MISSING)
        )
        comment_changed = f"comment-{key}" in form and after.comments.get(
            key, ""
        ) != before.comments.get(key, "")
        if answer_changed or comment_changed:
            changed.append(key)
    return changed


def _fields(state: FormState) -> dict[str, str]:
    return {
        **{f"answer-{key}": value for key, value in state.values.items()},
        **{f"comment-{key}": text for key, text in state.comments.items()},
    }
