"""/metrics reports the job queue's figures from the job table: every worker's jobs, on
whichever machine they ran, are counted by every app server alike (issue 22)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from qa_app.extensions import db
from qa_app.jobs.models import JobStatus
from tests.conftest import Organisation
from tests.jobs.test_abandoned_jobs import add_job
from tests.web.test_metrics import metrics_app  # noqa: F401 - the fixture


def samples(text: str, family: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for metric in text_string_to_metric_families(text):
        if metric.name == family:
            for sample in metric.samples:
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def test_job_durations_and_failures_come_from_the_job_table(
    metrics_app: Flask,  # noqa: F811 - the fixture imported above
    org: Organisation,
) -> None:
    with metrics_app.app_context():
        owner = org.manager.id
        for seconds in (0.3, 4.0, 45.0):  # as if run by workers on three machines
            add_job(owner, JobStatus.DONE, run_seconds=seconds)
        add_job(owner, JobStatus.FAILED, run_seconds=2.0)
        add_job(owner, JobStatus.FAILED, kind="import_statistics", run_seconds=None)
        add_job(owner, JobStatus.RUNNING)
        db.session.remove()
    text = metrics_app.test_client().get("/metrics").get_data(as_text=True)

    durations = samples(text, "qa_coach_job_seconds")
    done: Any = (("kind", "export_evaluations"), ("outcome", "done"))

    def bucket(le: str) -> float:
        return durations[("qa_coach_job_seconds_bucket", tuple(sorted((*done, ("le", le)))))]

    assert [bucket(le) for le in ("0.1", "0.5", "5.0", "30.0", "60.0", "+Inf")] == [
        0, 1, 2, 2, 3, 3,
    ]  # fmt: skip
    assert durations[("qa_coach_job_seconds_count", done)] == 3
    assert durations[("qa_coach_job_seconds_sum", done)] == 49.3
    failed = (("kind", "export_evaluations"), ("outcome", "failed"))
    assert durations[("qa_coach_job_seconds_count", failed)] == 1

    failures = samples(text, "qa_coach_job_failures")
    assert failures == {
        ("qa_coach_job_failures_total", (("kind", "export_evaluations"),)): 1,
        ("qa_coach_job_failures_total", (("kind", "import_statistics"),)): 1,
    }
    assert samples(text, "qa_coach_queue_depth") == {("qa_coach_queue_depth", ()): 0}
