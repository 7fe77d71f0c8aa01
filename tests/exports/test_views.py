"""The evaluations workbook from the web: sheets, numbers against the database, cell types,
formula injection, scope, download headers and the audit trail."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time, timedelta
from statistics import fmean
from typing import Any

import lxml.html
import openpyxl
import pytest
import sqlalchemy as sa
from babel.dates import format_date
from flask import Flask
from flask.testing import FlaskClient

from qa_app.audit.models import AuditEvent
from qa_app.evaluations.models import Answer, Evaluation
from qa_app.extensions import db
from qa_app.stats.agent_performance import agent_performance
from qa_app.stats.filters import ReportFilters
from tests.conftest import Organisation, post_form
from tests.support.exports_data import PAYLOAD_NAME, PAYLOADS, WEEK, seed_export_data
from tests.support.workbooks import check_print_setup, check_text_cells

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEETS = ["Summary", "Evaluations", "Answers", "Criteria", "Training"]  # those with rows
CHART = "Chart"  # the chart sheet, last
EVALUATION_HEADERS = [
    "Evaluation id", "Submitted", "Interaction", "Agent", "Team", "Evaluator", "Scorecard",
    "Version", "Channel", "External reference", "Status", "Score", "Raw score", "Auto-fail",
    "Passed",
    # Both scorecards' keys once; the shared `greeting` is labelled as in the latest version.
    "Greeting in chat", "Empathy", "Verification", "Accuracy",
    "Overall comment", "Strengths", "Opportunities",
]  # fmt: skip


@pytest.fixture
def data(
    app: Flask, org: Organisation, make_scorecard: Any, make_evaluation: Any
) -> dict[str, Any]:
    return seed_export_data(app, org, make_scorecard, make_evaluation)


def export(client: FlaskClient, **fields: Any) -> Any:
    """POST the export form for the seeded week (fields override)."""
    form = {
        "start": WEEK[0].isoformat(),
        "end": WEEK[1].isoformat(),
        "team_id": "0",
        "agent_id": "0",
        "scorecard": "",
        "channel": "",
        **fields,
    }
    response = post_form(client, "/exports/", form, token_from="/exports/")
    response.get_data()
    response.close()  # as a WSGI server does: closes (and so deletes) the temporary file
    return response


def workbook(response: Any) -> openpyxl.Workbook:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == XLSX
    return openpyxl.load_workbook(io.BytesIO(response.data))


def records(sheet: Any) -> list[dict[str, Any]]:
    """The data rows of a sheet's first block, as dicts by header."""
    rows = sheet.iter_rows(values_only=True)
    header = next(rows)
    result = []
    for row in rows:
        if all(value is None for value in row):
            break
        result.append(dict(zip(header, row, strict=True)))
    return result


def scored_in_week(app: Flask, *agents: int) -> list[Evaluation]:
    """The database's own answer: scored evaluations submitted in the week, by id."""
    start = datetime.combine(WEEK[0], time.min, UTC)
    with app.app_context():
        query = sa.select(Evaluation).where(
            Evaluation.status != "draft", Evaluation.submitted_at >= start
        )
        if agents:
            query = query.where(Evaluation.agent_id.in_(agents))
        result = list(db.session.scalars(query.order_by(Evaluation.id)))
        db.session.expunge_all()
        return result


