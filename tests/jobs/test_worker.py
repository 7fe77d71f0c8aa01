"""The real queue: a job started by one app goes through Huey's storage (the SQLite file of
the embedded default, and Redis under CI) and is run by a consumer, as `jobs worker` runs
it; the embedded default needs no Redis at all."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from huey import RedisHuey, SqliteHuey

from config import Config, ConfigError
from qa_app import create_app
from qa_app.extensions import db
from qa_app.jobs.models import Job
from qa_app.jobs.queue import job_queue
from tests.conftest import Organisation, make_config, sign_in
from tests.jobs.test_export_jobs import job_id_of, start_export
from tests.support.exports_data import seed_export_data

# How long a consumer may take to finish a six-evaluation export before the test gives up
# (a deadline for a hung test, not a speed assertion).
DEADLINE_SECONDS = 120


def _redis_url() -> str:
    url = os.environ.get("TEST_REDIS_URL", "")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but TEST_REDIS_URL is not set: the Redis queue test must run")
        pytest.skip("Redis queue: set TEST_REDIS_URL=redis://… (`.ci/run` starts redis-server)")
    # A database of its own for each pytest-xdist worker (gw0 → 1, gw1 → 2, …).
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw-1").removeprefix("gw")
    return url.rsplit("/", 1)[0] + f"/{int(worker) + 1 if worker.isdigit() else 0}"


@pytest.fixture(params=["sqlite", "redis"])
def queued_app(
    request: pytest.FixtureRequest, app: Flask, migrated_schema: str, tmp_path: Path
) -> Iterator[Flask]:
    """A second app on the test database whose jobs wait in a real queue."""
    overrides: dict[str, Any] = {
        "JOBS_BACKEND": request.param,
        "JOBS_SQLITE_PATH": str(tmp_path / "jobs.sqlite"),
        "JOB_RESULTS_DIR": str(tmp_path / "results"),
        "EXPORT_JOB_MIN_EVALUATIONS": 0,
    }
    if request.param == "redis":
        overrides["REDIS_URL"] = _redis_url()
    queued = create_app(make_config(migrated_schema, **overrides))
    huey = job_queue(queued).huey
    huey.flush()
    yield queued
    huey.flush()
    with queued.app_context():
        db.session.remove()
        db.engine.dispose()


def run_consumer_until(app: Flask, job_id: int) -> str:
    """Run Huey's consumer (threads, as `jobs worker` does) until the job has finished."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    consumer = job_queue(app).huey.create_consumer(
        workers=1, worker_type="thread", periodic=False, check_worker_health=False
    )
    consumer.start()
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < deadline:
            with app.app_context():
                status = db.session.get(Job, job_id).status  # type: ignore[union-attr]  # exists
                db.session.remove()
            if status in ("done", "failed"):
                return status
            time.sleep(0.2)
        return "unfinished"
    finally:
        consumer.stop(graceful=True)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)


def test_a_queued_export_waits_in_the_storage_and_the_consumer_runs_it(
    app: Flask,
    queued_app: Flask,
    org: Organisation,
    make_scorecard: Any,
    make_evaluation: Any,
) -> None:
    seed_export_data(app, org, make_scorecard, make_evaluation)
    expected = RedisHuey if queued_app.config["JOBS_BACKEND"] == "redis" else SqliteHuey
    assert isinstance(job_queue(queued_app).huey, expected)
    browser = queued_app.test_client()
    sign_in(browser, org.manager.email)
    job_id = job_id_of(start_export(browser))
    # Nothing ran in the request: the job waits in the queue's storage.
    assert job_queue(queued_app).huey.pending_count() == 1
    assert browser.get(f"/jobs/{job_id}/status").get_json()["status"] == "queued"
    # A restarted web process (another app on the same storage) still has it queued.
    settings = ("JOBS_BACKEND", "JOBS_SQLITE_PATH", "REDIS_URL", "JOB_RESULTS_DIR")
    restarted = create_app(
        make_config(
            queued_app.config["SQLALCHEMY_DATABASE_URI"],
            **{key: queued_app.config[key] for key in settings},
        )
    )
    assert job_queue(restarted).huey.pending_count() == 1
    assert run_consumer_until(queued_app, job_id) == "done"
    status = browser.get(f"/jobs/{job_id}/status").get_json()
    assert status["percent"] == 100
    download = browser.get(f"/jobs/{job_id}/download")
    assert download.status_code == 200
    assert download.data[:2] == b"PK"
    download.close()


