"""`flask --app run integrity check`: stored results against the scoring engine's."""

from __future__ import annotations

import pytest
from flask import Flask

from qa_app.extensions import db
from qa_app.maintenance.integrity import check_integrity
from tests.conftest import Organisation
from tests.maintenance.maintenance_fixtures import evaluation_scores, execute_sql, run_command


def test_a_clean_database_passes(app: Flask, records: dict[str, int]) -> None:
    """The evaluations made through the services all check; drafts are not counted."""
    result = run_command(app, "integrity", "check")

    assert result.exit_code == 0, result.output
    assert "3 scored evaluations with 6 answers on 1 scorecard versions" in result.output
    assert "No problems" in result.output


# Each tampering, and what the check must then say about the released evaluation.
TAMPERING = {
    "score": ("UPDATE evaluation SET score = 99.5 WHERE id = :id", "score stored 99.5"),
    "raw score": ("UPDATE evaluation SET raw_score = 10 WHERE id = :id", "raw_score stored 10.0"),
    "passed": (
        "UPDATE evaluation SET passed = :false WHERE id = :id",
        "passed stored False, recomputed True",
    ),
    "auto-failed": (
        "UPDATE evaluation SET auto_failed = :true WHERE id = :id",
        "auto_failed stored True, recomputed False",
    ),
    "answer value": (
        "UPDATE answer SET value = 1 WHERE evaluation_id = :id AND criterion_key = 'empathy'",
        "score stored 83.33333333333333, recomputed 33.333333333333336",
    ),
    "answer out of range": (
        "UPDATE answer SET value = 9 WHERE evaluation_id = :id AND criterion_key = 'empathy'",
        "answer 'empathy' stored 9, recomputed '9 is out of range 1..5'",
    ),
    "normalised": (
        "UPDATE answer SET normalised = 0.1 "
        "WHERE evaluation_id = :id AND criterion_key = 'empathy'",
        "answer 'empathy' normalised stored 0.1, recomputed 0.75",
    ),
    "missing answer": (
        "DELETE FROM answer WHERE evaluation_id = :id AND criterion_key = 'greeting'",
        "answer 'greeting' stored 'none', recomputed 'answer is missing'",
    ),
    "foreign criterion": (
        "UPDATE answer SET criterion_key = 'refund' "
        "WHERE evaluation_id = :id AND criterion_key = 'greeting'",
        "answer 'refund' stored 'present', recomputed 'not a criterion'",
    ),
    "revision": (
        "UPDATE evaluation_revision SET score = 50 WHERE evaluation_id = :id",
        "revision 1 score stored 50.0, recomputed 83.33333333333333",
    ),
    "missing revision": (
        "DELETE FROM evaluation_revision WHERE evaluation_id = :id",
        "revision stored 1, recomputed 'missing'",
    ),
    "agent": (
        "UPDATE evaluation SET agent_id = :other_agent WHERE id = :id",
        "agent_id stored {other_agent}, recomputed {agent}",
    ),
}


@pytest.mark.parametrize("what", list(TAMPERING))
def test_a_tampered_evaluation_is_reported(
    app: Flask, records: dict[str, int], org: Organisation, what: str
) -> None:
    """Whatever was changed behind the app's back, the check names the evaluation, what is
    stored and what it should be, and exits non-zero."""
    statement, expected = TAMPERING[what]
    released = records["released_id"]
    names = {"other_agent": org.agent_a2.id, "agent": org.agent_a1.id}
    execute_sql(
        app, statement, id=released, true=True, false=False, other_agent=names["other_agent"]
    )

    result = run_command(app, "integrity", "check")

    assert result.exit_code == 1, result.output
    assert f"  evaluation {released}: {expected.format(**names)}" in result.output
    # The other evaluations are fine: only the tampered one is listed.
    listed = [line for line in result.output.splitlines() if line.startswith("  evaluation")]
    assert all(line.startswith(f"  evaluation {released}:") for line in listed)


def test_a_drafts_score_is_not_checked(app: Flask, records: dict[str, int]) -> None:
    """A draft is scored live and partially: its stored score is not a result yet."""
    execute_sql(app, "UPDATE evaluation SET score = 1 WHERE id = :id", id=records["draft_id"])
    assert run_command(app, "integrity", "check").exit_code == 0


def test_a_dispute_raised_by_someone_else_is_reported(
    app: Flask, records: dict[str, int], org: Organisation
) -> None:
    """Only the evaluation's agent can dispute it; a row saying otherwise is reported."""
    execute_sql(app, "UPDATE dispute SET raised_by_id = :other", other=org.agent_b1.id)
    result = run_command(app, "integrity", "check")
    assert result.exit_code == 1
    assert (
        f"evaluation {records['disputed_id']}: dispute raised_by_id stored "
        f"{org.agent_b1.id}, recomputed {org.agent_a1.id}"
    ) in result.output


def test_only_the_first_problems_are_listed_and_all_are_counted(
    app: Flask, records: dict[str, int]
) -> None:
    """`--limit` bounds the listing, never the count."""
    execute_sql(app, "UPDATE evaluation SET score = 5 WHERE status <> 'draft'")

    result = run_command(app, "integrity", "check", "--limit", "1")

    assert result.exit_code == 1
    assert len([line for line in result.output.splitlines() if "  evaluation" in line]) == 1
    assert "3 problems found (2 more not listed)." in result.output


def test_streaming_in_small_batches_gives_the_same_report(
    app: Flask, records: dict[str, int]
) -> None:
    """Evaluations split across fetch batches are still grouped whole."""
    execute_sql(app, "UPDATE evaluation SET score = 5 WHERE id = :id", id=records["submitted_id"])
    with app.app_context():
        whole = check_integrity(db.session)
        batched = check_integrity(db.session, batch=1)
        db.session.remove()
    assert (batched.evaluations, batched.answers, batched.problems) == (3, 6, 1)
    assert [str(m) for m in batched.first] == [str(m) for m in whole.first]
    assert batched.first[0].evaluation_id == records["submitted_id"]


def test_stored_scores_are_untouched_by_the_check(app: Flask, records: dict[str, int]) -> None:
    """The check only reads."""
    execute_sql(app, "UPDATE evaluation SET score = 5 WHERE id = :id", id=records["released_id"])
    before = evaluation_scores(app)
    run_command(app, "integrity", "check")
    assert evaluation_scores(app) == before


def test_a_version_whose_pass_mark_differs_from_its_definition_is_reported(
    app: Flask, records: dict[str, int]
) -> None:
    """The pass mark column copies the definition's; SQL changing one is caught."""
    execute_sql(app, "UPDATE scorecard_version SET pass_mark = 50")
    result = run_command(app, "integrity", "check")
    assert result.exit_code == 1
    assert "  scorecard version 1: pass_mark stored 50.0, recomputed 80" in result.output
