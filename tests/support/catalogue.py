"""A few test translations added to a language's compiled catalogue for one test.

Messages added by a change are translated by the lead after merging, so a test cannot read
their real translation yet. It adds its own ("unknown channel" → "TEST unknown channel") to
the catalogue Flask-Babel has loaded and checks that the message comes out through it, which
only a message that goes through gettext can do. `monkeypatch` takes them out again.
"""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from flask import Flask
from flask_babel import force_locale, get_translations, gettext


def add_translations(
    app: Flask, monkeypatch: pytest.MonkeyPatch, locale: str, entries: Mapping[str, str]
) -> None:
    """Make `locale`'s catalogue translate each (gettext) msgid of `entries` as given, until
    the test ends."""
    with app.test_request_context(), force_locale(locale):
        catalogue = get_translations()._catalog  # type: ignore[union-attr]  # GNUTranslations
    for msgid, text in entries.items():
        monkeypatch.setitem(catalogue, msgid, text)


def in_language(app: Flask, locale: str, msgid: str, **params: object) -> str:
    """`msgid` with `params` as the catalogue of `locale` translates it."""
    with app.test_request_context(), force_locale(locale):
        return gettext(msgid, **params)