def test_the_embedded_default_needs_no_redis(tmp_path: Path) -> None:
    """With the redis package made unimportable, the default queue is a SQLite file that
    stores and hands back a task."""
    script = f"""
import sys
sys.modules["redis"] = None  # as if Redis (server and client) were not installed
from config import Config
from qa_app.jobs.queue import make_huey
config = Config({{}})
config.validate()
assert config.JOBS_BACKEND == "sqlite", config.JOBS_BACKEND
huey = make_huey(vars(config), {str(tmp_path)!r})
@huey.task()
def add(a, b):
    return a + b
add(1, 2)
assert huey.pending_count() == 1
task = huey.dequeue()
huey.execute(task)
print(type(huey).__name__, "ok")
"""
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["SqliteHuey", "ok"]
    assert (tmp_path / "jobs.sqlite").is_file()


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"JOBS_BACKEND": "celery"}, "JOBS_BACKEND must be one of sqlite, redis, immediate"),
        ({"JOBS_BACKEND": "redis"}, "JOBS_BACKEND=redis needs REDIS_URL"),
        ({"JOB_RESULTS_DAYS": "0"}, "JOB_RESULTS_DAYS must be at least 1"),
        ({"EXPORT_JOB_MIN_EVALUATIONS": "-1"}, "EXPORT_JOB_MIN_EVALUATIONS must be 0"),
        ({"STATS_IMPORT_JOB_MIN_MB": "-2"}, "STATS_IMPORT_JOB_MIN_MB must be 0"),
    ],
)
def test_job_settings_are_checked(environ: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Config(environ).validate()


def test_redis_url_chooses_the_shared_queue() -> None:
    config = Config({"REDIS_URL": "redis://queue.internal:6379/0"})
    config.validate()
    assert config.JOBS_BACKEND == "redis"
    assert Config({}).JOBS_BACKEND == "sqlite"


def test_the_worker_command_refuses_the_immediate_backend_and_expire_runs_once(
    app: Flask, runner: Any, tmp_path: Path
) -> None:
    app.config["JOB_RESULTS_DIR"] = str(tmp_path / "results")
    refused = runner.invoke(args=["jobs", "worker"])
    assert refused.exit_code == 1
    assert "no worker is needed" in refused.output
    expired = runner.invoke(args=["jobs", "expire"])
    assert expired.exit_code == 0, expired.output
    assert expired.output == (
        "0 expired results deleted, 0 jobs of a stopped worker marked failed.\n"
    )


def test_healthz_reports_the_queue_down_until_a_worker_speaks(queued_app: Flask) -> None:
    """/healthz: 503 with no worker seen, ok once one speaks (the worker's start and its
    heartbeat), down again when it has been silent too long; /metrics reads the depth."""
    from datetime import timedelta

    from qa_app.database import utcnow
    from qa_app.jobs.metrics import job_metrics
    from qa_app.jobs.queue import WORKER_SILENT_MINUTES, note_worker_seen, queue_health

    client = queued_app.test_client()
    response = client.get("/healthz")
    assert (response.status_code, response.json["queue"]) == (503, "no worker seen")
    huey = job_queue(queued_app).huey
    note_worker_seen(huey)
    response = client.get("/healthz")
    assert (response.status_code, response.json["queue"]) == (200, "ok")
    later = utcnow() + timedelta(minutes=WORKER_SILENT_MINUTES + 2)
    assert queue_health(queued_app, later).startswith("no worker seen for ")
    huey.enqueue(job_queue(queued_app).run_job.s(0))
    with queued_app.app_context():
        [depth] = [m for m in job_metrics() if m.name == "qa_coach_queue_depth"]
    assert [sample.value for sample in depth.samples] == [1]


def test_the_worker_heartbeat_is_a_periodic_task(queued_app: Flask) -> None:
    queue = job_queue(queued_app)
    assert queue.heartbeat is not None
    assert any(task.name == "worker_seen" for task in queue.huey._registry.periodic_tasks)  # noqa: SLF001
