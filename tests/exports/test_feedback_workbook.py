"""An agent's feedback workbook: what a supervisor hands to the agent."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import User
from qa_app.evaluations.models import Evaluation, EvaluationStatus
from qa_app.extensions import db
from tests.conftest import Organisation, post_form
from tests.support.exports_data import WEEK, seed_export_data
from tests.support.workbooks import check_print_setup

SHEETS = ["Overview", "Evaluations", "Answers", "Criteria", "Chart"]


@pytest.fixture
def data(
    app: Flask, org: Organisation, make_scorecard: Any, make_evaluation: Any
) -> dict[str, Any]:
    ids = seed_export_data(app, org, make_scorecard, make_evaluation)
    with app.app_context():
        # Held back for calibration: not for the agent's eyes yet.
        db.session.get(Evaluation, ids["a1_na"]).status = EvaluationStatus.SUBMITTED
        db.session.get(User, org.agent_a1.id).display_name = 'Jürgen "JJ" Müller'
        db.session.commit()
    return ids


def feedback(client: FlaskClient, agent: User, period: tuple[date, date] = WEEK) -> Any:
    form = {"agent_id": str(agent.id), "start": period[0].isoformat(), "end": period[1].isoformat()}
    response = post_form(client, "/exports/feedback", form, token_from="/exports/feedback")
    response.get_data()
    response.close()
    return response


def rows(sheet: Any, first: int = 2) -> list[tuple[Any, ...]]:
    return [row for row in sheet.iter_rows(min_row=first, values_only=True)]


def test_the_feedback_workbook_holds_the_agents_released_evaluations(
    app: Flask, org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    response = feedback(sign_in_as(org.supervisor_a), org.agent_a1)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == SHEETS
    evaluations = rows(book["Evaluations"])
    assert [row[0] for row in evaluations] == [data["a1_good"], data["a1_failed"]]
    assert {row[10] for row in evaluations} == {"new feedback"}  # as the pages name it
    answers = rows(book["Answers"])
    assert len(answers) == 6
    assert ("verification", "Skipped the ID check.") in {(row[1], row[8]) for row in answers}
    overview = {row[0]: row[1] for row in rows(book["Overview"], 1)[:14]}
    with app.app_context():
        scores = list(
            db.session.scalars(
                sa.select(Evaluation.score).where(
                    Evaluation.id.in_([data["a1_good"], data["a1_failed"]])
                )
            )
        )
    assert overview["Agent"] == 'Jürgen "JJ" Müller'
    assert overview["Team"] == "Team A"
    assert overview["Evaluations"] == 2 and overview["QA n"] == 2
    assert overview["QA average"] == pytest.approx(sum(scores) / 2)
    assert overview["Critical failures"] == 1
    assert overview["Composite"] is None  # 2 released evaluations < MIN_EVALUATIONS
    assert (
        overview["From"].date() == WEEK[0] and book["Overview"]["B4"].number_format == "mm/dd/yyyy"
    )


def test_kpis_against_team_and_target_and_criteria_against_the_team(
    org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    response = feedback(sign_in_as(org.manager), org.agent_a1)
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    overview = book["Overview"]
    kpi_header = next(
        index
        for index, row in enumerate(overview.iter_rows(values_only=True), 1)
        if row[0] == "KPI"
    )
    assert [cell.value for cell in overview[kpi_header]] == [
        "KPI", "Agent", "Team", "Target", "Better when", "Attainment",
    ]  # fmt: skip
    kpis = {row[0]: row for row in rows(overview, kpi_header + 1)}
    # A1: 120 contacts, 36 000 s handled; only A1 has statistics in team A.
    # Durations as Excel keeps them (days), shown as minutes and seconds: 5:00, 5:00, 6:00.
    aht = (timedelta(seconds=300), timedelta(seconds=300), timedelta(seconds=360), "lower")
    assert kpis["Average handle time"][1:5] == aht
    aht_row = overview.cell(kpi_header + 1, 1).row
    assert [overview.cell(aht_row, column).number_format for column in (2, 3, 4)] == ["[m]:ss"] * 3
    assert kpis["Average handle time"][5] == pytest.approx(1.2)
    assert kpis["CSAT"][1] == pytest.approx(0.8) and kpis["CSAT"][3] == pytest.approx(0.85)
    assert overview.cell(kpi_header + 3, 2).number_format == "0.0%"  # CSAT row
    criteria = book["Criteria"]
    assert [cell.value for cell in criteria[1]] == [
        "Criterion key", "Criterion", "Section", "Average", "n", "Team average", "Team n",
    ]  # fmt: skip
    by_key = {row[0]: row for row in rows(criteria)}
    # Released only: A1 greeting yes, yes; team A adds A2's chat greeting (yes).
    assert by_key["greeting"][3:] == (1, 2, 1, 3)
    assert by_key["verification"][3:5] == (0.5, 2)
    assert [row[0] for row in rows(criteria)][0] == "verification"  # weakest first


def test_scope_audit_and_a_safe_file_name(
    app: Flask, org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    # Not supervisor B's agent: not even a choice.
    assert feedback(sign_in_as(org.supervisor_b), org.agent_a1).status_code == 400
    response = feedback(sign_in_as(org.supervisor_a), org.agent_a1)
    disposition = response.headers["Content-Disposition"]
    assert disposition == (
        f"attachment; filename=qa-feedback_Jurgen-JJ-Muller_{WEEK[0]}_{WEEK[1]}.xlsx; "
        f"filename*=UTF-8''qa-feedback_J%C3%BCrgen-JJ-M%C3%BCller_{WEEK[0]}_{WEEK[1]}.xlsx"
    )
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        event = db.session.scalar(
            sa.select(AuditEvent).where(AuditEvent.action == "export.feedback")
        )
    assert (event.actor_id, event.entity_type, event.entity_id) == (
        org.supervisor_a.id, "user", org.agent_a1.id,
    )  # fmt: skip
    # Overview: one row more than before the composite had flags
    assert event.after["rows"] == {"Overview": 20, "Evaluations": 2, "Answers": 6, "Criteria": 3}
    assert event.after["filters"]["statuses"] == [
        "released",
        "acknowledged",
        "disputed",
        "resolved",
    ]


def test_the_form_preselects_the_agent(org: Organisation, sign_in_as: Any) -> None:
    page = sign_in_as(org.supervisor_a).get(f"/exports/feedback?agent={org.agent_a2.id}")
    html = page.get_data(as_text=True)
    assert f'<option selected value="{org.agent_a2.id}">' in html
    assert "b1@example.test" not in html


def test_the_feedback_workbook_prints_well_and_charts_criteria_against_the_team(
    org: Organisation, data: dict[str, Any], sign_in_as: Any
) -> None:
    response = feedback(sign_in_as(org.supervisor_a), org.agent_a1)
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    check_print_setup(book)
    (chart,) = book["Chart"]._charts
    assert chart.tagname == "barChart"
    # The agent's average and the team's, per criterion label, from the Criteria sheet.
    assert [series.val.numRef.f for series in chart.series] == [
        "'Criteria'!$D$2:$D$4",
        "'Criteria'!$F$2:$F$4",
    ]
    assert chart.series[0].cat.numRef.f == "'Criteria'!$B$2:$B$4" or (
        chart.series[0].cat.strRef.f == "'Criteria'!$B$2:$B$4"
    )
    assert [series.tx.strRef.f for series in chart.series] == ["'Criteria'!D1", "'Criteria'!F1"]
