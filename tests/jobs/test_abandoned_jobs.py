"""A job whose worker is killed (SIGKILL, out of memory, the machine lost) does not stay
"running" for ever: while it runs, a heartbeat notes it in the queue's shared storage, and
the worker's tidying marks a running job failed, in words, once nobody has noted it for
JOB_SILENT_MINUTES — never a job whose worker is alive, whichever machine runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

from qa_app.database import utcnow
from qa_app.extensions import db
from qa_app.jobs.models import Job, JobStatus
from qa_app.jobs.queue import (
    JOB_SILENT_MINUTES,
    heartbeat,
    job_last_seen,
    job_queue,
    note_job_seen,
)
from qa_app.jobs.services import fail_abandoned
from tests.conftest import Organisation
from tests.jobs.test_worker import DEADLINE_SECONDS, queued_app  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[2]
SILENT = timedelta(minutes=JOB_SILENT_MINUTES)


def add_job(owner_id: int, status: str, *, kind: str = "export_evaluations", **fields: Any) -> int:
    job = Job(kind=kind, started_by_id=owner_id, params={}, language="en", status=status, **fields)
    db.session.add(job)
    db.session.commit()
    return job.id


def test_only_running_jobs_silent_too_long_are_failed(app: Flask, org: Organisation) -> None:
    now = utcnow()
    with app.app_context():
        huey = job_queue().huey
        owner = org.manager.id
        alive = add_job(owner, JobStatus.RUNNING, started_at=now - timedelta(hours=2))
        note_job_seen(huey, alive, now - SILENT + timedelta(seconds=30))
        silent = add_job(owner, JobStatus.RUNNING, started_at=now - timedelta(hours=2))
        note_job_seen(huey, silent, now - SILENT - timedelta(seconds=30))
        # Killed before its first note: its start is the last sign of life.
        never_noted = add_job(owner, JobStatus.RUNNING, started_at=now - SILENT * 2)
        just_started = add_job(owner, JobStatus.RUNNING, started_at=now - timedelta(seconds=5))
        waiting = add_job(owner, JobStatus.QUEUED)
        done = add_job(owner, JobStatus.DONE, started_at=now - timedelta(days=1))

        assert fail_abandoned(now) == 2
        statuses = {
            id_: status for id_, status in db.session.execute(db.select(Job.id, Job.status))
        }
        assert statuses == {
            alive: "running",
            silent: "failed",
            never_noted: "failed",
            just_started: "running",
            waiting: "queued",
            done: "done",
        }
        failed = db.session.get(Job, silent)
        assert failed is not None
        assert failed.error_message == (
            f"The job was cut off: the worker running it stopped (job {silent}). "
            "Nothing was saved. Start it again."
        )
        assert failed.finished_at == now
        assert fail_abandoned(now) == 0  # once


def test_the_heartbeat_notes_the_job_while_it_runs_and_forgets_it_after(app: Flask) -> None:
    with app.app_context():
        huey = job_queue().huey
        with heartbeat(huey, 41, every=0.02):
            first = job_last_seen(huey, 41)
            assert first is not None
            time.sleep(0.2)
            later = job_last_seen(huey, 41)
            assert later is not None and later > first
        assert job_last_seen(huey, 41) is None


WORKER = textwrap.dedent(
    """
    import sys, time
    from qa_app import create_app
    from qa_app.jobs.queue import JobOutcome, job_queue, register_kind
    from tests.conftest import make_config

    def hang(job, out, advance):
        advance(1)
        print("running", flush=True)
        time.sleep(600)
        return JobOutcome()

    register_kind("test_hang", hang, "hang")
    url, path, results = sys.argv[1:4]
    app = create_app(make_config(
        url, JOBS_BACKEND="sqlite", JOBS_SQLITE_PATH=path, JOB_RESULTS_DIR=results,
    ))
    job_queue(app).huey.create_consumer(
        workers=1, worker_type="thread", periodic=False, check_worker_health=False
    ).run()
    """
)


def test_a_job_of_a_killed_worker_is_failed_once_it_has_been_silent(
    queued_app: Flask,  # noqa: F811 - the fixture imported above
    org: Organisation,
) -> None:
    if queued_app.config["JOBS_BACKEND"] != "sqlite":
        return  # the Redis storage is the same code path; one real kill is enough
    with queued_app.app_context():
        job_id = add_job(org.manager.id, JobStatus.QUEUED, kind="test_hang")
        job_queue().run_job(job_id)  # waits in the queue's SQLite file
    worker = subprocess.Popen(  # noqa: S603 - our interpreter, our script
        [
            sys.executable, "-c", WORKER, queued_app.config["SQLALCHEMY_DATABASE_URI"],
            queued_app.config["JOBS_SQLITE_PATH"], queued_app.config["JOB_RESULTS_DIR"],
        ],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert worker.stdout is not None
        started = worker.stdout.readline().strip()
        os.kill(worker.pid, signal.SIGKILL)  # as the kernel's OOM killer or `kill -9` does
    finally:
        _, errors = worker.communicate(timeout=DEADLINE_SECONDS)  # also closes the pipes
    assert started == "running", errors
    assert worker.returncode == -signal.SIGKILL
    with queued_app.app_context():
        job = db.session.get(Job, job_id)
        assert job is not None and job.status == "running"
        seen = job_last_seen(job_queue().huey, job_id)
        assert seen is not None  # the dead worker's last note
        assert fail_abandoned(seen + SILENT - timedelta(seconds=1)) == 0
        assert fail_abandoned(seen + SILENT + timedelta(seconds=1)) == 1
        db.session.refresh(job)
        assert job.status == "failed"
        assert "the worker running it stopped" in str(job.error_message)


def test_tidying_survives_a_partial_file_removed_under_it(
    app: Flask, job_results: Path, monkeypatch: Any
) -> None:
    """Two servers' workers tidy at the same minute, or a job renames its `.partial` between
    the listing and the look at its age: the file is gone, and tidying goes on."""
    from qa_app.jobs.services import expire_results

    job_results.mkdir(parents=True)
    gone = job_results / ".gone.xlsx.partial"
    monkeypatch.setattr(Path, "glob", lambda self, pattern: iter([gone]))
    with app.app_context():
        assert expire_results(utcnow()) == 0
