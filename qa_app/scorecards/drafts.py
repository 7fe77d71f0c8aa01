"""The web builder's draft: plain operations on a definition-shaped dict, then storage.

A draft may be incomplete while it is edited (a section without criteria yet); publishing
runs the full file validation. Edits carry the revision they were made on, so that two
people editing one draft cannot silently overwrite each other.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l

from qa_app.audit.services import record_event
from qa_app.database import utcnow
from qa_app.errors import RuleError
from qa_app.extensions import db
from qa_app.scorecards.definition import Text, validate_definition
from qa_app.scorecards.models import Scorecard, ScorecardVersion
from qa_app.scorecards.services import latest_version, publish_version
from qa_app.scorecards.texts import DEFAULT_LANGUAGE, default_text, definition_language
from qa_app.scorecards.training_modules import known_module_keys

Draft = dict[str, Any]


class DraftConflict(RuntimeError):
    """The draft changed since the editor loaded it."""


class DraftRuleError(RuleError, ValueError):
    """An edit the builder refuses (message is user-facing)."""


def new_draft(
    name: Text,
    slug: str,
    channels: list[str],
    pass_mark: float,
    description: Text = "",
    language: str = DEFAULT_LANGUAGE,
) -> Draft:
    """An empty draft with its settings and no sections yet (texts in `language`)."""
    draft: Draft = {"language": language} if language != DEFAULT_LANGUAGE else {}
    draft.update(name=name, slug=slug)
    if description:
        draft["description"] = description
    draft.update(channels=channels, pass_mark=pass_mark, sections=[])
    return draft


def update_settings(
    draft: Draft, *, name: Text, channels: list[str], pass_mark: float, description: Text = ""
) -> None:
    """Change name, channels, pass mark and description (the slug and the scorecard's own
    language never change)."""
    sections = draft.pop("sections", [])
    slug, language = draft["slug"], definition_language(draft)
    draft.clear()
    draft.update(
        new_draft(name, slug, channels, pass_mark, description, language), sections=sections
    )


def save_section(draft: Draft, index: int | None, title: Text, weight: float | None) -> None:
    """Add a section (index None) or change one's title and weight."""
    if index is None:
        section: dict[str, Any] = {"title": title, "criteria": []}
        draft["sections"].append(section)
    else:
        section = draft["sections"][index]
        section["title"] = title
    section.pop("weight", None)
    if weight is not None:
        # Keep the file's key order: title, weight, criteria.
        criteria = section.pop("criteria")
        section.update(weight=weight, criteria=criteria)


def save_criterion(
    draft: Draft,
    section_index: int,
    index: int | None,
    criterion: dict[str, Any],
    locked_keys: frozenset[str] = frozenset(),
) -> None:
    """Add a criterion to a section (index None) or replace one.

    Keys of published criteria are locked: renaming would split one criterion's history in
    two across versions.
    """
    criteria = draft["sections"][section_index]["criteria"]
    taken = {c["key"] for _, c in _all_criteria(draft)}
    if index is None:
        if not criterion.get("key"):
            label = default_text(criterion.get("label", ""), definition_language(draft))
            criterion["key"] = suggest_key(label, taken)
        elif criterion["key"] in taken:
            raise DraftRuleError(_l("Another criterion of this scorecard already has this key."))
        criteria.append(criterion)
        return
    old_key = criteria[index]["key"]
    criterion["key"] = criterion.get("key") or old_key
    if old_key in locked_keys and criterion["key"] != old_key:
        raise DraftRuleError(
            _l("The key of a published criterion cannot change; add a new criterion instead.")
        )
    if criterion["key"] != old_key and criterion["key"] in taken:
        raise DraftRuleError(_l("Another criterion of this scorecard already has this key."))
    criteria[index] = criterion


