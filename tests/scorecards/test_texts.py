"""Scorecard texts in several languages: the file format, its checks, the reader's language,
`sync`, and the pages that show the shipped cards in German."""

from __future__ import annotations

import html
import re
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.scorecards.definition import (
    DefinitionError,
    content_hash,
    parse_toml,
    to_toml,
    validate_definition,
)
from qa_app.scorecards.models import Scorecard, ScorecardCriterion, ScorecardVersion
from qa_app.scorecards.texts import (
    SCORECARD_LANGUAGES,
    localized,
    localized_definition,
    reader_language,
)
from tests.conftest import SCORECARD_TOML, Organisation

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "scorecards"
TRANSLATED = SCORECARD_TOML.replace(
    'label = "Greeting"', 'label.en = "Greeting"\nlabel.de = "Begrüßung"\nlabel.pl = "Powitanie"'
).replace(
    'guidance = "Names the brand and themselves."',
    'guidance.en = "Names the brand and themselves."\n'
    'guidance.de = "Nennt die Marke und sich selbst."',
)


def problems_of(text: str) -> list[str]:
    with pytest.raises(DefinitionError) as error:
        parse_toml(text, source="test-call.toml")
    return [str(problem) for problem in error.value.problems]


# --- the file format ---------------------------------------------------------------------


def test_a_text_is_a_string_or_a_table_of_languages() -> None:
    plain = parse_toml(SCORECARD_TOML)
    translated = parse_toml(TRANSLATED)
    assert plain["sections"][0]["criteria"][0]["label"] == "Greeting"
    greeting = translated["sections"][0]["criteria"][0]
    assert greeting["label"] == {"en": "Greeting", "de": "Begrüßung", "pl": "Powitanie"}
    assert greeting["guidance"] == {
        "en": "Names the brand and themselves.",
        "de": "Nennt die Marke und sich selbst.",
    }
    # Keys, kinds and weights do not depend on the language.
    assert greeting["key"] == "greeting" and greeting["kind"] == "yes_no"
    assert "language" not in translated  # English, the default, is not written out
    # Translations are content: a file with them is another version.
    assert content_hash(translated) != content_hash(plain)


def test_a_table_with_only_the_files_language_is_the_plain_text() -> None:
    only_english = SCORECARD_TOML.replace('label = "Greeting"', 'label.en = "Greeting"')
    assert parse_toml(only_english) == parse_toml(SCORECARD_TOML)
    assert content_hash(parse_toml(only_english)) == content_hash(parse_toml(SCORECARD_TOML))


def test_the_files_language_comes_first_and_is_kept() -> None:
    text = 'language = "de"\n' + SCORECARD_TOML.replace(
        'label = "Greeting"', 'label.pl = "Powitanie"\nlabel.de = "Begrüßung"'
    )
    definition = parse_toml(text)
    assert definition["language"] == "de"
    assert list(definition["sections"][0]["criteria"][0]["label"]) == ["de", "pl"]
    assert parse_toml(to_toml(definition)) == definition


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('label = "Greeting"', 'label.en = "Greeting"\nlabel.xx = "Grüß"'),
            "test-call.toml: sections[1].criteria[1] (greeting).label: unknown language 'xx' "
            "in label.xx (allowed: en, de, pl, fi, nb)",
        ),
        (
            ('label = "Greeting"', 'label.en = "Greeting"\nlabel.en_GB = "Greeting"'),
            "test-call.toml: sections[1].criteria[1] (greeting).label: unknown language "
            "'en_GB' in label.en_GB (allowed: en, de, pl, fi, nb)",
        ),
        (
            ('label = "Greeting"', 'label.en = "Greeting"\nlabel.de = "  "'),
            "test-call.toml: sections[1].criteria[1] (greeting).label: the de text (label.de) "
            "must not be empty; leave the language out instead",
        ),
        (
            ('label = "Greeting"', 'label.de = "Begrüßung"'),
            "test-call.toml: sections[1].criteria[1] (greeting).label: has no text in the "
            "file's language 'en' (add label.en); it is shown where a translation is missing",
        ),
        (
            ('title = "Opening"', 'title.en = "Opening"\ntitle.fi = 3'),
            "test-call.toml: sections[1].title: the fi text (title.fi) must be text",
        ),
        (
            ('name = "Test call"', 'language = "sv"\nname = "Test call"'),
            "test-call.toml: language: unknown language 'sv' (allowed: en, de, pl, fi, nb)",
        ),
        # TOML itself refuses a text given both ways: translate it all as dotted keys.
        (
            ('name = "Test call"', 'name = "Test call"\nname.de = "Testanruf"'),
            "test-call.toml: (syntax): Cannot overwrite a value (at line 2, column 22)",
        ),
    ],
)
def test_translations_are_checked_at_their_field(change: tuple[str, str], expected: str) -> None:
    old, new = change
    assert SCORECARD_TOML.count(old) == 1
    assert expected in problems_of(SCORECARD_TOML.replace(old, new, 1))


