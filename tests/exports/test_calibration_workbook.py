"""The calibration workbook (`flask export calibration`): sheets, headers, the figures of
qa_app.calibration.results cell for cell, text that stays text, and the filters."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import User
from qa_app.calibration import services
from qa_app.calibration.models import CalibrationSession
from qa_app.calibration.results import OVERALL, agreement_table, session_results
from qa_app.extensions import db
from tests.calibration.conftest import build_session
from tests.conftest import Organisation
from tests.support.queries import statements_run

EXPERT = [{"greeting": True, "empathy": 4}, {"greeting": False, "empathy": 2}]
CLOSE = [{"greeting": True, "empathy": 4}, {"greeting": False, "empathy": 3}]
FAR = [{"greeting": False, "empathy": 5}, {"greeting": True, "empathy": 5}]
CLOSED_AT = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
FORMULA = '=HYPERLINK("http://evil.example","click")'


def expert_session(app: Flask, org: Organisation, **kwargs: Any) -> int:
    """A closed session: the manager the expert, supervisor A close to them, B far off; A
    comments the first call's empathy with text that looks like a formula."""
    with app.app_context():
        session = build_session(
            org,
            participants=[org.supervisor_a, org.supervisor_b],
            expert=org.manager,
            scores={org.manager.id: EXPERT, org.supervisor_b.id: FAR},
            **kwargs,
        )
        close = db.session.get_one(User, org.supervisor_a.id)
        for item, answers in zip(session.items, CLOSE, strict=True):
            services.save_score(item, close, answers, {"empathy": FORMULA}, None, final=True)
        services.close_session(session, db.session.get_one(User, org.manager.id))
        session.closed_at = kwargs.pop("closed_at", None) or CLOSED_AT
        db.session.commit()
        return session.id


def export(runner: Any, out: Path, *args: str) -> Any:
    result = runner.invoke(args=["export", "calibration", str(out), *args])
    assert result.exit_code == 0, result.output
    return openpyxl.load_workbook(out)


def rows_of(sheet: Any) -> list[dict[str, Any]]:
    header = [cell.value for cell in sheet[1]]
    return [dict(zip(header, row, strict=True)) for row in sheet.iter_rows(2, values_only=True)]


def test_workbook_holds_every_answer_beside_the_benchmark(
    app: Flask, runner: Any, org: Organisation, tmp_path: Path
) -> None:
    session_id = expert_session(app, org)
    book = export(runner, tmp_path / "calibration.xlsx", "--to", "2026-12-07")
    assert book.sheetnames == ["Sessions", "Calibration", "Participants", "Agreement"]
    (session,) = rows_of(book["Sessions"])
    assert session["Session id"] == session_id
    assert session["Closed"] == datetime(2026, 11, 20, 15, 30)  # a real date, local time
    assert session["Version"] == 1
    assert session["Participants"] == 3
    assert session["Tolerance (points)"] == 5
    answers = rows_of(book["Calibration"])
    # 2 interactions × 3 participants × (2 criteria + the overall row).
    assert len(answers) == 18
    with app.app_context():
        results = session_results(db.session.get_one(CalibrationSession, session_id))
        rows = {(r.item_id, r.key): r for r in results.criteria}
        items = {item.interaction_id: item.id for item in results_items(session_id)}
        table = agreement_table(closed(session_id))
    names = {org.supervisor_a.display_name: org.supervisor_a.id,
             org.supervisor_b.display_name: org.supervisor_b.id,
             org.manager.display_name: org.manager.id}  # fmt: skip
    empathy = [
        row for row in answers if row["Criterion"] == "Empathy" and row["Participant"] in names
    ]
    assert len(empathy) == 6
    for row in empathy:
        expected = rows[(items[row["Interaction id"]], "empathy")]
        user_id = names[row["Participant"]]
        assert row["r"] == pytest.approx(expected.answers[user_id])
        assert row["Benchmark r"] == pytest.approx(expected.benchmark)
        if user_id == org.manager.id:  # the expert is not compared with themselves
            assert row["Deviation (points)"] is None
            assert row["Within tolerance"] is None
        else:
            assert row["Deviation (points)"] == pytest.approx(expected.deviations[user_id])
            within = abs(expected.deviations[user_id]) <= 5
            assert row["Within tolerance"] == ("yes" if within else "no")
    overall = [row for row in answers if row["Criterion"] == "Overall score"]
    assert len(overall) == 6
    by_item = {item.item_id: item for item in results.items}
    for row in overall:
        item = by_item[items[row["Interaction id"]]]
        user_id = names[row["Participant"]]
        assert row["Score"] == pytest.approx(item.scores[user_id])
        assert row["Benchmark score"] == pytest.approx(item.benchmark.score)
    far = [row for row in overall if row["Participant"] == org.supervisor_b.display_name]
    assert [row["Score"] for row in far] == pytest.approx([200 / 3, 100])
    assert {row["Auto-fail"] for row in overall} == {"no"}
    by_person = {row["Participant"]: row for row in rows_of(book["Participants"])}
    assert set(by_person) == {org.supervisor_a.display_name, org.supervisor_b.display_name}
    for person in results.participants:
        row = next(row for name, row in by_person.items() if names[name] == person.user_id)
        assert row["Alignment"] == pytest.approx(person.alignment)
        assert row["Within tolerance"] == pytest.approx(person.within_tolerance)
        assert row["Critical-fail agreement"] == pytest.approx(person.critical_agreement)
        assert row["Score deviation (points)"] == pytest.approx(person.score_deviation)
    agreement = rows_of(book["Agreement"])
    assert [row["Criterion"] for row in agreement] == ["Greeting", "Empathy", "Overall score"]
    assert [row["Level of measurement"] for row in agreement] == [
        "nominal", "ordinal", "interval",
    ]  # fmt: skip
    assert [line.key for line in table][-1] == OVERALL
    for row, line in zip(agreement, table, strict=True):
        assert row["Krippendorff's alpha"] == pytest.approx(line.alpha)
        assert row["Interval low (95%)"] == pytest.approx(line.low)
        assert row["Interval high (95%)"] == pytest.approx(line.high)
        assert row["Interactions"] == line.units


