"""Formula injection across every export, through every text field a user can fill.

Each payload is written into every such field at once (names, e-mail, team, scorecard,
section and criterion texts, references, comments, training texts), stored as hostile as
the database allows (no form filter trimming it first). Then every export is made — the
evaluations workbook from the web and from the command line, the feedback workbook, the
calibration workbook, the scorecard download — and read back: no cell is a formula (no <f>
element in any sheet's XML), every field's text is there exactly as typed, with the
quote-prefix style wherever a spreadsheet would read it as a formula, and control characters
never break the file.
"""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.auth.models import User
from qa_app.calibration import services as calibration
from qa_app.calibration.models import CalibrationAnswer
from qa_app.evaluations import services
from qa_app.evaluations.models import Answer, Evaluation
from qa_app.extensions import db
from qa_app.interactions.services import create_interaction
from qa_app.scorecards.definition import parse_toml
from qa_app.scorecards.models import Scorecard
from qa_app.scorecards.services import publish_version
from qa_app.teams.models import Team
from qa_app.training import plans
from qa_app.training.models import TrainingModule
from tests.conftest import SCORECARD_TOML, Organisation, post_form
from tests.support.exports_data import WEEK, days
from tests.support.workbooks import CONTROL, check_text_cells, reads_as_formula

PAYLOADS = [
    '=HYPERLINK("http://x","y")',
    "+1",
    "-1+1",
    "@SUM(A1)",
    "\uff1d1+1",  # full-width equals sign
    "\t=1+1",
    "\r=1+1",
    "\n=1+1",
    " =1+1",
    "#N/A",
    "=1\x01\x07\x1b+1",
    "Bell\x07 and\x0b vertical tab",
]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def expected_cell(payload: str) -> tuple[str, bool]:
    """The payload as a cell must hold it: exactly as typed but for the control characters
    XML cannot hold, and whether it needs the quote-prefix style (reads like a formula)."""
    text = CONTROL.sub("\ufffd", payload)
    return text, reads_as_formula(text)


def seed_hostile(app: Flask, org: Organisation, payload: str) -> dict[str, int]:
    """Agent A1's evaluation, answers and training plan with `payload` in every text field."""
    definition = parse_toml(SCORECARD_TOML)
    definition["name"] = payload
    definition["sections"][0]["title"] = payload
    definition["sections"][0]["criteria"][0]["label"] = payload
    definition["sections"][0]["criteria"][0]["guidance"] = payload
    with app.app_context():
        scorecard = Scorecard(slug="hostile", name=payload)
        db.session.add(scorecard)
        db.session.flush()
        publish_version(scorecard, definition, source="builder")
        agent = db.session.get(User, org.agent_a1.id)
        supervisor = db.session.get(User, org.supervisor_a.id)
        interaction = create_interaction(
            agent,
            channel="phone",
            occurred_at=datetime.now(UTC) - timedelta(hours=1),
            actor=supervisor,
            external_ref=payload,
            queue=payload,
            customer_ref=payload,
        )
        evaluation = services.start_evaluation(supervisor, interaction, scorecard)
        edit = services.Edit({"greeting": True, "empathy": 4}, {}, {}, evaluation.lock_version)
        services.submit(evaluation, edit, supervisor)
        db.session.flush()
        # Written as stored by any route, untrimmed: the services strip what forms send.
        for name in ("overall_comment", "strengths", "opportunities", "acknowledgement_comment"):
            setattr(evaluation, name, payload)
        for answer in db.session.scalars(
            sa.select(Answer).where(Answer.evaluation_id == evaluation.id)
        ):
            answer.comment = payload
        module = TrainingModule(
            key="hostile-module",
            title=payload,
            skill=payload,
            description=payload,
            expected_minutes=30,
        )
        db.session.add(module)
        db.session.flush()
        today = datetime.now(UTC).date()
        plan = plans.create_plan(agent, today - timedelta(days=30), today, supervisor)
        item = plans.add_item(plan, module, today + timedelta(days=7), supervisor, reason="x")
        plans.issue_plan(plan, supervisor)
        item.reason = item.coach_notes = item.focus_label = plan.notes = payload
        agent.display_name = supervisor.display_name = payload
        agent.email = "hostile@example.test"
        db.session.get(Team, org.team_a.id).name = payload
        db.session.commit()
        return {"evaluation_id": evaluation.id, "plan_id": plan.id}


