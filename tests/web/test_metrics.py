"""Prometheus metrics at /metrics only with QA_METRICS on: request latency by endpoint,
request counts by status, and the job queue's metrics to record into (issue 22)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from qa_app import create_app
from qa_app.extensions import db
from tests.conftest import make_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def metrics_app(migrated_schema: str) -> Iterator[Flask]:
    application = create_app(make_config(migrated_schema, METRICS_ENABLED=True))
    yield application
    with application.app_context():
        db.engine.dispose()


def test_metrics_are_not_served_without_the_setting(app: Flask) -> None:
    assert app.test_client().get("/metrics").status_code == 404


def test_metrics_count_requests_by_endpoint_and_status(metrics_app: Flask) -> None:
    client = metrics_app.test_client()
    client.get("/healthz")
    client.get("/no-such-page")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert 'qa_coach_request_seconds_bucket{endpoint="main.health",le="0.01",method="GET"}' in text
    assert 'qa_coach_requests_total{endpoint="main.health",method="GET",status="200"}' in text
    assert 'qa_coach_requests_total{endpoint="unmatched",method="GET",status="404"}' in text
    # The job queue records into these; their help lines are there before the first job.
    for name in ("qa_coach_job_seconds", "qa_coach_job_failures_total", "qa_coach_queue_depth"):
        assert f"# HELP {name} " in text


SCRIPT = """
import sys
from config import TestingConfig
from qa_app import create_app
config = TestingConfig({})
config.METRICS_ENABLED = True
client = create_app(config).test_client()
assert client.get("/login").status_code == 200
if sys.argv[1] == "read":
    sys.stdout.write(client.get("/metrics").get_data(as_text=True))
"""


def test_gunicorn_workers_add_up_in_multiprocess_mode(tmp_path: Path) -> None:
    # Three processes (as three gunicorn workers) write into one PROMETHEUS_MULTIPROC_DIR;
    # the last one's /metrics counts all three sign-in pages.
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("TEST_DATABASE_URL", None)
    for role in ("write", "write", "read"):
        done = subprocess.run(  # noqa: S603 - this interpreter, our script
            [sys.executable, "-c", SCRIPT, role],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
    line = 'qa_coach_requests_total{endpoint="auth.login",method="GET",status="200"} 3.0'
    assert line in done.stdout
