"""A draft's problems in the builder's words: where, which field, and what to do.

The file rules (definition.py) tell a problem as a file's author reads it ("sections[1]
.criteria: a section needs at least one criterion"); the builder tells the same problem by
the names on its pages ("Section “Opening”: add at least one criterion") and links to the
form that fixes it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from qa_app.scorecards.definition import Problem
from qa_app.scorecards.texts import definition_language, localized

# The builder's name for each key of the file format.
FIELD_LABELS = {
    "name": _l("Name"),
    "slug": _l("Short name"),
    "description": _l("Description"),
    "channels": _l("Channels"),
    "pass_mark": _l("Pass mark"),
    "title": _l("Title"),
    "weight": _l("Weight"),
    "key": _l("Key"),
    "label": _l("Label"),
    "guidance": _l("Guidance"),
    "kind": _l("Answer"),
    "min": _l("Scale from"),
    "max": _l("Highest value"),
    "na_allowed": _l("N/A"),
    "critical": _l("Critical"),
    "fail_below": _l("Critical failure below"),
    "training": _l("Training modules"),
}
SETTINGS = frozenset({"name", "slug", "description", "channels", "pass_mark"})


@dataclass(frozen=True)
class DraftProblem:
    """One problem of a draft as the builder shows it; `section` and `criterion` (from 0)
    say which form fixes it (both None: the settings, or adding a section)."""

    place: str
    message: str
    section: int | None
    criterion: int | None
    settings: bool


def plain_reason(problem: Problem) -> str:
    """What to do about a problem, in the builder's words where it has its own."""
    if problem.code == "no_sections":
        return _("Add at least one section, with at least one criterion.")
    if problem.code == "no_criteria":
        return _("Add at least one criterion to this section.")
    if problem.code == "unknown_modules":
        keys = ", ".join(f"“{key}”" for key in problem.detail)
        return ngettext(
            "%(keys)s is not in the training catalogue; choose a module from the list.",
            "%(keys)s are not in the training catalogue; choose modules from the list.",
            len(problem.detail),
            keys=keys,
        )
    return problem.reason


def describe(problem: Problem, draft: Mapping[str, Any]) -> DraftProblem:
    """Where a problem of `draft` is, by the names the builder shows, and what to do."""
    sections = draft.get("sections") or []
    language = definition_language(draft)
    section, criterion = problem.section, problem.criterion
    if section is not None and not 0 <= section < len(sections):
        section = criterion = None
    label = FIELD_LABELS.get(problem.field_name)
    if section is None:
        place = _("Settings") if problem.field_name in SETTINGS else _("Sections")
    else:
        title = localized(sections[section].get("title"), language)
        criteria = sections[section].get("criteria") or []
        if criterion is not None and 0 <= criterion < len(criteria):
            place = _(
                "Criterion “%(label)s” in section “%(title)s”",
                label=localized(criteria[criterion].get("label"), language)
                or str(criteria[criterion].get("key")),
                title=title,
            )
        else:
            criterion = None
            place = _("Section “%(title)s”", title=title)
    if label is not None and problem.code not in ("no_sections", "no_criteria"):
        place = _("%(place)s, %(field)s", place=place, field=label)
    return DraftProblem(
        place=place,
        message=plain_reason(problem),
        section=section,
        criterion=criterion,
        settings=problem.field_name in SETTINGS,
    )
