"""Prometheus metrics at `/metrics`, when QA_METRICS is on (else there is no such page: 404).

The metric objects live here, so that any part records into them: the request hooks below
(latency by endpoint, counts by status), and the job queue (job durations, failures, queue
depth). Under gunicorn each worker is a process of its own: set PROMETHEUS_MULTIPROC_DIR to an
empty directory before the app starts (deploy/qa-coach-web.service does) and every worker
writes its values there, which /metrics adds up; deploy/gunicorn.conf.py tells
prometheus_client when a worker has gone. Without it the figures are one worker's only.
"""

from __future__ import annotations

import os
import time

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

# Seconds; a dashboard at a million evaluations takes about one, an export request less.
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUEST_SECONDS = Histogram(
    "qa_coach_request_seconds",
    "Time to answer a request, by endpoint (the route's name; unmatched for no route).",
    ["endpoint", "method"],
    buckets=LATENCY_BUCKETS,
)
REQUESTS = Counter(
    "qa_coach_requests",
    "Requests answered, by endpoint and status code.",
    ["endpoint", "method", "status"],
)
# For the job queue to record into: kind is the job's name (export_evaluations …).
JOB_SECONDS = Histogram(
    "qa_coach_job_seconds",
    "Time a job ran, by kind and outcome (done, failed).",
    ["kind", "outcome"],
    buckets=(0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0),
)
JOB_FAILURES = Counter("qa_coach_job_failures", "Jobs that failed, by kind.", ["kind"])
QUEUE_DEPTH = Gauge(
    "qa_coach_queue_depth",
    "Jobs waiting in the queue when last counted.",
    multiprocess_mode="mostrecent",
)


def _endpoint() -> str:
    # The route's name, never the path: paths hold ids, and a label per id grows forever.
    return request.url_rule.endpoint if request.url_rule is not None else "unmatched"


def register_metrics(app: Flask) -> None:
    """With QA_METRICS on: time every request and serve /metrics."""
    if not app.config.get("METRICS_ENABLED"):
        return

    @app.before_request
    def _start_timer() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _record(response: Response) -> Response:
        started = g.pop("metrics_started", None)
        if started is not None:
            endpoint, method = _endpoint(), request.method
            REQUEST_SECONDS.labels(endpoint, method).observe(time.perf_counter() - started)
            REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
        return response

    def metrics() -> Response:
        """The metrics in Prometheus' text format, every gunicorn worker's added up."""
        registry = REGISTRY
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
        response = Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
        response.headers["Cache-Control"] = "no-store"
        return response

    metrics.allowed_roles = None  # type: ignore[attr-defined]  # public, like /healthz (route checks)
    app.add_url_rule("/metrics", "metrics", metrics)
