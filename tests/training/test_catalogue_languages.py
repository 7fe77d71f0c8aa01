"""The training catalogue in several languages: training.toml's translated texts, their
checks, and the catalogue and plan pages in the reader's language."""

from __future__ import annotations

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
from qa_app.scorecards.definition import DefinitionError
from qa_app.training.catalogue import validate_catalogue
from qa_app.training.models import TrainingModule
from tests.conftest import Organisation
from tests.scorecards.test_texts import sync_shipped, text_of
from tests.training.test_catalogue import base


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        validate_catalogue(data)
    return [str(problem) for problem in caught.value.problems]


def test_a_module_text_may_be_a_table_of_languages() -> None:
    data = base()
    data["modules"][0]["title"] = {"en": "Greeting and opening", "pl": "Powitanie"}
    data["modules"][0]["skill"] = {"en": "Call opening"}
    module = validate_catalogue(data).modules[0]
    assert module.title == "Greeting and opening"  # the file's language, for the column
    assert module.skill == "Call opening"
    assert module.translations == {"title": {"en": "Greeting and opening", "pl": "Powitanie"}}


def test_a_german_catalogue_keeps_german_in_the_columns() -> None:
    data = base()
    data["language"] = "de"
    data["modules"][0]["title"] = {"en": "Greeting", "de": "Begrüßung"}
    assert validate_catalogue(data).modules[0].title == "Begrüßung"


@pytest.mark.parametrize(
    ("title", "language", "expected"),
    [
        (
            {"en": "Greeting", "sv": "Hälsning"},
            "en",
            "training.toml: modules[1].title: unknown language 'sv' in title.sv "
            "(allowed: en, de, pl, fi, nb)",
        ),
        (
            {"en": "Greeting", "de": ""},
            "en",
            "training.toml: modules[1].title: the de text (title.de) must not be empty; "
            "leave the language out instead",
        ),
        (
            {"de": "Begrüßung"},
            "en",
            "training.toml: modules[1].title: has no text in the file's language 'en' "
            "(add title.en); it is shown where a translation is missing",
        ),
        (
            "Greeting",
            "xx",
            "training.toml: language: unknown language 'xx' (allowed: en, de, pl, fi, nb)",
        ),
    ],
)
def test_translations_in_the_catalogue_are_checked(
    title: Any, language: str, expected: str
) -> None:
    data = base()
    data["language"] = language
    data["modules"][0]["title"] = title
    assert expected in problems(data)


@pytest.fixture
def loaded(app: Flask, tmp_path: Path) -> dict[str, Any]:
    """The shipped files loaded by `scorecards sync`; returns training.toml as read."""
    folder = sync_shipped(app, tmp_path)
    return tomllib.loads((folder / "training.toml").read_text("utf-8"))


def test_the_training_catalogue_in_polish(
    app: Flask,
    org: Organisation,
    loaded: dict[str, Any],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    with app.app_context():
        agent = db.session.get(User, org.agent_a1.id)
        assert agent is not None
        agent.locale = "pl"
        db.session.commit()
    browser = sign_in_as(org.agent_a1)

    page = text_of(browser.get("/training/catalogue").get_data(as_text=True))

    for module in loaded["modules"]:
        assert module["title"]["pl"] in page, module["key"]
        assert module["skill"]["pl"] in page, module["key"]
        assert " ".join(module["description"]["pl"].split()) in page, module["key"]
        assert " ".join(module["description"]["en"].split()) not in page, module["key"]
    assert "Active listening" not in page


def test_a_module_without_the_readers_language_shows_the_files(
    app: Flask, loaded: dict[str, Any]
) -> None:
    with app.test_request_context():
        module = db.session.scalar(
            sa.select(TrainingModule).where(TrainingModule.key == "active-listening")
        )
        assert module is not None
        assert module.title == "Active listening"
        module.translations = {"title": {"en": "Active listening", "de": "Aktives Zuhören"}}
        with force_locale("fi"):
            assert module.text("title") == "Active listening"
        with force_locale("de"):
            assert module.text("title") == "Aktives Zuhören"
            assert module.text("skill") == "Listening"  # not translated here
        with force_locale("en_GB"):
            assert module.text("title") == "Active listening"
        db.session.rollback()
