"""The Maintenance page: a backup and the integrity check as jobs, started by an
administrator, followed on the job's page, downloaded; the backup by its starter only."""

from __future__ import annotations

import io
import re
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.jobs import services
from qa_app.jobs.models import Job
from qa_app.maintenance import backup
from qa_app.maintenance.backup import BackupError
from qa_app.maintenance.integrity import IntegrityReport, Mismatch
from qa_app.maintenance.integrity_report import write_integrity_report
from tests.conftest import Organisation, post_form
from tests.jobs.test_export_jobs import files_in, the_job
from tests.maintenance.maintenance_fixtures import execute_sql
from tests.maintenance.test_backup import _dialect, _require_pg_tools

BACKUP_NAME = re.compile(r"qa-coach-backup-\d{4}-\d\d-\d\dT\d{4}Z\.(sqlite|dump)")
REPORT_NAME = re.compile(r"qa-coach-integrity-\d{4}-\d\d-\d\dT\d{4}Z\.xlsx")


@pytest.fixture
def results(app: Flask, tmp_path: Path) -> Path:
    """Job results go to a folder of this test."""
    folder = tmp_path / "results"
    app.config["JOB_RESULTS_DIR"] = str(folder)
    return folder


def start(client: FlaskClient, action: str) -> int:
    """Press one of the Maintenance page's buttons; the id of the job it started."""
    response = post_form(client, f"/maintenance/{action}", token_from="/maintenance/")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    match = re.search(r"/jobs/(\d+)$", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def audit_events(app: Flask, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action)))
        for event in events:
            db.session.expunge(event)
        return events


def download(client: FlaskClient, job_id: int) -> tuple[str, bytes]:
    response = client.get(f"/jobs/{job_id}/download")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    data = response.data
    response.close()
    return disposition, data


