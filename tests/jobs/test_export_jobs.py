"""Exports as jobs: started from the Exports page, run by the queue, followed on the job's
page, downloaded by their starter only; a failing job leaves no file and says why."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import Role
from qa_app.database import utcnow
from qa_app.exports import jobs as export_jobs
from qa_app.extensions import db
from qa_app.jobs import services
from qa_app.jobs.models import Job
from tests.conftest import Organisation, post_form
from tests.support.exports_data import WEEK, seed_export_data
from tests.support.job_runs import record_progress

SHEETS = ["Summary", "Evaluations", "Answers", "Criteria", "Training", "Chart"]


@pytest.fixture
def results(app: Flask, tmp_path: Path) -> Path:
    """Every export runs as a job; results go to a folder of this test."""
    folder = tmp_path / "results"
    app.config["EXPORT_JOB_MIN_EVALUATIONS"] = 0
    app.config["JOB_RESULTS_DIR"] = str(folder)
    return folder


@pytest.fixture
def data(
    app: Flask, org: Organisation, make_scorecard: Any, make_evaluation: Any
) -> dict[str, Any]:
    return seed_export_data(app, org, make_scorecard, make_evaluation)


def start_export(client: FlaskClient) -> Any:
    """POST the evaluations export form for the seeded week."""
    form = {
        "start": WEEK[0].isoformat(),
        "end": WEEK[1].isoformat(),
        "team_id": "0",
        "agent_id": "0",
        "scorecard": "",
        "channel": "",
    }
    return post_form(client, "/exports/", form, token_from="/exports/")


def job_id_of(response: Any) -> int:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    match = re.search(r"/jobs/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def the_job(app: Flask, job_id: int) -> Job:
    with app.app_context():
        job = db.session.get(Job, job_id)
        assert job is not None
        db.session.expunge(job)
        return job


def audit_event(app: Flask, action: str) -> AuditEvent:
    """The one audit event of `action`, detached."""
    with app.app_context():
        event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)).one()
        db.session.expunge(event)
        return event


def files_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


def test_an_export_job_runs_reaches_100_percent_and_downloads_with_its_audit_event(
    app: Flask, org: Organisation, data: dict[str, Any], results: Path, sign_in_as: Any
) -> None:
    manager = sign_in_as(org.manager)
    job_id = job_id_of(start_export(manager))
    job = the_job(app, job_id)
    assert job.status == "done"
    assert job.rows_total == 6  # the evaluations of the week
    assert job.rows_done == job.rows_total
    status = manager.get(f"/jobs/{job_id}/status").get_json()
    assert status["finished"] is True
    assert status["percent"] == 100
    page = manager.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert f"/jobs/{job_id}/download" in page
    download = manager.get(f"/jobs/{job_id}/download")
    assert download.status_code == 200
    assert "qa-evaluations" in download.headers["Content-Disposition"]
    book = openpyxl.load_workbook(io.BytesIO(download.data))
    assert book.sheetnames == SHEETS
    assert book["Evaluations"].max_row == 7  # header and six evaluations
    download.close()
    event = audit_event(app, "export.evaluations")
    assert event.actor_id == org.manager.id
    assert event.after["job"] == job_id
    assert event.after["rows"]["Evaluations"] == 6
    listed = manager.get("/jobs/").get_data(as_text=True)
    assert f"/jobs/{job_id}/download" in listed
    # One result file, under a random name: not the download name, nothing half-written.
    names = files_in(results)
    assert len(names) == 1
    assert re.fullmatch(r"[0-9a-f]{32}\.xlsx", names[0])


@pytest.mark.parametrize("other", ["manager_b", "supervisor_a", "agent_a1"])
def test_another_user_gets_404_on_the_page_the_json_and_the_download(
    app: Flask,
    org: Organisation,
    data: dict[str, Any],
    results: Path,
    sign_in_as: Any,
    make_user: Any,
    other: str,
) -> None:
    job_id = job_id_of(start_export(sign_in_as(org.manager)))
    user = make_user(Role.MANAGER) if other == "manager_b" else org.member(other)
    stranger = sign_in_as(user)
    for path in (f"/jobs/{job_id}", f"/jobs/{job_id}/status", f"/jobs/{job_id}/download"):
        assert stranger.get(path).status_code == 404, path
    assert f"/jobs/{job_id}" not in stranger.get("/jobs/").get_data(as_text=True)
    admin = sign_in_as(org.admin)
    assert admin.get(f"/jobs/{job_id}/status").status_code == 200
    response = admin.get(f"/jobs/{job_id}/download")
    assert response.status_code == 200
    response.close()


def test_a_job_whose_writer_fails_midway_leaves_no_file_and_says_why(
    app: Flask,
    org: Organisation,
    data: dict[str, Any],
    results: Path,
    sign_in_as: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def half_then_fail(filters: Any, out: Any, progress: Any = None, **_: Any) -> Any:
        out.write(b"PK\x03\x04 half a workbook")
        progress(3)
        raise OSError("disk went away")

    monkeypatch.setattr(export_jobs, "export_evaluations", half_then_fail)
    manager = sign_in_as(org.manager)
    job_id = job_id_of(start_export(manager))
    job = the_job(app, job_id)
    assert job.status == "failed"
    assert job.result_file is None
    assert f"job {job_id}" in (job.error_message or "")
    assert "Nothing was saved" in (job.error_message or "")
    assert files_in(results) == []  # neither the result nor its .partial
    page = manager.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "Nothing was saved" in page
    assert manager.get(f"/jobs/{job_id}/download").status_code == 404
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditEvent.action)).all()
        assert "export.evaluations" not in actions


def test_progress_only_grows_and_reaches_every_row(
    app: Flask,
    org: Organisation,
    data: dict[str, Any],
    results: Path,
    sign_in_as: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen = record_progress(monkeypatch)
    job_id = job_id_of(start_export(sign_in_as(org.manager)))
    assert seen == [1, 2, 3, 4, 5, 6]
    job = the_job(app, job_id)
    assert job.rows_done == job.rows_total == 6


def test_an_expired_result_is_deleted_and_the_page_says_so(
    app: Flask, org: Organisation, data: dict[str, Any], results: Path, sign_in_as: Any
) -> None:
    manager = sign_in_as(org.manager)
    job_id = job_id_of(start_export(manager))
    assert len(files_in(results)) == 1
    with app.app_context():
        assert services.expire_results() == 0  # kept for JOB_RESULTS_DAYS
        later = utcnow() + timedelta(days=app.config["JOB_RESULTS_DAYS"], minutes=1)
        assert services.expire_results(later) == 1
    assert files_in(results) == []
    job = the_job(app, job_id)
    assert job.expired_at is not None and job.result_file is None
    assert manager.get(f"/jobs/{job_id}/download").status_code == 410
    page = manager.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "The result was deleted" in page


def test_a_running_job_page_reloads_without_javascript_and_names_its_script(
    app: Flask, org: Organisation, results: Path, sign_in_as: Any
) -> None:
    with app.app_context():
        job = Job(
            kind=export_jobs.EVALUATIONS_WORKBOOK,
            started_by_id=org.manager.id,
            params={},
            language="en",
            status="running",
            rows_total=400,
            rows_done=100,
            started_at=utcnow() - timedelta(seconds=30),
        )
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    manager = sign_in_as(org.manager)
    page = manager.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert '<noscript><meta http-equiv="refresh"' in page
    assert "js/job-progress.js" in page
    assert "100 of 400 evaluations" in page  # the export's own unit
    status = manager.get(f"/jobs/{job_id}/status").get_json()
    assert status["percent"] == 25
    assert status["finished"] is False
    assert "left" in status["estimate_text"]  # about a minute and a half at this speed


@pytest.fixture
def no_jobs_threshold(app: Flask) -> Iterator[None]:
    app.config["EXPORT_JOB_MIN_EVALUATIONS"] = 10_000
    yield


def test_a_small_export_below_the_threshold_still_downloads_at_once(
    app: Flask, org: Organisation, data: dict[str, Any], no_jobs_threshold: None, sign_in_as: Any
) -> None:
    response = start_export(sign_in_as(org.manager))
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    response.close()
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Job.id))) == 0


def start_feedback(client: FlaskClient, agent_id: int) -> Any:
    """POST the feedback workbook form for one agent and the seeded week."""
    form = {"agent_id": str(agent_id), "start": WEEK[0].isoformat(), "end": WEEK[1].isoformat()}
    return post_form(client, "/exports/feedback", form, token_from="/exports/feedback")


def test_a_feedback_workbook_job_downloads_and_is_audited_with_its_job(
    app: Flask, org: Organisation, data: dict[str, Any], results: Path, sign_in_as: Any
) -> None:
    supervisor = sign_in_as(org.supervisor_a)
    job_id = job_id_of(start_feedback(supervisor, org.agent_a1.id))
    job = the_job(app, job_id)
    assert job.status == "done", job.error_message
    assert job.rows_done == job.rows_total > 0
    download = supervisor.get(f"/jobs/{job_id}/download")
    assert download.status_code == 200
    assert "qa-feedback" in download.headers["Content-Disposition"]
    assert openpyxl.load_workbook(io.BytesIO(download.data)).sheetnames[0] == "Overview"
    download.close()
    event = audit_event(app, "export.feedback")
    assert (event.entity_id, event.actor_id) == (org.agent_a1.id, org.supervisor_a.id)
    assert event.after["job"] == job_id


def test_a_job_whose_starter_was_deactivated_meanwhile_fails_and_says_so(
    app: Flask, org: Organisation, data: dict[str, Any], results: Path, sign_in_as: Any
) -> None:
    from qa_app.auth.models import User

    with app.app_context():
        job = Job(
            kind=export_jobs.EVALUATIONS_WORKBOOK,
            started_by_id=org.manager.id,
            params={
                "filters": {
                    "start": WEEK[0].isoformat(),
                    "end": WEEK[1].isoformat(),
                    "team_id": None,
                    "agent_id": None,
                    "scorecard_id": None,
                    "channel": None,
                }
            },
            language="en",
            rows_total=6,
        )
        db.session.add(job)
        db.session.get(User, org.manager.id).active = False  # type: ignore[union-attr]
        db.session.commit()
        job_id = job.id
        services.execute_job(job_id)
        services.execute_job(job_id)  # handed over twice: runs once, stays failed
    job = the_job(app, job_id)
    assert job.status == "failed"
    assert job.error_message == "The account that started this export is no longer active."
    assert files_in(results) == []


def test_a_partial_file_left_by_a_killed_worker_is_swept_after_a_day(
    app: Flask, results: Path
) -> None:
    results.mkdir(parents=True)
    (results / ".abc.xlsx.partial").write_bytes(b"half")
    with app.app_context():
        services.expire_results()
        assert files_in(results) == [".abc.xlsx.partial"]  # may still be being written
        services.expire_results(utcnow() + timedelta(days=1, minutes=1))
    assert files_in(results) == []


def test_each_kind_counts_its_progress_in_its_own_words(app_context: None) -> None:
    from qa_app.jobs.queue import progress_words

    assert progress_words(export_jobs.EVALUATIONS_WORKBOOK, "0", "1", 1) == "0 of 1 evaluation"
    assert progress_words("statistics_import", "10", "20", 20) == "10 of 20 rows"
    assert progress_words("backup", "3", "13", 13) == "3 of 13 parts of the database copied"
    assert progress_words("training_draft_plans", "2", "5", 5) == "2 of 5 agents"
    assert progress_words("a kind since removed", "1", "1", 1) == "1 of 1 row"
