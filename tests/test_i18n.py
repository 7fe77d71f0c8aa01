"""Every visible string is translatable and the English catalogue is complete."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from babel.messages.catalog import PYTHON_FORMAT, Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask

from qa_app.auth.models import Role
from qa_app.extensions import db
from tests.conftest import sign_in

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "qa_app" / "templates"
TAG = re.compile(r"<[^>]*>", re.DOTALL)
ENTITY = re.compile(r"&[a-z]+;|&#\d+;")


# What `make translations` extracts: Babel's default keywords (gettext, ngettext, pgettext,
# npgettext, N_ …) and the lazy ones the Makefile adds with -k.
MAKEFILE_KEYWORDS = {
    "_l": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
    "lazy_pgettext": ((1, "c"), 2),
}
KEYWORDS = {**DEFAULT_KEYWORDS, **MAKEFILE_KEYWORDS}
CATALOGUES = ROOT / "qa_app" / "translations"
LANGUAGES = sorted(path.parent.parent.name for path in CATALOGUES.glob("*/LC_MESSAGES/messages.po"))
TRANSLATED = [language for language in LANGUAGES if language != "en"]
# Every placeholder a message may carry: %(name)s, %(num)d … and {name} (JavaScript strings).
PLACEHOLDER = re.compile(r"%\(\w+\)[-#0 +]?\d*(?:\.\d+)?[sdifr]|\{\w*\}")
# A count written before a word, in a message that is not ngettext: "%(n)d agents".
# A count followed by a plural noun ("%(n)d agents") or "more"; a position ("column
# %(index)d has no name") is an ordinal, not a count, and needs no plural.
COUNT_WITH_NOUN = re.compile(r"%\((?!index\b|position\b)\w+\)d (?:[^\W\d]{2,}s\b|more\b)")

Key = tuple[str | None, str]  # (context, msgid)


@functools.cache
def _extracted() -> dict[Key, str | tuple[str, ...]]:
    """The source's messages by (context, msgid), as `make translations` extracts them."""
    method_map = [("qa_app/**.py", "python"), ("qa_app/templates/**.html", "jinja2")]
    found: dict[Key, str | tuple[str, ...]] = {}
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map=method_map, keywords=KEYWORDS
    ):
        singular = message if isinstance(message, str) else message[0]
        if not singular:  # ngettext with a computed msgid: nothing to translate
            continue
        key = (context, singular)
        if isinstance(message, tuple) or key not in found:
            found[key] = message if isinstance(message, str) else tuple(message[:2])
    return found