def test_a_backup_job_makes_a_backup_that_restores_and_audits_its_size(
    app: Flask,
    org: Organisation,
    released_evaluation: Any,
    results: Path,
    sign_in_as: Any,
    tmp_path: Path,
) -> None:
    if _dialect(app) == "postgresql":
        _require_pg_tools()
    admin = sign_in_as(org.admin)
    job_id = start(admin, "backup")
    job = the_job(app, job_id)
    assert job.status == "done", job.error_message
    assert job.rows_done == job.rows_total >= 1
    assert BACKUP_NAME.fullmatch(job.result_name or ""), job.result_name
    page = admin.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert "The backup holds the whole database" in page
    disposition, data = download(admin, job_id)
    assert (job.result_name or "") in disposition
    copy = tmp_path / "copy"
    copy.write_bytes(data)
    if _dialect(app) == "sqlite":
        assert job.result_name and job.result_name.endswith(".sqlite")
        connection = sqlite3.connect(copy)
        try:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            evaluations = connection.execute("SELECT id, score FROM evaluation").fetchall()
            users = connection.execute("SELECT count(*) FROM user").fetchone()[0]
        finally:
            connection.close()
        assert [row[0] for row in evaluations] == [released_evaluation.id]
        with app.app_context():
            assert users == db.session.scalar(sa.select(sa.func.count(User.id)))
    else:
        assert job.result_name and job.result_name.endswith(".dump")
        listing = subprocess.run(  # noqa: S603 - the test's own file
            [backup._pg_binary("pg_restore", None), "--list", str(copy)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "TABLE DATA public evaluation" in listing
    (event,) = audit_events(app, "backup.created")
    assert event.actor_id == org.admin.id
    assert event.after == {"database": _dialect(app), "size": len(data), "job": job_id}
    # The result alone, under a random name: no staging copy, nothing half-written.
    assert len(files_in(results)) == 1
    assert re.fullmatch(r"[0-9a-f]{32}", files_in(results)[0])
    listed = admin.get("/maintenance/").get_data(as_text=True)
    assert f"/jobs/{job_id}/download" in listed


def test_a_backup_is_kept_to_the_administrator_who_made_it(
    app: Flask,
    org: Organisation,
    results: Path,
    sign_in_as: Any,
    make_user: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(backup, "_run_pg", lambda name, url, arguments, **_: _fake_dump(arguments))
    job_id = start(sign_in_as(org.admin), "backup")
    assert the_job(app, job_id).status == "done"
    other_admin = sign_in_as(make_user(Role.ADMIN))
    for user in (other_admin, sign_in_as(org.manager), sign_in_as(org.agent_a1)):
        for path in (f"/jobs/{job_id}", f"/jobs/{job_id}/status", f"/jobs/{job_id}/download"):
            assert user.get(path).status_code == 404, path
    # Listed for every administrator, openable by none but its starter.
    page = other_admin.get("/maintenance/").get_data(as_text=True)
    assert "Database backup" in page
    assert f"/jobs/{job_id}" not in page
    assert sign_in_as(org.manager).get("/maintenance/").status_code == 403


def _fake_dump(arguments: list[str]) -> None:
    """What pg_dump -Fc writes, in short: its magic and some bytes."""
    Path(arguments[arguments.index("--file") + 1]).write_bytes(b"PGDMP fake dump")


def test_an_integrity_check_stays_open_to_other_administrators(
    app: Flask,
    org: Organisation,
    released_evaluation: Any,
    results: Path,
    sign_in_as: Any,
    make_user: Any,
) -> None:
    job_id = start(sign_in_as(org.admin), "integrity-check")
    other_admin = sign_in_as(make_user(Role.ADMIN))
    assert other_admin.get(f"/jobs/{job_id}").status_code == 200
    assert sign_in_as(org.manager).get(f"/jobs/{job_id}").status_code == 404


def _fail_sqlite_midway(source: Any, target: Any, progress: Any) -> None:
    target.execute("CREATE TABLE half (x)")
    target.commit()
    progress(1, 4)
    raise sqlite3.OperationalError("disk I/O error")


def _no_pg_dump(name: str, major: int | None) -> str:
    raise BackupError(
        f"{name} was not found on PATH or in {backup.PG_BIN_GLOB}: install the PostgreSQL "
        "client tools (Debian: apt-get install postgresql-client)."
    )


def test_a_failing_backup_leaves_no_file_and_says_why(
    app: Flask,
    org: Organisation,
    released_evaluation: Any,
    results: Path,
    sign_in_as: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(backup, "_sqlite_backup_in_steps", _fail_sqlite_midway)
    monkeypatch.setattr(backup, "_pg_binary", _no_pg_dump)
    admin = sign_in_as(org.admin)
    job_id = start(admin, "backup")
    job = the_job(app, job_id)
    assert job.status == "failed"
    assert job.result_file is None
    reason = "SQLite: disk I/O error." if _dialect(app) == "sqlite" else "pg_dump was not found"
    message = job.error_message or ""
    assert message.startswith("The backup could not be made: ")
    assert reason in message
    assert message.endswith("Nothing was saved.")
    assert files_in(results) == []  # no result, no .partial, no staging copy
    assert reason in admin.get(f"/jobs/{job_id}").get_data(as_text=True)
    assert admin.get(f"/jobs/{job_id}/download").status_code == 404
    assert audit_events(app, "backup.created") == []


def test_backup_progress_counts_sqlite_pages_upwards_and_pg_dump_as_one_step(
    app: Flask,
    org: Organisation,
    released_evaluation: Any,
    results: Path,
    sign_in_as: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[int] = []
    write = services.write_progress

    def recording(job_id: int, done: int) -> None:
        write(job_id, done)
        with db.engine.connect() as connection:
            seen.append(connection.scalar(sa.select(Job.rows_done).where(Job.id == job_id)) or 0)

    monkeypatch.setattr(backup, "PAGES_PER_STEP", 8)
    monkeypatch.setattr(services, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(services, "write_progress", recording)
    job_id = start(sign_in_as(org.admin), "backup")
    job = the_job(app, job_id)
    assert job.status == "done", job.error_message
    if _dialect(app) != "sqlite":
        # pg_dump tells no progress: the job is one step, done at the end.
        assert seen == [1] and job.rows_total == job.rows_done == 1
        return
    assert len(seen) > 2
    assert seen == sorted(seen)
    assert seen[-1] == job.rows_total == job.rows_done


def test_the_integrity_check_reports_a_planted_mismatch(
    app: Flask, org: Organisation, records: dict[str, int], results: Path, sign_in_as: Any
) -> None:
    execute_sql(app, "UPDATE evaluation SET score = 99.5 WHERE id = :id", id=records["released_id"])
    admin = sign_in_as(org.admin)
    job_id = start(admin, "integrity-check")
    job = the_job(app, job_id)
    assert job.status == "done", job.error_message
    assert job.rows_total == job.rows_done == 3  # submitted, released, disputed
    assert job.result_message == "1 mismatch found. Evaluations checked: 3."
    assert REPORT_NAME.fullmatch(job.result_name or ""), job.result_name
    assert job.result_message in admin.get(f"/jobs/{job_id}").get_data(as_text=True)
    _, data = download(admin, job_id)
    sheet = openpyxl.load_workbook(io.BytesIO(data))["Mismatches"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Evaluation", "What", "Stored", "Recomputed"]
    assert len(rows) == 2
    assert rows[1][:3] == [records["released_id"], "score", 99.5]
    assert rows[1][3] == pytest.approx(83.3333333)
    (event,) = audit_events(app, "integrity.checked")
    assert event.actor_id == org.admin.id
    assert event.after == {"evaluations": 3, "problems": 1, "job": job_id}


def test_a_clean_integrity_check_says_so(
    app: Flask, org: Organisation, records: dict[str, int], results: Path, sign_in_as: Any
) -> None:
    admin = sign_in_as(org.admin)
    job_id = start(admin, "integrity-check")
    job = the_job(app, job_id)
    assert job.result_message == "3 evaluations checked, no mismatch."
    listed = admin.get("/maintenance/").get_data(as_text=True)
    assert "3 evaluations checked, no mismatch." in listed
    assert f"/jobs/{job_id}/download" in listed


def test_the_report_keeps_text_that_reads_like_a_formula_as_text(tmp_path: Path) -> None:
    report = IntegrityReport(limit=5)
    report.add(Mismatch(None, '=HYPERLINK("http://x.test")', "+1", None))
    out = io.BytesIO()
    assert write_integrity_report(out, report, scratch=tmp_path) == 1
    sheet = openpyxl.load_workbook(io.BytesIO(out.getvalue()))["Mismatches"]
    what = sheet.cell(row=2, column=2)
    assert what.value == '=HYPERLINK("http://x.test")'
    assert what.data_type == "s"
    assert what.quotePrefix
    assert sheet.cell(row=2, column=3).value == "'+1'"
    assert sheet.cell(row=2, column=4).value == "None"


def test_the_maintenance_page_is_in_the_administrators_navigation(
    app: Flask, org: Organisation, sign_in_as: Any
) -> None:
    assert 'href="/maintenance/"' in sign_in_as(org.admin).get("/").get_data(as_text=True)
    assert 'href="/maintenance/"' not in sign_in_as(org.manager).get("/").get_data(as_text=True)


@pytest.mark.parametrize("change", ["deactivated", "no longer an administrator"])
def test_a_maintenance_job_whose_starter_lost_the_admin_role_fails_and_says_so(
    app: Flask, org: Organisation, results: Path, change: str
) -> None:
    with app.app_context():
        job = Job(kind="backup", started_by_id=org.admin.id, params={}, language="en", rows_total=1)
        db.session.add(job)
        admin = db.session.get(User, org.admin.id)
        assert admin is not None
        if change == "deactivated":
            admin.active = False
        else:
            admin.role = Role.MANAGER.value
        db.session.commit()
        job_id = job.id
        services.execute_job(job_id)
    job = the_job(app, job_id)
    assert job.status == "failed"
    assert job.error_message == (
        "The account that started this job is no longer an active administrator."
    )
    assert files_in(results) == []
    assert audit_events(app, "backup.created") == []