def test_a_translation_longer_than_its_field_is_refused() -> None:
    text = SCORECARD_TOML.replace(
        'label = "Greeting"', f'label.en = "Greeting"\nlabel.nb = "{"x" * 201}"'
    )
    assert (
        "test-call.toml: sections[1].criteria[1] (greeting).label: the nb text (label.nb) is "
        "longer than 200 characters"
    ) in problems_of(text)


def test_the_file_languages_are_the_apps_without_british_english(app: Flask) -> None:
    languages = [code for code in app.config["LANGUAGES"] if code != "en_GB"]
    assert list(SCORECARD_LANGUAGES) == languages


def test_round_trip_writes_dotted_keys_and_reads_back_the_same() -> None:
    definition = parse_toml(TRANSLATED)
    text = to_toml(definition)
    assert 'label.en = "Greeting"\nlabel.de = "Begrüßung"\nlabel.pl = "Powitanie"\n' in text
    assert parse_toml(text) == definition
    assert validate_definition(tomllib.loads(text)) == definition


@pytest.mark.parametrize("name", ["inbound-call", "written-channels", "complaint-escalation"])
def test_shipped_scorecards_round_trip_with_their_translations(name: str) -> None:
    definition = parse_toml((SHIPPED_DIR / f"{name}.toml").read_text("utf-8"))
    assert set(definition["name"]) == set(SCORECARD_LANGUAGES)
    assert parse_toml(to_toml(definition)) == definition


# --- the reader's language ---------------------------------------------------------------


def test_localized_gives_the_readers_language_with_fallbacks(app: Flask) -> None:
    label = {"en": "Greeting", "de": "Begrüßung"}
    assert localized(label, language="de") == "Begrüßung"
    assert localized(label, language="en_GB") == "Greeting"
    assert localized(label, language="pl") == "Greeting"  # the file's language
    assert localized({"de": "Begrüßung", "pl": "Powitanie"}, "de", "fi") == "Begrüßung"
    assert localized({"pl": "Powitanie"}, "en", "fi") == "Powitanie"  # then any
    assert localized("Greeting", language="de") == "Greeting"
    with app.test_request_context(), force_locale("de"):
        assert reader_language() == "de"
        assert localized(label) == "Begrüßung"
    with app.test_request_context(), force_locale("en_GB"):
        assert reader_language() == "en"
        assert localized(label) == "Greeting"


def test_a_language_missing_for_one_criterion_falls_back_for_that_one_only(app: Flask) -> None:
    definition = parse_toml(TRANSLATED)
    with app.test_request_context(), force_locale("pl"):
        shown = localized_definition(definition)
    greeting, empathy = shown["sections"][0]["criteria"]
    assert greeting["label"] == "Powitanie"
    assert greeting["guidance"] == "Names the brand and themselves."  # no Polish guidance
    assert empathy["label"] == "Empathy"
    assert [c["key"] for c in (greeting, empathy)] == ["greeting", "empathy"]
    assert definition["sections"][0]["criteria"][0]["label"]["pl"] == "Powitanie"  # unchanged


def test_a_german_file_falls_back_to_german() -> None:
    definition = parse_toml(
        'language = "de"\n'
        + SCORECARD_TOML.replace('label = "Greeting"', 'label.de = "Begrüßung"\nlabel.en = "Hi"')
    )
    shown = localized_definition(definition, "fi")
    assert shown["sections"][0]["criteria"][0]["label"] == "Begrüßung"


# --- sync --------------------------------------------------------------------------------


def test_sync_makes_a_version_of_new_translations_and_keeps_the_columns(
    app: Flask, tmp_path: Path
) -> None:
    folder = tmp_path / "cards"
    folder.mkdir()
    file = folder / "test-call.toml"
    file.write_text(SCORECARD_TOML, encoding="utf-8")
    runner = app.test_cli_runner()
    first = runner.invoke(args=["scorecards", "sync", "--dir", str(folder)])
    assert first.exit_code == 0, first.output
    file.write_text(TRANSLATED, encoding="utf-8")

    result = runner.invoke(args=["scorecards", "sync", "--dir", str(folder)])

    assert result.exit_code == 0, result.output
    assert "new version     test-call (version 2)" in result.output
    with app.app_context():
        version = db.session.scalar(sa.select(ScorecardVersion).where(ScorecardVersion.number == 2))
        assert version is not None
        assert version.definition == parse_toml(TRANSLATED)
        labels = db.session.scalars(
            sa.select(ScorecardCriterion.label)
            .where(ScorecardCriterion.version_id == version.id)
            .order_by(ScorecardCriterion.position)
        ).all()
        assert labels == ["Greeting", "Empathy"]
        assert db.session.scalar(sa.select(Scorecard.name)) == "Test call"
    again = runner.invoke(args=["scorecards", "sync", "--dir", str(folder)])
    assert "1 unchanged" in again.output


