"""A confirmed statistics import as a job: all rows or none, as in the request; the job's
page says what was imported, or why nothing was."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.stats.models import AgentDailyStat
from tests.conftest import Organisation, post_form
from tests.jobs.test_export_jobs import audit_event, files_in, job_id_of, the_job
from tests.uploads.test_held_uploads import STATS, check, confirm, kept

BAD = STATS + "A-1;2026-11-03;eighty;0:05:00;8:00:00\n"


@pytest.fixture
def folders(app: Flask, org: Organisation, tmp_path: Path) -> tuple[Path, Path]:
    """Every confirmed import runs as a job; agent A1 is A-1; this test's own folders."""
    app.config.update(
        STATS_IMPORT_JOB_MIN_MB=0,
        SCRATCH_DIR=str(tmp_path / "scratch"),
        JOB_RESULTS_DIR=str(tmp_path / "results"),
    )
    with app.app_context():
        db.session.get_one(User, org.agent_a1.id).external_id = "A-1"
        db.session.commit()
    return tmp_path / "scratch", tmp_path / "results"


def stored(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count(AgentDailyStat.id))) or 0


def test_a_confirmed_import_runs_as_a_job_and_says_what_it_imported(
    app: Flask, org: Organisation, sign_in_as: Any, folders: tuple[Path, Path]
) -> None:
    scratch, results = folders
    client = sign_in_as(org.manager)
    _, token = check(client, "/stats/import", STATS)
    assert stored(app) == 0  # the dry run stays in the request and writes nothing
    job_id = job_id_of(confirm(client, "/stats/import", token))
    job = the_job(app, job_id)
    assert job.status == "done", job.error_message
    assert job.result_message == "Imported 1 agent-day (0 replaced). Read as UTF-8 text."
    assert job.rows_done == job.rows_total
    assert stored(app) == 1
    assert "Imported 1 agent-day" in client.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert kept(scratch) == [] and files_in(results) == []  # the upload is gone once read
    event = audit_event(app, "stats.imported")
    assert event.actor_id == org.manager.id
    assert event.after["job"] == job_id


def test_agents_matched_by_name_only_are_named_in_the_jobs_result(
    app: Flask, org: Organisation, sign_in_as: Any, folders: tuple[Path, Path]
) -> None:
    # In the request the page warns about them; a job's result must say it too.
    with app.app_context():
        name = db.session.get_one(User, org.agent_a1.id).display_name
    client = sign_in_as(org.manager)
    _, token = check(client, "/stats/import", STATS.replace("A-1", name))
    job = the_job(app, job_id_of(confirm(client, "/stats/import", token)))
    assert job.status == "done", job.error_message
    assert f"1 agent was matched by their name only (“{name}”)" in (job.result_message or "")


def test_a_refused_file_imports_nothing_and_the_job_says_why(
    app: Flask, org: Organisation, sign_in_as: Any, folders: tuple[Path, Path]
) -> None:
    _, results = folders
    client = sign_in_as(org.manager)
    data = {"source": "pbx", "date_order": "", "file": (io.BytesIO(BAD.encode()), "daily.csv")}
    response = post_form(client, "/stats/import", data, content_type="multipart/form-data")
    job = the_job(app, job_id_of(response))
    assert job.status == "failed"
    assert "Calls Handled" in (job.error_message or "")  # the column, and the row
    assert "3" in (job.error_message or "")
    assert stored(app) == 0  # the good first row was not kept either
    assert files_in(results) == []