def test_the_workbook_has_five_sheets_whose_rows_match_the_database_and_a_chart(
    app: Flask, org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    book = workbook(export(sign_in_as(org.manager)))
    assert book.sheetnames == [*SHEETS, CHART]
    expected = scored_in_week(app)
    ids = [evaluation.id for evaluation in expected]
    assert data["a1_old"] not in ids and data["b2_draft"] not in ids and len(ids) == 6
    evaluations = records(book["Evaluations"])
    assert [row["Evaluation id"] for row in evaluations] == ids
    assert [row["Score"] for row in evaluations] == [e.score for e in expected]
    assert [row["Raw score"] for row in evaluations] == [e.raw_score for e in expected]
    assert [row["Auto-fail"] for row in evaluations] == [e.auto_failed for e in expected]
    with app.app_context():
        answers = db.session.execute(
            sa.select(Answer.evaluation_id, Answer.criterion_key, Answer.normalised)
            .where(Answer.evaluation_id.in_(ids))
            .order_by(Answer.evaluation_id, Answer.criterion_key)
        ).all()
    exported = [
        (row["Evaluation id"], row["Criterion key"], row["Normalised"])
        for row in records(book["Answers"])
    ]
    assert sorted(exported, key=lambda row: row[:2]) == [tuple(row) for row in answers]
    assert len(exported) == 17
    summary = records(book["Summary"])
    # By team, then name ("=HYPERLINK…" before "Agent 10"). B2 has no evaluation in the week
    # but has statistics: a row with 0 evaluations.
    assert [row["E-mail"] for row in summary] == [
        "a1@example.test", "a2@example.test", "b2@example.test", "b1@example.test",
    ]  # fmt: skip
    assert summary[2]["Agent"] == PAYLOAD_NAME  # as typed, quote-prefixed (below)
    assert book["Summary"]["A4"].quotePrefix and book["Summary"]["A4"].data_type == "s"
    assert [row["Evaluations"] for row in summary] == [3, 1, 0, 2]
    assert [row["Team"] for row in records(book["Criteria"])] == ["Team A", "Team B", "All teams"]


def test_headers_frozen_rows_filters_chart_and_colours(
    org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    book = workbook(export(sign_in_as(org.manager)))
    headers = {name: [cell.value for cell in book[name][1]] for name in SHEETS}
    assert headers["Summary"] == [
        "Agent", "E-mail", "Team", "Evaluations", "QA average", "QA n", "QA low (95% CI)",
        "QA high (95% CI)", "Pass rate", "Critical failures", "Average handle time",
        "Contacts per hour", "CSAT", "NPS", "First contact resolution", "KPI index", "Composite",
        "Composite flags",
    ]  # fmt: skip
    assert headers["Evaluations"] == EVALUATION_HEADERS
    assert headers["Answers"] == [
        "Evaluation id", "Criterion key", "Criterion", "Section", "Kind", "Value", "Normalised",
        "N/A", "Comment",
    ]  # fmt: skip
    assert headers["Criteria"] == [
        "Team",
        "Greeting in chat",
        "Empathy",
        "Verification",
        "Accuracy",
    ]
    for name in SHEETS:
        sheet = book[name]
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].font.bold and sheet["A1"].fill.fgColor.rgb.endswith("305496")
        assert sheet.column_dimensions["B"].width >= 10
    assert book["Summary"].auto_filter.ref == "A1:R5"  # R: the composite flags
    assert book["Evaluations"].auto_filter.ref == "A1:V7"
    assert book["Answers"].auto_filter.ref == "A1:I18"
    assert book["Criteria"].auto_filter.ref == "A1:E4"
    # The chart prints on a page of its own: on a chart sheet, not beside the Summary table.
    assert book["Summary"]._charts == []
    (chart,) = book[CHART]._charts
    assert chart.tagname == "barChart"
    assert chart.series[0].val.numRef.f == "'Summary'!$E$2:$E$5"  # the four agents' QA
    colours = book["Criteria"].conditional_formatting
    assert [(str(rule.sqref), rule.rules[0].type) for rule in colours] == [("B2:E4", "colorScale")]


def test_cells_are_real_dates_numbers_and_percentages(
    org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    book = workbook(export(sign_in_as(org.manager)))
    evaluations = book["Evaluations"]
    for row in evaluations.iter_rows(min_row=2):
        by_header = {header: cell for header, cell in zip(EVALUATION_HEADERS, row, strict=True)}
        assert isinstance(by_header["Submitted"].value, datetime)
        assert by_header["Submitted"].number_format == "mm/dd/yyyy h:mm AM/PM"  # US English
        assert isinstance(by_header["Evaluation id"].value, int)
        assert isinstance(by_header["Score"].value, int | float)
        assert by_header["Auto-fail"].data_type == "b"
        for header in ("Empathy", "Verification", "Accuracy"):
            if by_header[header].value is not None:
                assert by_header[header].number_format == "0.0%"
                assert 0 <= by_header[header].value <= 1
    summary = {row[1].value: row for row in book["Summary"].iter_rows(min_row=2)}
    a1 = summary["a1@example.test"]
    # Passed: the good call; not the one at 50 (N/A empathy, no greeting) nor the auto-fail.
    assert a1[8].number_format == "0.0%" and a1[8].value == pytest.approx(1 / 3)  # pass rate
    assert a1[12].number_format == "0.0%" and a1[12].value == pytest.approx(0.8)  # CSAT 24/30
    # AHT 300 s: a duration (Excel's days) shown as minutes and seconds, "5:00".
    assert a1[10].number_format == "[m]:ss" and a1[10].value == timedelta(seconds=300)
    criteria = book["Criteria"]
    assert criteria["C2"].number_format == "0.0%"
    assert criteria["A6"].value == "Answers (n)" and criteria["A6"].font.bold
    assert isinstance(criteria["B7"].value, int)


def test_summary_numbers_follow_design_and_match_the_agent_page(
    app: Flask, org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    book = workbook(export(sign_in_as(org.manager)))
    a1 = {row["E-mail"]: row for row in records(book["Summary"])}["a1@example.test"]
    scores = [e.score for e in scored_in_week(app, org.agent_a1.id)]
    assert a1["QA average"] == pytest.approx(fmean(scores)) and a1["QA n"] == 3
    assert a1["Critical failures"] == 1
    with app.app_context():
        picture = agent_performance(ReportFilters(*WEEK, agent_id=org.agent_a1.id))
    assert (a1["QA low (95% CI)"], a1["QA high (95% CI)"]) == pytest.approx(
        (picture.qa.low, picture.qa.high)
    )
    assert a1["KPI index"] == pytest.approx(picture.kpi_index)
    assert a1["Composite"] == pytest.approx(picture.composite)
    b1 = {row["E-mail"]: row for row in records(book["Summary"])}["b1@example.test"]
    assert b1["KPI index"] is not None and b1["Composite"] is None  # 2 < MIN_EVALUATIONS


def test_criteria_sheet_is_the_mean_r_of_non_na_answers(
    app: Flask, org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    book = workbook(export(sign_in_as(org.manager)))
    sheet = book["Criteria"]
    ids = [e.id for e in scored_in_week(app, org.agent_a1.id, org.agent_a2.id)]
    with app.app_context():
        empathy = list(
            db.session.scalars(
                sa.select(Answer.normalised).where(
                    Answer.evaluation_id.in_(ids),
                    Answer.criterion_key == "empathy",
                    Answer.is_na.is_(False),
                )
            )
        )
    assert len(empathy) == 2  # A1's N/A answer is left out
    assert sheet["C2"].value == pytest.approx(fmean(empathy))
    assert sheet["C7"].value == 2
    # greeting: A1 yes, no, yes and A2 yes in team A
    assert sheet["B2"].value == pytest.approx(0.75) and sheet["B7"].value == 4


def test_no_cell_becomes_a_formula(
    org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    response = export(sign_in_as(org.manager))
    cells = check_text_cells(response.data)
    texts = [
        cell.value
        for sheet in cells.book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str)
    ]
    quoted = {cell.value for cell in cells.quoted}
    for payload in PAYLOADS:  # exactly as typed, with the quote-prefix style
        assert payload in texts and payload in quoted, payload
    assert PAYLOAD_NAME in quoted
    assert "A bell \ufffd rang." in texts  # the BEL character openpyxl refuses, replaced


def test_every_sheet_prints_landscape_one_page_wide_with_its_header_row(
    org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    book = workbook(export(sign_in_as(org.manager)))
    check_print_setup(book)
    assert [sheet.title for sheet in book.chartsheets] == [CHART]


def test_each_page_names_the_sheets_its_workbook_holds(
    org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    manager = sign_in_as(org.manager)

    def listed(path: str) -> list[str]:
        page = lxml.html.fromstring(manager.get(path).get_data(as_text=True))
        return [tag.text_content() for tag in page.xpath("//*[@data-sheets]//*[@data-sheet]")]

    assert listed("/exports/") == workbook(export(manager)).sheetnames
    form = {
        "agent_id": str(org.agent_a1.id),
        "start": WEEK[0].isoformat(),
        "end": WEEK[1].isoformat(),
    }
    feedback = post_form(manager, "/exports/feedback", form, token_from="/exports/feedback")
    feedback.get_data()
    feedback.close()  # deletes the workbook's temporary file, as a WSGI server does
    assert listed("/exports/feedback") == workbook(feedback).sheetnames
    page = manager.get("/exports/").get_data(as_text=True)
    assert "One workbook with 6 sheets:" in page and "four sheets" not in page


def test_filters_narrow_every_sheet(
    app: Flask, org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    manager = sign_in_as(org.manager)
    chat = workbook(export(manager, scorecard="export-chat"))
    assert [row["Evaluation id"] for row in records(chat["Evaluations"])] == [data["a2_chat"]]
    assert [cell.value for cell in chat["Evaluations"][1]][15:17] == [
        "Greeting in chat",
        "Accuracy",
    ]
    assert len(records(chat["Answers"])) == 2
    by_channel = workbook(export(manager, channel="chat"))
    assert [row["Evaluation id"] for row in records(by_channel["Evaluations"])] == [data["a2_chat"]]
    team_b = workbook(export(manager, team_id=str(org.team_b.id)))
    assert {row["Team"] for row in records(team_b["Evaluations"])} == {"Team B"}
    assert [row["Team"] for row in records(team_b["Criteria"])] == ["Team B", "All teams"]
    one = workbook(export(manager, agent_id=str(org.agent_a1.id)))
    assert [row["E-mail"] for row in records(one["Summary"])] == ["a1@example.test"]
    assert len(records(one["Evaluations"])) == 3


def test_a_supervisor_exports_only_their_teams(
    org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    supervisor = sign_in_as(org.supervisor_a)
    book = workbook(export(supervisor))
    assert {row["Team"] for row in records(book["Summary"])} == {"Team A"}
    assert {row["Team"] for row in records(book["Evaluations"])} == {"Team A"}
    assert len(records(book["Evaluations"])) == 4
    assert [row["Team"] for row in records(book["Criteria"])] == ["Team A", "All teams"]
    page = supervisor.get("/exports/").get_data(as_text=True)
    assert "Team A" in page and "Team B" not in page and "b1@example.test" not in page
    # Another team's id or agent is not a choice for them.
    assert export(supervisor, team_id=str(org.team_b.id)).status_code == 400
    assert export(supervisor, agent_id=str(org.agent_b1.id)).status_code == 400
    nobody = workbook(export(sign_in_as(org.supervisor_none)))
    assert [len(records(nobody[name])) for name in SHEETS] == [0, 0, 0, 0, 0]


def test_agents_may_not_export_and_anonymous_visitors_sign_in_first(
    app: Flask, org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    agent = sign_in_as(org.agent_a1)
    assert agent.get("/exports/").status_code == 403
    assert export(agent).status_code == 403
    assert agent.get("/exports/feedback").status_code == 403
    anonymous = app.test_client()
    for path in ("/exports/", "/exports/feedback"):
        response = anonymous.get(path)
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    with app.app_context():
        assert (
            db.session.scalar(sa.select(AuditEvent).where(AuditEvent.action.like("export%")))
            is None
        )


def test_download_headers(org: Organisation, data: dict[str, Any], sign_in_as: Any) -> None:
    response = export(sign_in_as(org.manager))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == XLSX
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename=qa-evaluations_{WEEK[0]}_{WEEK[1]}.xlsx"
    )
    assert response.headers["Cache-Control"] == "no-store"
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert response.data[:2] == b"PK"


def test_each_export_is_audited_with_its_filters_and_rows(
    app: Flask, org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    export(sign_in_as(org.supervisor_a), channel="phone")
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "export.evaluations")
        )
        assert (event.actor_id, event.entity_type, event.entity_id) == (
            org.supervisor_a.id, "export", None,
        )  # fmt: skip
    assert event.after["via"] == "web"
    assert event.after["rows"] == {
        "Summary": 1,
        "Evaluations": 3,
        "Answers": 9,
        "Criteria": 2,
        "Training": 0,
    }
    filters = event.after["filters"]
    assert (filters["from"], filters["to"], filters["channel"]) == (
        WEEK[0].isoformat(), WEEK[1].isoformat(), "phone",
    )  # fmt: skip
    assert filters["scope"] == "supervised teams"


def test_a_bad_period_shows_the_form_again(
    app: Flask, org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    response = export(sign_in_as(org.manager), start=WEEK[1].isoformat(), end=WEEK[0].isoformat())
    assert response.status_code == 400
    assert "The period ends before it starts." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.action == "export.evaluations")) == 0  # fmt: skip


def test_the_form_page_offers_the_last_90_days(org: Organisation, sign_in_as: Any) -> None:
    page = sign_in_as(org.manager).get("/exports/").get_data(as_text=True)
    today = datetime.now(UTC).date()
    # The days as the page's language (US English) writes them.
    assert f'value="{format_date(today, "M/d/y", locale="en")}"' in page
    assert f'value="{format_date(today - timedelta(days=89), "M/d/y", locale="en")}"' in page
    assert 'name="csrf_token"' in page and 'method="post"' in page
    assert "Exports" in page  # the navigation entry