def results_items(session_id: int) -> list[Any]:
    return list(db.session.get_one(CalibrationSession, session_id).items)


def closed(session_id: int) -> list[CalibrationSession]:
    return [db.session.get_one(CalibrationSession, session_id)]


def test_a_comment_that_looks_like_a_formula_stays_text(
    app: Flask, runner: Any, org: Organisation, tmp_path: Path
) -> None:
    expert_session(app, org)
    sheet = export(runner, tmp_path / "c.xlsx")["Calibration"]
    header = [cell.value for cell in sheet[1]]
    column = header.index("Comment")
    cells = [row[column] for row in sheet.iter_rows(min_row=2) if row[column].value == FORMULA]
    assert len(cells) == 2
    for cell in cells:
        assert cell.data_type == "s"  # a string, never a formula
        assert cell.quotePrefix  # and a spreadsheet that edits it keeps it text


def test_filters_choose_the_sessions_closed_in_the_period(
    app: Flask, runner: Any, org: Organisation, tmp_path: Path
) -> None:
    expert_session(app, org)
    later = expert_session(
        app, org, title="December", closed_at=datetime(2026, 12, 2, 9, tzinfo=UTC)
    )
    book = export(runner, tmp_path / "c.xlsx", "--from", "2026-12-01", "--to", "2026-12-07")
    assert [row["Session id"] for row in rows_of(book["Sessions"])] == [later]
    none = export(runner, tmp_path / "n.xlsx", "--to", "2026-11-01")
    assert rows_of(none["Sessions"]) == [] and rows_of(none["Agreement"]) == []
    result = runner.invoke(args=["export", "calibration", str(tmp_path / "x.xlsx"),
                                 "--scorecard", "nope"])  # fmt: skip
    assert result.exit_code != 0 and "No scorecard 'nope'" in result.output
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "export.calibration")
        ).all()
        assert [event.after["via"] for event in events] == ["cli", "cli"]


def test_the_workbook_speaks_the_language_asked_for(
    app: Flask, runner: Any, org: Organisation, tmp_path: Path
) -> None:
    expert_session(app, org)
    book = export(runner, tmp_path / "de.xlsx", "--lang", "de")
    english = ["Sessions", "Calibration", "Participants", "Agreement"]
    assert len(book.sheetnames) == 4
    # Untranslated names fall back to English; a translated one must still be a valid name.
    for name, english_name in zip(book.sheetnames, english, strict=True):
        assert name and (name == english_name or len(name) <= 31)
    dates = [row[2] for row in book.worksheets[0].iter_rows(min_row=2)]
    assert dates[0].number_format == "dd.mm.yyyy hh:mm"


def test_the_workbooks_queries_do_not_grow_with_its_sessions(
    app: Flask, runner: Any, org: Organisation, tmp_path: Path
) -> None:
    expert_session(app, org)
    one = statements_run(app, lambda: export(runner, tmp_path / "one.xlsx"))
    for title in ("Second", "Third"):
        expert_session(app, org, title=title)
    three = statements_run(app, lambda: export(runner, tmp_path / "three.xlsx"))
    assert three == one
