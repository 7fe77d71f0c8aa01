"""The builder's fields for texts in several languages.

Each translatable text (name, description, section title, label, guidance) has its main
field, in the scorecard's own language, and one field per other language. Together they
make the text as the file format writes it (scorecards/texts.py): a string when no
translation is filled in, else a table of language → text with the scorecard's language.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from wtforms import Field, StringField, TextAreaField
from wtforms.validators import Length, Optional

from qa_app.i18n import LANGUAGE_NAMES
from qa_app.scorecards.definition import Text
from qa_app.scorecards.texts import DEFAULT_LANGUAGE, SCORECARD_LANGUAGES
from qa_app.web.forms import strip_whitespace


def add_translation_fields(
    form_class: type, name: str, max_length: int, *, text_area: bool = False
) -> None:
    """Give `form_class` a field `<name>_<language>` for each language a scorecard knows."""
    for language in SCORECARD_LANGUAGES:
        field: Callable[..., Any] = TextAreaField if text_area else StringField
        render = {"rows": 3, "lang": language} if text_area else {"lang": language}
        setattr(
            form_class,
            f"{name}_{language}",
            field(
                LANGUAGE_NAMES.get(language, language),
                validators=[Optional(), Length(max=max_length)],
                filters=[strip_whitespace],
                render_kw=render,
            ),
        )


class TranslatedTexts:
    """Mixin for a form with translation fields: reads and fills them by the scorecard's
    own language (`language`, set by the view)."""

    language: str = DEFAULT_LANGUAGE

    def translation_fields(self, name: str) -> list[Field]:
        """The fields of `name` in the languages other than the scorecard's own."""
        return [
            getattr(self, f"{name}_{language}")
            for language in SCORECARD_LANGUAGES
            if language != self.language
        ]

    def text(self, name: str) -> Text:
        """The text of `name` as the file writes it, with its filled-in translations."""
        own = getattr(self, name).data or ""
        translations = {
            language: getattr(self, f"{name}_{language}").data
            for language in SCORECARD_LANGUAGES
            if language != self.language and getattr(self, f"{name}_{language}").data
        }
        if not translations:
            return str(own)
        # The scorecard's own language first, as the canonical form writes it.
        return {self.language: own, **translations} if own else translations

    def load_text(self, name: str, value: Any) -> None:
        """Fill the field of `name` and its translation fields from a draft's text."""
        texts: Mapping[str, Any] = value if isinstance(value, Mapping) else {self.language: value}
        getattr(self, name).data = texts.get(self.language)
        for language in SCORECARD_LANGUAGES:
            if language != self.language:
                getattr(self, f"{name}_{language}").data = texts.get(language)
