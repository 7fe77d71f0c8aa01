"""Prometheus metrics at `/metrics`, when QA_METRICS is on (else there is no such page: 404).

Two kinds of figure. The request hooks below record each request's latency and status in
this process's metric objects; under gunicorn each worker is a process of its own, so set
PROMETHEUS_MULTIPROC_DIR to an empty directory before the app starts
(deploy/qa-coach-web.service does) and every worker writes its values there, which /metrics
adds up (deploy/gunicorn.conf.py tells prometheus_client when a worker has gone).
Figures that belong to the whole installation rather than to one process — the job queue's
durations, failures and depth — are read when /metrics is asked, from the database and the
queue (`register_metrics_source`), so every app server reports the same values whichever
worker or machine ran the jobs.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable

from flask import Flask, Response, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

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
# Sources of figures read at scrape time (see the module's docstring), by name.
MetricsSource = Callable[[], Iterable[Metric]]
SOURCES = "metrics_sources"


def register_metrics_source(app: Flask, name: str, source: MetricsSource) -> None:
    """Have /metrics also report what `source` reads when it is asked (in an app context)."""
    app.extensions.setdefault(SOURCES, {})[name] = source


class _Sources(Collector):
    """The registered sources of the current app, as one prometheus_client collector."""

    def collect(self) -> Iterable[Metric]:
        for name, source in current_app.extensions.get(SOURCES, {}).items():
            try:
                metrics = list(source())
            except Exception:  # noqa: BLE001 - one unreadable source must not hide the rest
                current_app.logger.exception("metrics source %s failed", name)
                continue
            yield from metrics


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
        read_now = CollectorRegistry(auto_describe=False)
        read_now.register(_Sources())
        body = generate_latest(registry) + generate_latest(read_now)
        response = Response(body, mimetype=CONTENT_TYPE_LATEST)
        response.headers["Cache-Control"] = "no-store"
        return response

    metrics.allowed_roles = None  # type: ignore[attr-defined]  # public, like /healthz (route checks)
    app.add_url_rule("/metrics", "metrics", metrics)