@functools.cache
def _catalogue(language: str) -> Catalog:
    with (CATALOGUES / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def _entries(catalogue: Catalog) -> dict[Key, Message]:
    return {
        (message.context, message.id if isinstance(message.id, str) else message.id[0]): message
        for message in catalogue
        if message.id
    }


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_the_makefile_extracts_with_the_keywords_the_tests_use() -> None:
    makefile = (ROOT / "Makefile").read_text("utf-8")
    flags = re.search(r"^BABEL_KEYWORDS :=(.*)$", makefile, re.MULTILINE)
    assert flags is not None
    assert "$(BABEL_KEYWORDS)" in makefile and "--no-fuzzy-matching" in makefile
    assert "--ignore-obsolete" in makefile
    written = {flag.split(":")[0] for flag in flags.group(1).split() if flag != "-k"}
    assert written == set(MAKEFILE_KEYWORDS)


def test_every_language_has_a_catalogue() -> None:
    from config import Config

    languages = {language.split("_")[0] for language in Config({}).LANGUAGES}
    assert set(LANGUAGES) == languages  # en_GB reads the English catalogue


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_holds_exactly_the_source_messages(language: str) -> None:
    """Nothing missing, nothing obsolete, plurals as the source writes them: `make
    translations` brings a catalogue up to date."""
    catalogue = _catalogue(language)
    entries = _entries(catalogue)
    extracted = _extracted()
    missing = sorted(map(str, extracted.keys() - entries.keys()))
    obsolete = sorted(map(str, entries.keys() - extracted.keys()))
    assert missing == [], f"{len(missing)} messages missing: run `make translations`"
    assert obsolete == [], f"{len(obsolete)} obsolete messages: run `make translations`"
    assert list(catalogue.obsolete) == []
    changed = [
        key
        for key, message in extracted.items()
        if (message if isinstance(message, str) else tuple(message))
        != (entries[key].id if isinstance(entries[key].id, str) else tuple(entries[key].id))
    ]
    assert changed == [], "singular or plural changed: run `make translations`"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogue_has_no_fuzzy_entry(language: str) -> None:
    catalogue = _catalogue(language)
    assert not catalogue.fuzzy, "a fuzzy header stops `pybabel compile`"
    assert [message.id for message in catalogue if message.id and message.fuzzy] == []


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_in_every_plural_form(language: str) -> None:
    catalogue = _catalogue(language)
    # The header's plural rule is the language's own (Polish has three forms).
    assert catalogue.num_plurals == Catalog(locale=language).num_plurals
    untranslated = []
    for message in catalogue:
        if not message.id:
            continue
        forms = [message.string] if isinstance(message.string, str) else list(message.string)
        if (
            message.pluralizable
            and len(forms) != catalogue.num_plurals
            or not all(form and form.strip() for form in forms)
        ):
            untranslated.append(message.id)
    assert untranslated == [], f"{len(untranslated)} messages untranslated"


@pytest.mark.parametrize("language", TRANSLATED)
def test_translations_keep_every_placeholder(language: str) -> None:
    """%(name)s in, %(name)s out: a lost or renamed placeholder is a KeyError (or a missing
    number) on the page. Plural forms keep the plural msgid's; the first form (n = 1 in our
    languages) may instead keep the singular's, which may leave the count out."""
    broken = []
    for message in _catalogue(language):
        if not message.id:
            continue
        if isinstance(message.id, str):
            if message.string and _placeholders(message.string) != _placeholders(message.id):
                broken.append((message.id, message.string))
            continue
        singular, plural = message.id[0], message.id[1]
        for index, form in enumerate(message.string):
            allowed = [_placeholders(plural)]
            if index == 0:
                allowed.append(_placeholders(singular))
            if form and _placeholders(form) not in allowed:
                broken.append((plural, form))
    assert broken == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_babel_finds_no_error_in_the_catalogue(language: str) -> None:
    """Babel's own checks: python-format placeholders and plural-form counts."""
    problems = [
        (message.id, [str(error) for error in errors])
        for message, errors in _catalogue(language).check()
    ]
    assert problems == []


def test_the_catalogues_compile(tmp_path: Path) -> None:
    copy = tmp_path / "translations"
    shutil.copytree(CATALOGUES, copy, ignore=shutil.ignore_patterns("*.mo"))
    compiled = subprocess.run(  # noqa: S603 - this interpreter, Babel's own command
        [sys.executable, "-m", "babel.messages.frontend", "compile", "-d", str(copy)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stderr
    assert "error" not in compiled.stderr.lower(), compiled.stderr
    assert sorted(path.parent.parent.name for path in copy.glob("*/LC_MESSAGES/*.mo")) == (
        LANGUAGES
    )


def test_counts_shown_with_a_noun_use_ngettext() -> None:
    """ "1 agents" in English, and wrong in every language whose plural differs: a count
    followed by a word belongs in ngettext (%(num)d), which picks the language's form."""
    singular_only = sorted(
        message
        for message in _extracted().values()
        if isinstance(message, str) and COUNT_WITH_NOUN.search(message)
    )
    assert singular_only == []


def test_no_message_reads_as_a_format_by_accident() -> None:
    """A bare % before a letter ("95% interval") looks like a placeholder to Babel, which
    flags the message python-format and then refuses a translation without it."""
    accidental = sorted(
        message
        for message in _extracted().values()
        if isinstance(message, str)
        and not PLACEHOLDER.search(message)
        and "%%" not in message
        and PYTHON_FORMAT.search(message)
    )
    assert accidental == []


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


# One English word, several translations: a status shared by nouns of different gender (pl
# "robocza" ocena, "roboczy" plan), a button and a title. Each use carries a context.
AMBIGUOUS = {"draft", "Draft", "active", "new", "acknowledged", "disputed", "Dispute"}


def test_ambiguous_words_are_always_said_with_a_context() -> None:
    without_context = sorted(word for context, word in _extracted() if context is None)
    assert [word for word in without_context if word in AMBIGUOUS] == []
    contexts = {context for context, word in _extracted() if word == "From"}
    assert "scorecard version source" in contexts  # not the date range's "From"


def test_statuses_of_different_things_translate_apart(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a catalogue that tells them apart, an evaluation's and a plan's "draft" differ."""
    import io

    import flask_babel
    from babel.messages.mofile import write_mo
    from babel.support import Translations

    from qa_app.evaluations.models import EvaluationStatus
    from qa_app.training.models import PlanStatus

    catalogue = Catalog(locale="pl")
    catalogue.add("draft", "robocza", context="evaluation status")
    catalogue.add("draft", "roboczy", context="plan status")
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    translations = Translations(buffer)
    monkeypatch.setattr(flask_babel.Domain, "get_translations", lambda _self: translations)
    with app.test_request_context():
        assert EvaluationStatus.DRAFT.label == "robocza"
        assert PlanStatus.DRAFT.label == "roboczy"


def test_no_sentence_is_finished_by_a_form_field() -> None:
    """A label that a select or a list completes ("Record a session with" + names) forces
    English word order on every language: each is one whole label or sentence instead."""
    fragments = {
        "Durations written as plain numbers are in",
        "Record a session with",
        "Saved for:",
        "Only interactions that…",
        "saved",
        "yours",
        "with revision",
    }
    singulars = {
        message if isinstance(message, str) else message[0] for message in _extracted().values()
    }
    assert sorted(fragments & singulars) == []