def move(draft: Draft, section_index: int, criterion_index: int | None, offset: int) -> None:
    """Move a section, or a criterion within its section, by `offset` places."""
    items = (
        draft["sections"]
        if criterion_index is None
        else (draft["sections"][section_index]["criteria"])
    )
    index = section_index if criterion_index is None else criterion_index
    target = index + offset
    items[index]  # noqa: B018 - an IndexError here means the item does not exist
    if 0 <= target < len(items):
        items.insert(target, items.pop(index))


def remove(draft: Draft, section_index: int, criterion_index: int | None) -> None:
    """Delete a section (with its criteria) or one criterion."""
    if criterion_index is None:
        del draft["sections"][section_index]
    else:
        del draft["sections"][section_index]["criteria"][criterion_index]


def suggest_key(label: str, taken: set[str]) -> str:
    """A criterion key from its label: "Active listening" → active_listening (unique)."""
    base = re.sub(r"[^a-z0-9]+", "_", label.lower()).strip("_")[:56] or "criterion"
    if not base[0].isalpha():
        base = "c_" + base
    key, number = base, 2
    while key in taken:
        key, number = f"{base}_{number}", number + 1
    return key


def _all_criteria(draft: Draft) -> list[tuple[int, dict[str, Any]]]:
    return [
        (number, criterion)
        for number, section in enumerate(draft.get("sections", []))
        for criterion in section.get("criteria", [])
    ]


def published_keys(scorecard: Scorecard) -> frozenset[str]:
    """Criterion keys of the latest version (locked in the builder)."""
    latest = latest_version(scorecard)
    if latest is None:
        return frozenset()
    return frozenset(
        c["key"] for section in latest.definition["sections"] for c in section["criteria"]
    )


def change_draft(scorecard: Scorecard, revision: int, edit: Callable[[Draft], None]) -> None:
    """Apply `edit` to a copy of the draft, if nobody changed it since `revision`."""
    if scorecard.draft is None or scorecard.draft_revision != revision:
        raise DraftConflict
    draft = copy.deepcopy(scorecard.draft)
    edit(draft)
    scorecard.draft = draft  # a new object, so SQLAlchemy sees the JSON change
    scorecard.draft_revision += 1
    scorecard.draft_updated_at = utcnow()


def start_draft(scorecard: Scorecard) -> None:
    """Begin editing a copy of the latest version (no-op when a draft exists)."""
    if scorecard.draft is not None:
        return
    latest = latest_version(scorecard)
    if latest is None:
        raise DraftRuleError(_l("This scorecard has neither a draft nor a version."))
    scorecard.draft = copy.deepcopy(latest.definition)
    scorecard.draft_revision += 1
    scorecard.draft_updated_at = utcnow()
    record_event(
        "scorecard.draft_started", "scorecard", scorecard.id, after={"from_version": latest.number}
    )


def discard_draft(scorecard: Scorecard) -> bool:
    """Throw the draft away; published versions stay. A never-published scorecard goes too.

    Returns whether the scorecard still exists.
    """
    record_event(
        "scorecard.draft_discarded", "scorecard", scorecard.id, before={"slug": scorecard.slug}
    )
    if latest_version(scorecard) is None:
        db.session.delete(scorecard)
        return False
    scorecard.draft = None
    scorecard.draft_revision += 1
    return True


def publish_draft(scorecard: Scorecard, revision: int, actor_id: int) -> ScorecardVersion | None:
    """Validate the draft like a file (its modules against the training catalogue, as
    `scorecards sync` checks them) and publish it; None when it equals the latest version.

    Raises DefinitionError with every problem, DraftConflict when the draft moved on.
    """
    if scorecard.draft is None or scorecard.draft_revision != revision:
        raise DraftConflict
    definition = validate_definition(
        scorecard.draft, source="draft", known_modules=known_module_keys()
    )
    version = publish_version(scorecard, definition, source="builder", actor_id=actor_id)
    scorecard.draft = None
    scorecard.draft_revision += 1
    return version
