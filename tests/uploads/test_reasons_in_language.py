"""Why an import refuses a file is told in the reader's language: on the web page in the
user's, on the command line in the centre's (QA_DEFAULT_LOCALE); English stays English."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from qa_app.auth.models import User
from qa_app.day_range import last_day
from qa_app.extensions import db
from tests.conftest import Organisation, post_form
from tests.support.catalogue import add_translations, in_language

OUTSIDE = "outside the days this app accepts (%(first)s to %(last)s)"  # translated already
UNKNOWN_CHANNEL = "unknown channel (use phone, chat, email, in_person or social)"
PLACED = 'row %(row)s, column "%(column)s" ("%(value)s"): %(reason)s'
# Test translations of messages the catalogues do not have yet (see tests.support.catalogue).
GERMAN = {
    UNKNOWN_CHANNEL: "TEST unbekannter Kanal",
    PLACED: 'TEST Zeile %(row)s, Spalte "%(column)s" („%(value)s“): %(reason)s',
}
INTERACTIONS = (
    "Agent,Channel,Date,Call ID\n"
    "a1@example.test,fax,2026-11-02 09:00,C-1\n"
    "a1@example.test,phone,1999-01-04 09:00,C-2\n"
)
STATS = "Agent;Date;Calls Handled;Handle Time\na1@example.test;1999-01-04;3;600\n"


def _outside(app: Flask, locale: str) -> str:
    return in_language(app, locale, OUTSIDE, first="2000-01-01", last=last_day().isoformat())


def _speaks(app: Flask, user: User, locale: str | None) -> None:
    with app.app_context():
        db.session.get_one(User, user.id).locale = locale
        db.session.commit()


@pytest.mark.parametrize(
    ("path", "data"),
    [("/interactions/import", INTERACTIONS), ("/stats/import", STATS)],
    ids=["interactions", "stats"],
)
def test_the_web_page_gives_the_reasons_in_the_users_language(
    app: Flask,
    org: Organisation,
    sign_in_as: Any,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    data: str,
) -> None:
    add_translations(app, monkeypatch, "de", GERMAN)
    german = _outside(app, "de")
    assert german != _outside(app, "en")  # the catalogue has it: the real German words
    _speaks(app, org.manager, "de")
    client = sign_in_as(org.manager)
    form = {"source": "pbx", "file": (io.BytesIO(data.encode()), "file.csv")}
    page = post_form(client, path, form, content_type="multipart/form-data")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert german in html
    assert ("TEST unbekannter Kanal" in html) is (path == "/interactions/import")
    assert _outside(app, "en") not in html

    _speaks(app, org.manager, "en")  # the same file in English: English reasons
    form = {"source": "pbx", "file": (io.BytesIO(data.encode()), "file.csv")}
    html = post_form(client, path, form, content_type="multipart/form-data").get_data(as_text=True)
    assert _outside(app, "en") in html and german not in html
    assert "TEST" not in html


@pytest.mark.parametrize(
    ("command", "data"),
    [("import-interactions", INTERACTIONS), ("import-stats", STATS)],
    ids=["interactions", "stats"],
)
def test_the_command_line_speaks_the_centres_language(
    app: Flask,
    org: Organisation,
    runner: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
    data: str,
) -> None:
    add_translations(app, monkeypatch, "de", GERMAN)
    path = tmp_path / "file.csv"
    path.write_text(data, encoding="utf-8")
    english = runner.invoke(args=[command, str(path)])
    assert english.exit_code == 1
    assert _outside(app, "en") in english.stderr and "TEST" not in english.stderr

    monkeypatch.setitem(app.config, "BABEL_DEFAULT_LOCALE", "de")  # QA_DEFAULT_LOCALE=de
    german = runner.invoke(args=[command, str(path)])
    assert german.exit_code == 1
    lines = german.stderr.splitlines()
    column = "Date"
    placed = f'  TEST Zeile {2 if command == "import-stats" else 3}, Spalte "{column}"'
    assert any(line.startswith(placed) for line in lines), german.stderr
    assert _outside(app, "de") in german.stderr
    assert _outside(app, "en") not in german.stderr
    if command == "import-interactions":
        assert '  TEST Zeile 2, Spalte "Channel" („fax“): TEST unbekannter Kanal' in lines