# --- pages -------------------------------------------------------------------------------


def text_of(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))).strip()


def sync_shipped(app: Flask, tmp_path: Path) -> Path:
    """Load a copy of the shipped scorecards and catalogue with `scorecards sync`."""
    folder = tmp_path / "scorecards"
    shutil.copytree(SHIPPED_DIR, folder)
    result = app.test_cli_runner().invoke(args=["scorecards", "sync", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def shipped(app: Flask, tmp_path: Path) -> dict[str, Any]:
    """The shipped scorecards and catalogue, loaded; returns inbound-call.toml as read."""
    folder = sync_shipped(app, tmp_path)
    return tomllib.loads((folder / "inbound-call.toml").read_text("utf-8"))


def set_locale(app: Flask, user: User, locale: str) -> None:
    with app.app_context():
        row = db.session.get(User, user.id)
        assert row is not None
        row.locale = locale
        db.session.commit()


def test_evaluation_form_in_german_shows_the_german_label_and_guidance(
    app: Flask,
    org: Organisation,
    shipped: dict[str, Any],
    make_evaluation: Callable[..., Any],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    set_locale(app, org.supervisor_a, "de")
    evaluation = make_evaluation("draft", scorecard="inbound-call")
    browser = sign_in_as(org.supervisor_a)

    page = text_of(browser.get(f"/evaluations/{evaluation.id}/edit").get_data(as_text=True))

    criteria = [c for section in shipped["sections"] for c in section["criteria"]]
    for criterion in criteria:
        assert criterion["label"]["de"] in page, criterion["key"]
        assert " ".join(criterion["guidance"]["de"].split()) in page, criterion["key"]
        assert " ".join(criterion["guidance"]["en"].split()) not in page, criterion["key"]
    for section in shipped["sections"]:
        assert section["title"]["de"] in page
    assert shipped["name"]["de"] in page
    assert "Greeting and opening" not in page


def test_the_agents_view_in_polish_shows_the_polish_guidance(
    app: Flask,
    org: Organisation,
    shipped: dict[str, Any],
    make_evaluation: Callable[..., Any],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    criteria = [c for section in shipped["sections"] for c in section["criteria"]]
    answers = {c["key"]: True if c["kind"] == "yes_no" else c.get("max", 5) for c in criteria}
    evaluation = make_evaluation("released", scorecard="inbound-call", answers=answers)
    set_locale(app, org.agent_a1, "pl")
    browser = sign_in_as(org.agent_a1)

    page = text_of(browser.get(f"/evaluations/{evaluation.id}").get_data(as_text=True))

    for criterion in criteria:
        assert criterion["label"]["pl"] in page, criterion["key"]
        assert " ".join(criterion["guidance"]["pl"].split()) in page, criterion["key"]
    assert shipped["name"]["pl"] in page
    assert "Greeting and opening" not in page


def test_reports_name_criteria_in_the_readers_language(app: Flask, tmp_path: Path) -> None:
    """Dashboards and the agent page group answers by key in SQL and name each criterion
    by its stored label (the file's language); the reader gets their language."""
    from qa_app.notifications.messages import text as notification_text
    from qa_app.notifications.models import NotificationKind
    from qa_app.scorecards.services import labels_in_reader_language

    folder = tmp_path / "cards"
    folder.mkdir()
    (folder / "test-call.toml").write_text(TRANSLATED, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["scorecards", "sync", "--dir", str(folder)])
    assert result.exit_code == 0, result.output
    stored = {"greeting": "Greeting", "empathy": "Empathy"}
    with app.test_request_context():
        with force_locale("de"):
            assert labels_in_reader_language(stored) == {
                "greeting": "Begrüßung",
                "empathy": "Empathy",
            }
            name = {"en": "Inbound service call", "de": "Eingehender Serviceanruf"}
            sentence = notification_text(
                NotificationKind.FEEDBACK_RELEASED,
                {"scorecard": name, "occurred_at": "2026-11-02T10:00:00+00:00"},
                {},
            )
            assert "Eingehender Serviceanruf" in sentence
        with force_locale("en_GB"):
            assert labels_in_reader_language(stored) == stored
