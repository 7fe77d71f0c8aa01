"""Every visible string is translatable and the English catalogue is complete."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask

from qa_app.auth.models import Role
from qa_app.extensions import db
from tests.conftest import sign_in

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "qa_app" / "templates"
TAG = re.compile(r"<[^>]*>", re.DOTALL)
ENTITY = re.compile(r"&[a-z]+;|&#\d+;")


def _extracted_messages() -> set[str]:
    method_map = [("qa_app/**.py", "python"), ("qa_app/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=keywords
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_english_catalogue_is_up_to_date() -> None:
    with (ROOT / "qa_app/translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
        catalogue = {message.id for message in read_po(handle) if message.id}
    catalogue = {key if isinstance(key, str) else key[0] for key in catalogue}
    missing = _extracted_messages() - catalogue
    assert missing == set(), "run `make translations` and commit the catalogue"


@pytest.mark.parametrize("template", sorted(TEMPLATES.rglob("*.html")), ids=lambda p: p.name)
def test_templates_have_no_untranslated_text(template: Path, app: Flask) -> None:
    """Text between tags must come from {{ _(…) }}, not be written into the template."""
    source = template.read_text("utf-8")
    # Keep the template's own text; every Jinja expression or statement becomes a marker.
    text = "".join(
        value if token == "data" else "§" for _line, token, value in app.jinja_env.lex(source)
    )
    text = ENTITY.sub(" ", TAG.sub(" ", text))
    assert re.findall(r"[A-Za-zÀ-ž]{2,}", text) == []


def test_language_follows_the_browser_then_the_profile(app: Flask, make_user: Any) -> None:
    app.config["LANGUAGES"] = ["en", "de"]
    client = app.test_client()
    page = client.get("/login", headers={"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert '<html lang="de">' in page.get_data(as_text=True)
    user = make_user(Role.AGENT, locale="en")
    sign_in(client, user.email)
    page = client.get("/", headers={"Accept-Language": "de"})
    assert '<html lang="en">' in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(type(user), user.id).locale == "en"


def test_numbers_are_formatted_for_the_locale(app: Flask) -> None:
    from qa_app.i18n import format_number, format_share

    with app.test_request_context(headers={"Accept-Language": "de"}):
        app.config["LANGUAGES"] = ["en", "de"]
        assert format_number(1234.5) == "1.234,5"
        assert format_share(0.825, 1) == "82,5\xa0%"  # no-break space, as German writes it
        assert format_number(None) == "–"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert format_number(1234.5) == "1,234.5"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-GB,en;q=0.9", "en_GB"),
        ("en-US,en;q=0.9", "en"),
        ("de-AT,de;q=0.9", "de"),
        ("nb-NO", "nb"),
        ("no", "nb"),  # Norwegian without a written standard: Bokmål
        ("nn-NO,en;q=0.5", "nb"),
        ("fr-FR,pl;q=0.8", "pl"),  # the browser's second choice, which we have
        ("fi-FI", "fi"),
        ("fr-FR,es;q=0.5", None),
    ],
)
def test_the_browser_language_is_the_first_we_have(header: str, expected: str | None) -> None:
    from werkzeug.datastructures import LanguageAccept
    from werkzeug.http import parse_accept_header

    from config import Config
    from qa_app.i18n import browser_language

    accepted = parse_accept_header(header, LanguageAccept)
    assert browser_language(accepted, Config({}).LANGUAGES) == expected


def test_the_centre_default_serves_browsers_asking_for_none_of_ours(app: Flask) -> None:
    app.config["BABEL_DEFAULT_LOCALE"] = "pl"  # QA_DEFAULT_LOCALE=pl
    page = app.test_client().get("/login", headers={"Accept-Language": "fr-FR"})
    assert '<html lang="pl">' in page.get_data(as_text=True)
    british = app.test_client().get("/login", headers={"Accept-Language": "en-GB"})
    assert '<html lang="en-GB">' in british.get_data(as_text=True)


def test_an_unknown_centre_language_is_refused() -> None:
    from config import Config, ConfigError

    with pytest.raises(ConfigError, match="QA_DEFAULT_LOCALE must be one of en, en_GB, de"):
        Config({"QA_DEFAULT_LOCALE": "fr"}).validate()
