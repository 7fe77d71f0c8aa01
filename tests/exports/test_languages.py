"""Workbooks in the reader's language: sheet names, headers, statuses and channels, and the
date formats of the language chosen on the Exports page (the user's own by default) or on
the command line (--lang, the centre's by default); numbers stay numbers and dates dates,
and the keys other tools read (criterion keys, the audit trail's row counts) stay English."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path
from typing import Any

import lxml.html
import openpyxl
import pytest
import sqlalchemy as sa
from babel import Locale
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from flask_babel import gettext as _

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import User
from qa_app.exports.audit_workbook import AUDIT_SHEETS
from qa_app.exports.audit_workbook import COLUMNS as AUDIT_COLUMNS
from qa_app.exports.feedback_workbook import FEEDBACK_SHEETS, OVERVIEW_COLUMNS
from qa_app.exports.services import value_label, workbook_language
from qa_app.exports.sheet_language import SheetLanguage, sheet_language, valid_sheet_title
from qa_app.exports.workbook import ANSWER_COLUMNS, EVALUATION_HEAD, EVALUATIONS_SHEETS, SUMMARY
from qa_app.extensions import db
from tests.conftest import Organisation, post_form
from tests.support.exports_data import WEEK, days, seed_export_data

ALL_SHEETS = (EVALUATIONS_SHEETS, FEEDBACK_SHEETS, AUDIT_SHEETS)


@pytest.fixture
def data(
    app: Flask, org: Organisation, make_scorecard: Any, make_evaluation: Any
) -> dict[str, Any]:
    return seed_export_data(app, org, make_scorecard, make_evaluation)


def in_language(app: Flask, language: str, words: list[str]) -> list[str]:
    """`words` as the catalogue of `language` has them."""
    with app.test_request_context(), force_locale(language):
        return [_(word) for word in words]


def set_locale(app: Flask, user: User, locale: str | None) -> None:
    with app.app_context():
        db.session.get(User, user.id).locale = locale
        db.session.commit()


def download(client: FlaskClient, path: str, form: dict[str, str]) -> openpyxl.Workbook:
    response = post_form(client, path, form, token_from=path)
    data = response.get_data()
    response.close()  # deletes the temporary file, as a WSGI server does
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return openpyxl.load_workbook(io.BytesIO(data))


def evaluations_form(**fields: str) -> dict[str, str]:
    return {
        "start": WEEK[0].isoformat(),
        "end": WEEK[1].isoformat(),
        "team_id": "0",
        "agent_id": "0",
        "scorecard": "",
        "channel": "",
        **fields,
    }


@pytest.mark.parametrize(
    ("language", "day", "moment"),
    [
        ("en", "mm/dd/yyyy", "mm/dd/yyyy h:mm AM/PM"),
        ("en_GB", "dd/mm/yyyy", "dd/mm/yyyy hh:mm"),
        ("de", "dd.mm.yyyy", "dd.mm.yyyy hh:mm"),
        ("pl", "dd.mm.yyyy", "dd.mm.yyyy hh:mm"),
        ("fi", "dd.mm.yyyy", "dd.mm.yyyy hh:mm"),
        ("nb", "dd.mm.yyyy", "dd.mm.yyyy hh:mm"),
    ],
)
def test_each_language_writes_dates_its_own_way(language: str, day: str, moment: str) -> None:
    written = sheet_language(Locale.parse(language), str)
    assert (written.date, written.date_time) == (day, moment)


@pytest.mark.parametrize(
    "title", ["", "x" * 32, "Kriterien/Team", "a:b", "[Bewertungen]", "Wer?", "'Team", "History"]
)
def test_a_name_excel_refuses_is_not_a_sheet_name(title: str) -> None:
    assert not valid_sheet_title(title)
    # A translation Excel would refuse: the sheet keeps its English name.
    assert SheetLanguage(translate=lambda _name: title).sheet_title("Evaluations") == "Evaluations"


def test_sheet_names_are_valid_and_distinct_in_every_language(app: Flask) -> None:
    """Every language of the catalogues, every workbook: each translated name is one that
    Excel and LibreOffice accept as it is, and no two sheets of a workbook share one."""
    for language in app.config["LANGUAGES"]:
        for sheets in ALL_SHEETS:
            translated = in_language(app, language, list(sheets))
            assert all(valid_sheet_title(title) for title in translated), (language, translated)
            assert len(set(translated)) == len(translated), (language, translated)
            with app.test_request_context(), force_locale(language):
                assert workbook_language().sheet_titles(sheets) == translated
    assert in_language(app, "de", ["Evaluations"]) == ["Bewertungen"]


def test_a_workbook_in_the_language_chosen_on_the_exports_page(
    app: Flask, org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    """An English manager writes a German workbook."""
    book = download(sign_in_as(org.manager), "/exports/", evaluations_form(language="de"))
    sheets = in_language(app, "de", list(EVALUATIONS_SHEETS))
    assert book.sheetnames == sheets and "Bewertungen" in sheets
    evaluations = book[sheets[1]]
    header = [cell.value for cell in evaluations[1]]
    expected = in_language(app, "de", [column.header for column in EVALUATION_HEAD])
    assert header[: len(EVALUATION_HEAD)] == expected and header[0] == "Bewertungs-ID"
    rows = list(evaluations.iter_rows(min_row=2))
    status, channel = header.index("Status"), header.index("Kanal")
    with app.test_request_context(), force_locale("de"):
        names = {value_label(value) for value in ("phone", "chat", "released")}
    assert {row[channel].value for row in rows} <= names and "Telefon" in names
    assert "neues Feedback" in {row[status].value for row in rows}
    submitted = rows[0][header.index("Eingereicht")]
    assert isinstance(submitted.value, datetime)
    assert submitted.number_format == "dd.mm.yyyy hh:mm"
    assert isinstance(rows[0][header.index("Ergebnis")].value, int | float)
    answers = book[sheets[2]]
    answer_header = [cell.value for cell in answers[1]]
    assert answer_header == in_language(app, "de", [c.header for c in ANSWER_COLUMNS])
    assert {row[1] for row in answers.iter_rows(min_row=2, values_only=True)} == {
        "greeting", "empathy", "verification", "accuracy",
    }  # fmt: skip  # criterion keys stay the keys
    (chart,) = book[sheets[-1]]._charts
    assert chart.series[0].val.numRef.f == f"'{book.sheetnames[0]}'!$E$2:$E$5"
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "export.evaluations")
        )
    assert set(event.after["rows"]) == {SUMMARY, "Evaluations", "Answers", "Criteria", "Training"}


def test_the_users_own_language_is_the_default(
    app: Flask, org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    set_locale(app, org.manager, "pl")
    manager = sign_in_as(org.manager)
    page = lxml.html.fromstring(manager.get("/exports/").get_data(as_text=True))
    assert page.xpath("//select[@name='language']/option[@selected]/@value") == ["pl"]
    listed = [tag.text_content() for tag in page.xpath("//*[@data-sheets]//*[@data-sheet]")]
    sheets = in_language(app, "pl", list(EVALUATIONS_SHEETS))
    assert listed == sheets != list(EVALUATIONS_SHEETS)
    # A script posting the form as it was before it had a language: the user's own.
    assert download(manager, "/exports/", evaluations_form()).sheetnames == sheets


def test_a_language_the_app_does_not_speak_is_refused(
    org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    manager = sign_in_as(org.manager)
    response = post_form(manager, "/exports/", evaluations_form(language="xx"), "/exports/")
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_the_feedback_workbook_in_the_agents_language(
    app: Flask, org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    form = {
        "agent_id": str(org.agent_a1.id),
        "start": WEEK[0].isoformat(),
        "end": WEEK[1].isoformat(),
        "language": "fi",
    }
    book = download(sign_in_as(org.supervisor_a), "/exports/feedback", form)
    sheets = in_language(app, "fi", list(FEEDBACK_SHEETS))
    assert book.sheetnames == sheets and "Arvioinnit" in sheets
    overview = book[sheets[0]]
    header = [cell.value for cell in overview[1]][:2]
    assert header == in_language(app, "fi", [c.header for c in OVERVIEW_COLUMNS[:2]])
    labels = [row[0].value for row in overview.iter_rows(min_row=2, max_row=5)]
    assert labels == in_language(app, "fi", ["Agent", "Team", "From", "To"])
    start = overview["B4"]
    assert start.value == datetime.combine(WEEK[0], datetime.min.time())
    assert start.number_format == "dd.mm.yyyy"


def test_the_audit_trail_in_the_readers_language(
    app: Flask, org: Organisation, sign_in_as: Any
) -> None:
    set_locale(app, org.admin, "de")
    form = {"start": WEEK[0].isoformat(), "end": WEEK[1].isoformat()}
    book = download(sign_in_as(org.admin), "/audit/export", form)
    assert book.sheetnames == ["Protokoll"]
    sheet = book["Protokoll"]
    assert [cell.value for cell in sheet[1]] == in_language(
        app, "de", [column.header for column in AUDIT_COLUMNS]
    )
    when = sheet["A2"]  # signing in is on the trail
    assert isinstance(when.value, datetime) and when.number_format == "dd.mm.yyyy hh:mm"


def test_the_command_writes_the_language_asked_for_else_the_centres(
    app: Flask, runner: Any, data: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "qa.xlsx"
    result = runner.invoke(args=["export", "evaluations", str(out), *days(*WEEK), "--lang", "de"])
    assert result.exit_code == 0, result.output
    assert "Summary 4 rows, Evaluations 6 rows" in result.stdout  # the keys, as audited
    assert openpyxl.load_workbook(out).sheetnames == in_language(
        app, "de", list(EVALUATIONS_SHEETS)
    )
    british = tmp_path / "gb.xlsx"
    result = runner.invoke(args=["export", "evaluations", str(british), "--lang", "en-GB"])
    assert result.exit_code == 0, result.output
    assert openpyxl.load_workbook(british)["Evaluations"]["B2"].number_format == (
        "dd/mm/yyyy hh:mm"
    )
    app.config["BABEL_DEFAULT_LOCALE"] = "nb"
    default = tmp_path / "nb.xlsx"
    assert runner.invoke(args=["export", "evaluations", str(default)]).exit_code == 0
    sheets = in_language(app, "nb", list(EVALUATIONS_SHEETS))
    assert openpyxl.load_workbook(default).sheetnames == sheets != list(EVALUATIONS_SHEETS)
    refused = runner.invoke(
        args=["export", "evaluations", str(tmp_path / "x.xlsx"), "--lang", "xx"]
    )
    assert refused.exit_code == 2
    assert "no language 'xx'; choose one of en, en_GB, de, pl, fi, nb" in refused.output
    assert not (tmp_path / "x.xlsx").exists()


def test_criterion_texts_follow_the_workbook_language(
    app: Flask, org: Organisation, make_scorecard: Any, make_evaluation: Any, sign_in_as: Any
) -> None:
    """A scorecard written in two languages: the German workbook names its criterion and
    section in German, the English one in English; the key column stays the key."""

    def in_two_languages(text: str) -> str:
        return (
            text.replace('title = "Opening"', 'title.en = "Opening"\ntitle.de = "Eröffnung"', 1)
            .replace('label = "Greeting"', 'label.en = "Greeting"\nlabel.de = "Begrüßung"', 1)
            .replace('label = "Verification"', 'label.en = "Verification"\nlabel.de = "Identität"')
        )

    seed_export_data(app, org, lambda text: make_scorecard(in_two_languages(text)), make_evaluation)
    manager = sign_in_as(org.manager)
    for language, label, section, verification in (
        ("de", "Begrüßung", "Eröffnung", "Identität"),
        ("en", "Greeting", "Opening", "Verification"),
    ):
        book = download(manager, "/exports/", evaluations_form(language=language))
        answers = book[book.sheetnames[2]]
        greeting = {
            row[2:4]
            for row in answers.iter_rows(min_row=2, values_only=True)
            if row[1] == "greeting"
        }
        # (the chat scorecard's "greeting" is written in English only: English everywhere)
        assert greeting == {(label, section), ("Greeting in chat", "Conversation")}
        # The Evaluations sheet's column of a key only the call scorecard has.
        assert verification in [cell.value for cell in book[book.sheetnames[1]][1]]
