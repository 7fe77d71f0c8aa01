"""The Training sheet of the evaluations workbook: plans active in the period, one row per
item, in scope, with real dates and neutralised text."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.training import plans
from qa_app.training.models import TrainingModule, TrainingPlan
from tests.conftest import Organisation
from tests.exports.test_views import export, records, workbook
from tests.support.exports_data import PAYLOADS, TODAY, WEEK, seed_export_data

HEADERS = [
    "Plan id", "Agent", "Team", "Plan status", "Created", "Issued", "Acknowledged", "Closed",
    "Item", "Module", "Skill", "Focus area", "Reason", "Due on", "Item status", "Completed",
    "Overdue",
]  # fmt: skip


@pytest.fixture
def plan_ids(
    app: Flask, org: Organisation, make_scorecard: Any, make_evaluation: Any
) -> dict[str, int]:
    """A1: an issued plan with an overdue item and a payload reason. B1: a plan closed
    months before the period (not exported) and an empty draft."""
    seed_export_data(app, org, make_scorecard, make_evaluation)
    with app.app_context():
        module = TrainingModule(
            key="empathy-statements", title="Empathy statements", skill="Empathy",
            description="…", expected_minutes=45,
        )  # fmt: skip
        other = TrainingModule(
            key="call-control", title="Call control", skill="Control",
            description="…", expected_minutes=30,
        )  # fmt: skip
        db.session.add_all([module, other])
        db.session.flush()
        sup_a = db.session.get(User, org.supervisor_a.id)
        sup_b = db.session.get(User, org.supervisor_b.id)
        a1 = db.session.get(User, org.agent_a1.id)
        b1 = db.session.get(User, org.agent_b1.id)
        issued = plans.create_plan(a1, TODAY - timedelta(days=90), TODAY, sup_a)
        plans.add_item(issued, module, TODAY - timedelta(days=1), sup_a, reason=PAYLOADS[0])
        plans.add_item(issued, other, TODAY + timedelta(days=20), sup_a)
        plans.issue_plan(issued, sup_a)
        old = plans.create_plan(b1, date(2025, 1, 1), date(2025, 3, 31), sup_b)
        plans.add_item(old, module, date(2025, 5, 1), sup_b)
        plans.issue_plan(old, sup_b)
        plans.close_plan(old, sup_b, None)
        old.created_at = old.closed_at = datetime(2025, 6, 1, tzinfo=UTC)
        db.session.flush()
        draft = plans.create_plan(b1, TODAY - timedelta(days=30), TODAY, sup_b)
        db.session.commit()
        return {"issued": issued.id, "old": old.id, "draft": draft.id}


def test_the_training_sheet_holds_the_plans_active_in_the_period(
    app: Flask, org: Organisation, plan_ids: dict[str, int], sign_in_as: Any
) -> None:
    book = workbook(export(sign_in_as(org.manager)))
    sheet = book["Training"]
    assert [cell.value for cell in sheet[1]] == HEADERS
    rows = records(sheet)
    assert [(row["Plan id"], row["Item"]) for row in rows] == [
        (plan_ids["issued"], 1),
        (plan_ids["issued"], 2),
        (plan_ids["draft"], None),  # a plan without items still shows
    ]
    first = rows[0]
    assert first["Agent"] == org.agent_a1.display_name
    assert (first["Plan status"], first["Item status"]) == ("issued", "to do")  # as on pages
    assert first["Module"] == "Empathy statements"
    assert first["Reason"] == PAYLOADS[0]  # as typed, but never a formula:
    assert sheet.cell(row=2, column=13).data_type == "s"
    assert sheet.cell(row=2, column=13).quotePrefix
    assert first["Due on"] == datetime.combine(TODAY - timedelta(days=1), datetime.min.time())
    assert isinstance(first["Issued"], datetime)
    assert [row["Overdue"] for row in rows] == [True, False, None]
    assert sheet.auto_filter.ref == "A1:Q4"
    with app.app_context():
        in_db = db.session.scalar(
            sa.select(sa.func.count(TrainingPlan.id)).where(TrainingPlan.id != plan_ids["old"])
        )
    assert len({row["Plan id"] for row in rows}) == in_db


def test_a_supervisors_training_sheet_holds_only_their_teams(
    org: Organisation, plan_ids: dict[str, int], sign_in_as: Any
) -> None:
    rows = records(workbook(export(sign_in_as(org.supervisor_b)))["Training"])
    assert {row["Plan id"] for row in rows} == {plan_ids["draft"]}
    rows = records(workbook(export(sign_in_as(org.supervisor_a)))["Training"])
    assert {row["Plan id"] for row in rows} == {plan_ids["issued"]}


def test_the_cli_reports_the_training_rows(
    runner: Any, plan_ids: dict[str, int], tmp_path: Any
) -> None:
    out = tmp_path / "qa.xlsx"
    result = runner.invoke(
        args=[
            "export",
            "evaluations",
            str(out),
            "--from",
            WEEK[0].isoformat(),
            "--to",
            WEEK[1].isoformat(),
        ]
    )
    assert result.exit_code == 0, result.output
    # The issued plan's two items and the draft (no items): three rows.
    assert result.output.rstrip().endswith("Training 3 rows.")