# Where each field lands: (sheet, column header). "header:SHEET" means a header cell.
EVALUATIONS_WORKBOOK = [
    ("Summary", "Agent"),
    ("Summary", "Team"),
    ("Evaluations", "Agent"),
    ("Evaluations", "Team"),
    ("Evaluations", "Evaluator"),
    ("Evaluations", "Scorecard"),
    ("Evaluations", "External reference"),
    ("Evaluations", "Overall comment"),
    ("Evaluations", "Strengths"),
    ("Evaluations", "Opportunities"),
    ("Answers", "Criterion"),
    ("Answers", "Section"),
    ("Answers", "Comment"),
    ("Criteria", "Team"),
    ("header:Evaluations", None),
    ("header:Criteria", None),
    ("Training", "Agent"),
    ("Training", "Team"),
    ("Training", "Module"),
    ("Training", "Skill"),
    ("Training", "Focus area"),
    ("Training", "Reason"),
]
FEEDBACK_WORKBOOK = [
    ("Overview", "Value"),
    ("Evaluations", "Evaluator"),
    ("Evaluations", "Scorecard"),
    ("Evaluations", "Overall comment"),
    ("Answers", "Comment"),
    ("Criteria", "Criterion"),
    ("Criteria", "Section"),
]


def check_workbook(data: bytes, payload: str, places: list[tuple[str, str | None]]) -> None:
    """No formula anywhere; the payload intact wherever it lands, quote-prefixed if it reads
    like a formula."""
    book = check_text_cells(data).book
    want, quoted = expected_cell(payload)
    for sheet_name, header in places:
        if sheet_name.startswith("header:"):
            cells = list(book[sheet_name.split(":")[1]][1])
        else:
            rows = list(book[sheet_name].iter_rows())
            headers = [i for i, row in enumerate(rows) if header in [c.value for c in row]]
            assert headers, (sheet_name, header)
            column = [c.value for c in rows[headers[0]]].index(header)
            cells = [row[column] for row in rows[headers[0] + 1 :] if len(row) > column]
        found = [cell for cell in cells if cell.value == want]
        assert found, (sheet_name, header, want, [cell.value for cell in cells[:5]])
        assert all(cell.data_type == "s" for cell in found), (sheet_name, header)
        assert all(bool(cell.quotePrefix) == quoted for cell in found), (sheet_name, header)


def _id(payload: str) -> str:
    return re.sub(r"[^\w=+@-]+", "_", payload.encode("unicode_escape").decode())[:16]


@pytest.fixture(params=PAYLOADS, ids=[_id(payload) for payload in PAYLOADS])
def hostile(request: Any, app: Flask, org: Organisation) -> dict[str, Any]:
    """The centre with one payload in every text field."""
    ids = seed_hostile(app, org, request.param)
    return {"payload": request.param, **ids}


def test_the_evaluations_workbook_runs_no_formula(
    org: Organisation, hostile: dict[str, Any], sign_in_as: Any
) -> None:
    """The web's evaluations workbook: every sheet, every field."""
    form = {"start": WEEK[0].isoformat(), "end": WEEK[1].isoformat(), "team_id": "0"}
    form.update(agent_id="0", scorecard="", channel="")
    response = post_form(sign_in_as(org.manager), "/exports/", form, token_from="/exports/")
    data = response.get_data()
    response.close()
    assert response.status_code == 200 and response.mimetype == XLSX
    check_workbook(data, hostile["payload"], EVALUATIONS_WORKBOOK)


def test_the_command_lines_workbook_runs_no_formula(
    app: Flask, hostile: dict[str, Any], tmp_path: Path
) -> None:
    """`export evaluations` writes the same sheets."""
    out = tmp_path / "evaluations.xlsx"
    result = app.test_cli_runner().invoke(args=["export", "evaluations", str(out), *days(*WEEK)])
    assert result.exit_code == 0, result.output
    check_workbook(out.read_bytes(), hostile["payload"], EVALUATIONS_WORKBOOK)
    # The sweep's premise: what was exported is the hostile text itself, not a cleaned copy.
    with app.app_context():
        evaluation = db.session.get(Evaluation, hostile["evaluation_id"])
        assert evaluation is not None
        assert evaluation.overall_comment == hostile["payload"]
        assert evaluation.interaction.external_ref == hostile["payload"]
        db.session.remove()


def test_the_feedback_workbook_runs_no_formula(
    org: Organisation, hostile: dict[str, Any], sign_in_as: Any
) -> None:
    """The per-agent feedback workbook."""
    form = {
        "agent_id": str(org.agent_a1.id),
        "start": WEEK[0].isoformat(),
        "end": WEEK[1].isoformat(),
    }
    browser = sign_in_as(org.supervisor_a)
    response = post_form(browser, "/exports/feedback", form, token_from="/exports/feedback")
    data = response.get_data()
    response.close()
    assert response.status_code == 200 and response.mimetype == XLSX
    check_workbook(data, hostile["payload"], FEEDBACK_WORKBOOK)


TOML_PAYLOADS = [
    '=HYPERLINK("http://x","y")',
    'Quote " and \\ backslash',
    'Triple """ quotes',
    "Line\nbreak\n[injected]\nkey = 1",
    "Tab\tand\rreturn",
]


