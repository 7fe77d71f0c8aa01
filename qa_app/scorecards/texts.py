"""Texts of scorecard and training-catalogue files in several languages.

A text in a file is either a string (in the file's language, `language = "en"` by default)
or a table of language → text (`label.en = "Greeting"`, `label.de = "Begrüßung"`). The
canonical form keeps a plain string when only the file's language is given, and otherwise
the table with the file's language first. `localized` gives a text in the reader's language;
every page, notification and export that shows a scorecard or module text goes through it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from flask import has_app_context
from flask_babel import get_locale

# The app's LANGUAGES without en_GB: British readers read the English text.
SCORECARD_LANGUAGES = ("en", "de", "pl", "fi", "nb")
DEFAULT_LANGUAGE = "en"
# The texts of a definition, by where they are.
DEFINITION_TEXTS = ("name", "description")
SECTION_TEXTS = ("title",)
CRITERION_TEXTS = ("label", "guidance")


def reader_language() -> str:
    """The reader's language as scorecard files name it (en_GB reads en); "en" outside an
    application context."""
    locale = get_locale() if has_app_context() else None
    if locale is None:
        return DEFAULT_LANGUAGE
    return str(locale.language)


def localized(
    text: Any, default_language: str = DEFAULT_LANGUAGE, language: str | None = None
) -> str:
    """A text in `language` (the reader's by default), else in the file's default language,
    else in any language it has; a plain string is returned as it is."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if not isinstance(text, Mapping) or not text:
        return str(text)
    wanted = language or reader_language()
    if wanted == "en_GB":
        wanted = "en"
    for candidate in (wanted, wanted.split("_")[0], default_language):
        value = text.get(candidate)
        if value:
            return str(value)
    return str(next(iter(text.values())))


def default_text(text: Any, default_language: str = DEFAULT_LANGUAGE) -> str:
    """A text in the file's own language (what the database columns and audit keep)."""
    return localized(text, default_language, default_language)


def definition_language(definition: Mapping[str, Any]) -> str:
    """The default language of a canonical definition."""
    return str(definition.get("language") or DEFAULT_LANGUAGE)


def localized_definition(
    definition: Mapping[str, Any], language: str | None = None
) -> dict[str, Any]:
    """A copy of a canonical definition with every text in the reader's language (or
    `language`), for pages that show it. Keys, kinds and weights are unchanged."""
    default = definition_language(definition)
    result = copy.deepcopy(dict(definition))
    for key in DEFINITION_TEXTS:
        if key in result:
            result[key] = localized(result[key], default, language)
    for section in result.get("sections") or []:
        if not isinstance(section, dict):
            continue
        for key in SECTION_TEXTS:
            if key in section:
                section[key] = localized(section[key], default, language)
        for criterion in section.get("criteria") or []:
            if not isinstance(criterion, dict):
                continue
            for key in CRITERION_TEXTS:
                if key in criterion:
                    criterion[key] = localized(criterion[key], default, language)
    return result


def criterion_labels(definition: Mapping[str, Any], language: str | None = None) -> dict[str, str]:
    """Each criterion key → its label in the reader's language."""
    default = definition_language(definition)
    return {
        str(criterion.get("key")): localized(criterion.get("label"), default, language)
        for section in definition.get("sections") or []
        for criterion in section.get("criteria") or []
    }
