"""`flask export evaluations OUT.xlsx`: the centre's workbook from the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.audit.models import AuditEvent
from qa_app.extensions import db
from tests.conftest import Organisation
from tests.support.exports_data import WEEK, days, seed_export_data


@pytest.fixture
def data(
    app: Flask, org: Organisation, make_scorecard: Any, make_evaluation: Any
) -> dict[str, Any]:
    return seed_export_data(app, org, make_scorecard, make_evaluation)


def export(runner: Any, out: Path, *args: str) -> Any:
    return runner.invoke(args=["export", "evaluations", str(out), *args])


def evaluation_ids(out: Path) -> list[int]:
    sheet = openpyxl.load_workbook(out)["Evaluations"]
    return [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]


def audit_events(app: Flask) -> list[AuditEvent]:
    with app.app_context():
        events = list(
            db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action.like("export.%")))
        )
        db.session.expunge_all()
        return events


def test_export_writes_the_workbook_and_reports_rows_per_sheet(
    app: Flask, runner: Any, data: dict[str, Any], tmp_path: Path
) -> None:
    out = tmp_path / "qa.xlsx"
    result = export(runner, out, *days(*WEEK))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == (
        f"Wrote {out} ({WEEK[0]} to {WEEK[1]}): Summary 4 rows, Evaluations 6 rows, "
        "Answers 17 rows, Criteria 3 rows, Training 0 rows."
    )
    # No progress bar into a pipe or a log (issue 22); tests/test_progress.py draws one on a
    # terminal.
    assert "Writing evaluations" not in result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == [
        "Summary", "Evaluations", "Answers", "Criteria", "Training", "Chart",
    ]  # fmt: skip
    assert len(evaluation_ids(out)) == 6
    assert list(tmp_path.iterdir()) == [out]  # no partial file left beside it
    (event,) = audit_events(app)
    assert (event.action, event.actor_id) == ("export.evaluations", None)
    assert event.after["via"] == "cli"
    assert event.after["filters"]["scope"] == "centre"
    assert event.after["rows"] == {
        "Summary": 4,
        "Evaluations": 6,
        "Answers": 17,
        "Criteria": 3,
        "Training": 0,
    }


def test_without_dates_the_last_90_days(runner: Any, data: dict[str, Any], tmp_path: Path) -> None:
    out = tmp_path / "qa.xlsx"
    assert export(runner, out).exit_code == 0
    assert data["a1_old"] in evaluation_ids(out)  # submitted 60 days ago


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        (["--team", "Team B"], ["b1_payloads", "b1_more"]),
        (["--agent", "A1@Example.test"], ["a1_good", "a1_na", "a1_failed"]),
        (["--scorecard", "export-chat"], ["a2_chat"]),
        (["--channel", "chat"], ["a2_chat"]),
        (["--team", "Team A", "--scorecard", "export-call"], ["a1_good", "a1_na", "a1_failed"]),
    ],
)
def test_filters(
    runner: Any, data: dict[str, Any], tmp_path: Path, option: list[str], expected: list[str]
) -> None:
    out = tmp_path / "qa.xlsx"
    result = export(runner, out, *days(*WEEK), *option)
    assert result.exit_code == 0, result.output
    assert evaluation_ids(out) == [data[name] for name in expected]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--team", "Nobody"], 1, "No team named 'Nobody'. Existing teams: Team A, Team B."),
        (["--agent", "sup.a@example.test"], 1, "No agent with the e-mail sup.a@example.test."),
        (["--scorecard", "nope"], 1, "No scorecard 'nope'. Scorecards: export-call, export-chat."),
        (["--from", "2026-13-01"], 2, "Invalid value for '--from'"),
        (["--from", "2026-11-20", "--to", "2026-11-01"], 1, "--from is after --to."),
        (["--channel", "fax"], 2, "Invalid value for '--channel'"),
    ],
)
def test_errors_are_clear_and_write_nothing(
    app: Flask,
    runner: Any,
    data: dict[str, Any],
    tmp_path: Path,
    args: list[str],
    code: int,
    message: str,
) -> None:
    out = tmp_path / "qa.xlsx"
    result = export(runner, out, *args)
    assert result.exit_code == code
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []
    assert audit_events(app) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [("qa.csv", "the file name must end in .xlsx"), ("missing/qa.xlsx", "no folder")],
)
def test_the_output_file_must_be_a_workbook_in_a_folder(
    runner: Any, data: dict[str, Any], tmp_path: Path, name: str, message: str
) -> None:
    result = export(runner, tmp_path / name)
    assert result.exit_code == 2
    assert message in result.stderr