@pytest.mark.parametrize("payload", TOML_PAYLOADS, ids=range(len(TOML_PAYLOADS)))
def test_the_scorecard_download_is_the_definition_and_nothing_more(
    app: Flask, org: Organisation, sign_in_as: Any, payload: str
) -> None:
    """The scorecard file a manager downloads parses back to exactly the stored definition,
    whatever its texts hold: no line of them becomes TOML of its own."""
    definition = parse_toml(SCORECARD_TOML)
    definition["name"] = payload
    definition["description"] = payload
    definition["sections"][0]["title"] = payload
    definition["sections"][0]["criteria"][1]["label"] = payload
    definition["sections"][0]["criteria"][1]["guidance"] = payload
    with app.app_context():
        scorecard = Scorecard(slug="hostile", name=payload)
        db.session.add(scorecard)
        db.session.flush()
        stored = dict(publish_version(scorecard, definition, source="builder").definition)
        db.session.commit()

    response = sign_in_as(org.manager).get("/scorecards/hostile/versions/1/download")

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    parsed = tomllib.loads(text)
    assert "injected" not in parsed
    assert parsed["name"] == payload
    assert parsed["sections"][0]["criteria"][1]["guidance"] == payload
    assert {key: parsed.get(key) for key in stored} == stored
    # The name in the comment on top is quoted on one line; the comment is two lines long.
    lines = text.split("\n")
    assert lines[0].startswith("# Scorecard ") and lines[1].startswith("# Keep it as ")
    assert not lines[2].startswith("#")


def test_payload_expectations_are_what_a_spreadsheet_needs() -> None:
    """The helper above, against cases worked out by hand."""
    assert expected_cell("=1+1") == ("=1+1", True)
    assert expected_cell("\t=1") == ("\t=1", True)
    assert expected_cell(" =1") == (" =1", True)
    assert expected_cell("#N/A") == ("#N/A", True)
    assert expected_cell("Bell\x07") == ("Bell\ufffd", False)
    assert expected_cell("plain - text") == ("plain - text", False)


def test_the_audit_trail_workbook_runs_no_formula(
    org: Organisation, hostile: dict[str, Any], sign_in_as: Any
) -> None:
    """The audit trail's export: the people's names and the changes' texts."""
    browser = sign_in_as(org.manager)
    period = {"start": WEEK[0].isoformat(), "end": (WEEK[1] + timedelta(days=1)).isoformat()}
    response = post_form(browser, "/audit/export", period, token_from="/audit/")
    data = response.get_data()
    response.close()
    assert response.status_code == 200 and response.mimetype == XLSX
    check_workbook(data, hostile["payload"], [("Audit trail", "Person")])


CALIBRATION_WORKBOOK = [
    ("Sessions", "Session"),
    ("Sessions", "Scorecard"),
    ("Calibration", "Session"),
    ("Calibration", "Interaction"),
    ("Calibration", "Participant"),
    ("Calibration", "Criterion"),
    ("Calibration", "Comment"),
    ("Participants", "Session"),
    ("Participants", "Participant"),
    ("Agreement", "Scorecard"),
    ("Agreement", "Criterion"),
]


def test_the_calibration_workbook_runs_no_formula(
    app: Flask, org: Organisation, hostile: dict[str, Any], tmp_path: Path
) -> None:
    """`export calibration`: a closed session on the hostile scorecard and call, its title,
    the participants' names and every comment the payload."""
    payload = hostile["payload"]
    with app.app_context():
        evaluation = db.session.get_one(Evaluation, hostile["evaluation_id"])
        manager = db.session.get_one(User, org.manager.id)
        people = [db.session.get_one(User, u.id) for u in (org.supervisor_a, org.supervisor_b)]
        session = calibration.create_session(
            manager,
            calibration.NewSession(
                "Hostile", evaluation.version, [evaluation.interaction], people, expert=manager
            ),
            datetime.now(UTC).date(),
        )
        comments = {"greeting": payload, "empathy": payload}
        for user, empathy in ((manager, 4), *zip(people, (2, 5), strict=True)):
            answers = {"greeting": True, "empathy": empathy}
            calibration.save_score(session.items[0], user, answers, comments, "x", final=True)
        calibration.close_session(session, manager)
        # Written as stored by any route, untrimmed: the services strip what forms send.
        session.title = payload
        for answer in db.session.scalars(sa.select(CalibrationAnswer)):
            answer.comment = payload
        db.session.commit()
    out = tmp_path / "calibration.xlsx"
    result = app.test_cli_runner().invoke(args=["export", "calibration", str(out)])
    assert result.exit_code == 0, result.output
    check_workbook(out.read_bytes(), payload, CALIBRATION_WORKBOOK)
