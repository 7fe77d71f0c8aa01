"""The job queue's figures on /metrics, read when asked: how long jobs ran and how many
failed (from the job table, so every app server reports every worker's jobs alike) and how
many wait in the queue (from the queue's storage)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import sqlalchemy as sa
from flask import current_app
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.utils import floatToGoString

from qa_app.extensions import db
from qa_app.jobs.models import FINISHED, Job, JobStatus
from qa_app.jobs.queue import job_queue

log = logging.getLogger(__name__)

# Seconds: an export of a quarter runs minutes, a check of a small centre under one.
SECONDS_BUCKETS = (0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)


def job_metrics() -> Iterator[Metric]:
    """qa_coach_job_seconds (histogram by kind and outcome), qa_coach_job_failures_total (by
    kind) and qa_coach_queue_depth."""
    yield _durations()
    yield _failures()
    depth = _queue_depth()
    if depth is not None:
        gauge = GaugeMetricFamily("qa_coach_queue_depth", "Jobs waiting in the queue now.")
        gauge.add_metric([], depth)
        yield gauge


def _durations() -> HistogramMetricFamily:
    family = HistogramMetricFamily(
        "qa_coach_job_seconds",
        "Time jobs ran, by kind and outcome (done, failed).",
        labels=["kind", "outcome"],
    )
    within = [
        sa.func.sum(sa.case((Job.run_seconds <= bound, 1), else_=0)) for bound in SECONDS_BUCKETS
    ]
    rows = db.session.execute(
        sa.select(Job.kind, Job.status, sa.func.count(), sa.func.sum(Job.run_seconds), *within)
        .where(Job.status.in_(FINISHED), Job.run_seconds.is_not(None))
        .group_by(Job.kind, Job.status)
        .order_by(Job.kind, Job.status)
    )
    for kind, outcome, count, total, *cumulative in rows:
        bounds = zip(SECONDS_BUCKETS, cumulative, strict=True)
        buckets = [(floatToGoString(bound), int(n)) for bound, n in bounds]
        family.add_metric([kind, outcome], [*buckets, ("+Inf", int(count))], float(total))
    return family


def _failures() -> CounterMetricFamily:
    family = CounterMetricFamily(
        "qa_coach_job_failures", "Jobs that failed, by kind.", labels=["kind"]
    )
    rows = db.session.execute(
        sa.select(Job.kind, sa.func.count())
        .where(Job.status == JobStatus.FAILED)
        .group_by(Job.kind)
        .order_by(Job.kind)
    )
    for kind, count in rows:
        family.add_metric([kind], int(count))
    return family


def _queue_depth() -> int | None:
    """Jobs waiting in the queue; 0 when jobs run inside their request; None when the queue's
    storage does not answer (/healthz says so)."""
    if current_app.config["JOBS_BACKEND"] == "immediate":
        return 0
    try:
        return int(job_queue().huey.pending_count())
    except Exception as error:  # noqa: BLE001 - reported by /healthz, not here
        log.warning("job queue storage unreachable: %s", error)
        return None
