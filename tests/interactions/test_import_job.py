"""A confirmed interaction import as a job: all rows or none, as in the request; the job's
page says what was imported, or which row and column refused the file; the starter's right
to import, and their agents, are checked again when the job runs."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.interactions.import_job import INTERACTION_IMPORT, start_import_job
from qa_app.interactions.models import Interaction
from qa_app.jobs.models import Job
from tests.conftest import Organisation, post_form
from tests.jobs.test_export_jobs import audit_event, files_in, job_id_of, the_job
from tests.support.job_runs import (
    change_user,
    record_progress,
    run_recorded,
    take_teams_from,
)
from tests.uploads.test_held_uploads import check, confirm, kept

PAGE = "/interactions/import"
HEADER = "Agent;Channel;Start Time;Call ID\n"
CALLS = HEADER + "".join(f"A-1;phone;2026-11-02 09:{m:02d};C-{m}\n" for m in range(1, 4))
# Row 3 (the second data row) names a channel nobody has.
BAD = HEADER + "A-1;phone;2026-11-02 09:15;C-100\nA-1;fax;2026-11-02 09:20;C-101\n"


@pytest.fixture
def folders(app: Flask, org: Organisation, tmp_path: Path) -> tuple[Path, Path]:
    """Every confirmed import runs as a job; agent A1 is A-1; this test's own folders; one
    interaction stored before (so that "nothing written" is a count that stays)."""
    app.config.update(
        INTERACTION_IMPORT_JOB_MIN_MB=0,
        SCRATCH_DIR=str(tmp_path / "scratch"),
        JOB_RESULTS_DIR=str(tmp_path / "results"),
    )
    with app.app_context():
        db.session.get_one(User, org.agent_a1.id).external_id = "A-1"
        db.session.add(
            Interaction(
                agent_id=org.agent_a2.id,
                channel="chat",
                occurred_at=datetime(2026, 11, 1, 9, tzinfo=UTC),
                external_ref="EARLIER",
                source="pbx",
            )
        )
        db.session.commit()
    return tmp_path / "scratch", tmp_path / "results"


def stored(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Interaction.id))) or 0


def upload(client: Any, text: str) -> Any:
    """Import `text` at once, without a dry run first."""
    data = {"source": "pbx", "date_order": "", "file": (io.BytesIO(text.encode()), "calls.csv")}
    return post_form(client, PAGE, data, content_type="multipart/form-data")


def test_a_confirmed_import_runs_as_a_job_and_says_what_it_imported(
    app: Flask, org: Organisation, sign_in_as: Any, folders: tuple[Path, Path]
) -> None:
    scratch, results = folders
    client = sign_in_as(org.supervisor_a)
    _, token = check(client, PAGE, CALLS)
    assert stored(app) == 1  # the dry run stays in the request and writes nothing
    job_id = job_id_of(confirm(client, PAGE, token))
    job = the_job(app, job_id)
    assert (job.kind, job.status) == (INTERACTION_IMPORT, "done"), job.error_message
    assert job.result_message == (
        "Imported 3 interactions. 0 were already imported. Read as UTF-8 text."
    )
    assert job.rows_done == job.rows_total > 0
    assert stored(app) == 4
    page = client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Imported 3 interactions." in page and "Interaction import" in page
    assert kept(scratch) == [] and files_in(results) == []  # the upload is gone once read
    event = audit_event(app, "interactions.imported")
    assert event.actor_id == org.supervisor_a.id
    assert (event.after["new"], event.after["job"]) == (3, job_id)
    # The same file again: nothing new, and the job says so.
    again = the_job(app, job_id_of(upload(client, CALLS)))
    assert again.result_message is not None
    assert again.result_message.startswith("Imported 0 interactions. 3 were already imported.")
    assert stored(app) == 4


def test_progress_only_grows_and_reaches_100_percent(
    app: Flask,
    org: Organisation,
    sign_in_as: Any,
    folders: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = record_progress(monkeypatch)
    client = sign_in_as(org.supervisor_a)
    job_id = job_id_of(upload(client, CALLS))
    assert seen == [1, 2, 3]  # one a row, never down
    job = the_job(app, job_id)
    assert job.status == "done"
    assert job.rows_done == job.rows_total
    status = client.get(f"/jobs/{job_id}/status").get_json()
    assert (status["percent"], status["finished"]) == (100.0, True)


def test_a_refused_file_imports_nothing_and_the_job_names_row_and_column(
    app: Flask, org: Organisation, sign_in_as: Any, folders: tuple[Path, Path]
) -> None:
    _, results = folders
    job = the_job(app, job_id_of(upload(sign_in_as(org.supervisor_a), BAD)))
    assert job.status == "failed"
    assert job.error_message is not None
    assert job.error_message.startswith('row 3, column "Channel" ("fax"): unknown channel')
    assert stored(app) == 1  # the good first row was not kept either
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action)).all()
    assert "interactions.imported" not in actions
    assert files_in(results) == []


def test_a_small_confirmed_file_is_still_imported_in_the_request(
    app: Flask, org: Organisation, sign_in_as: Any, folders: tuple[Path, Path]
) -> None:
    app.config["INTERACTION_IMPORT_JOB_MIN_MB"] = 1
    client = sign_in_as(org.supervisor_a)
    _, token = check(client, PAGE, CALLS)
    response = confirm(client, PAGE, token)
    assert response.status_code == 302
    assert response.headers["Location"] == "/interactions/"
    assert stored(app) == 4
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


def _queued_import(app: Flask, starter: User, text: str) -> int:
    """A confirmed import of `text` recorded as a job, not yet run; its id."""
    with app.test_request_context():
        user = db.session.get_one(User, starter.id)
        job = start_import_job(
            text.encode(), "calls.csv", source="pbx", date_order="", user=user, language="en"
        )
        db.session.commit()
        return job.id


def test_an_agent_moved_out_of_the_starters_teams_meanwhile_is_refused_at_their_row(
    app: Flask, org: Organisation, folders: tuple[Path, Path]
) -> None:
    job_id = _queued_import(app, org.supervisor_a, CALLS)
    with app.app_context():
        db.session.get_one(User, org.agent_a1.id).team_id = org.team_b.id
        db.session.commit()
    job = run_recorded(app, job_id)
    assert job.status == "failed"
    assert job.error_message is not None
    assert job.error_message.startswith('row 2, column "Agent" ("A-1"): unknown agent')
    assert stored(app) == 1


def test_a_supervisor_who_lost_the_team_meanwhile_imports_nothing(
    app: Flask, org: Organisation, folders: tuple[Path, Path]
) -> None:
    job_id = _queued_import(app, org.supervisor_a, CALLS)
    take_teams_from(app, org.supervisor_a.id)
    job = run_recorded(app, job_id)
    assert job.status == "failed"
    assert "unknown agent" in (job.error_message or "")
    assert stored(app) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"role": Role.AGENT},
            "The account that started this import may no longer import interactions. "
            "Nothing was imported.",
        ),
        ({"active": False}, "The account that started this import is no longer active."),
    ],
)
def test_a_starter_who_may_no_longer_import_imports_nothing(
    app: Flask,
    org: Organisation,
    folders: tuple[Path, Path],
    change: dict[str, Any],
    message: str,
) -> None:
    _, results = folders
    job_id = _queued_import(app, org.manager, CALLS)
    change_user(app, org.manager.id, change)
    job = run_recorded(app, job_id)
    assert (job.status, job.error_message) == ("failed", message)
    assert stored(app) == 1
    assert files_in(results) == []  # the kept upload is removed all the same


def test_an_agent_may_not_import_and_starts_no_job(
    app: Flask, org: Organisation, sign_in_as: Any, folders: tuple[Path, Path]
) -> None:
    response = upload(sign_in_as(org.agent_a1), CALLS)
    assert response.status_code == 403
    assert stored(app) == 1
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0
