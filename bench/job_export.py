"""The evaluations export as a job: what reporting progress costs, and how fast the request
that starts it answers.

    python -m bench.job_export bench/out/small.sqlite [--repeat 2]

On a copy of the database (upgraded to the current schema): the whole history exported as
the CLI does it (no progress), then the same export run as a job (`execute_job`: progress
written every PROGRESS_EVERY rows on a connection of its own, the result renamed into
JOB_RESULTS_DIR, the audit event), alternately, best of `--repeat`; the ratio is plain time /
job time (1.0: progress costs nothing). Then a manager signs in and POSTs the Exports form
with EXPORT_JOB_MIN_EVALUATIONS=0 and the SQLite queue (no worker running): the time until
the 303 to the job's page is the starting request's whole cost (counting the evaluations,
recording and queueing the job).
"""

from __future__ import annotations

import argparse
import re
import shutil
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import flask_migrate
import sqlalchemy as sa

from bench.common import PASSWORD, database_url, make_app, write_figures
from bench.export import PERIOD_DAYS


def _plain(filters: Any, out: str) -> float:
    from qa_app.database import snapshot_read
    from qa_app.exports.services import export_evaluations
    from qa_app.extensions import db

    started = time.perf_counter()
    with snapshot_read(db.session), open(out, "wb") as handle:
        export_evaluations(filters, handle)
    return time.perf_counter() - started


def _as_job(filters: Any, starter_id: int, total: int) -> float:
    from qa_app.exports.jobs import EVALUATIONS_WORKBOOK, filter_params
    from qa_app.extensions import db
    from qa_app.jobs.models import Job
    from qa_app.jobs.services import execute_job

    job = Job(
        kind=EVALUATIONS_WORKBOOK,
        started_by_id=starter_id,
        params={"filters": filter_params(filters)},
        language="en",
        rows_total=total,
    )
    db.session.add(job)
    db.session.commit()
    started = time.perf_counter()
    execute_job(job.id)
    elapsed = time.perf_counter() - started
    job = db.session.get(Job, job.id)
    assert job is not None and job.status == "done", job and job.error_message  # noqa: S101
    return elapsed


def main(argv: Sequence[str] | None = None) -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="a SQLite file made by bench.generate")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    copy = work / "copy.sqlite"
    shutil.copyfile(args.database, copy)
    url = database_url(str(copy))
    app = make_app(url)
    app.config.update(
        JOB_RESULTS_DIR=str(work / "results"),
        EXPORT_JOB_MIN_EVALUATIONS=0,
    )
    from qa_app.auth.models import Role, User
    from qa_app.exports.queries import count_evaluations
    from qa_app.extensions import db
    from qa_app.stats.filters import ReportFilters

    figures: dict[str, Any] = {}
    with app.app_context():
        flask_migrate.upgrade()
        manager = db.session.scalars(sa.select(User).where(User.role == Role.MANAGER)).first()
        assert manager is not None  # noqa: S101 - bench.generate makes managers
        email, manager_id = manager.email, manager.id
        today = datetime.now(UTC).date()
        filters = ReportFilters(today - timedelta(days=PERIOD_DAYS), today, UTC)
        total = count_evaluations(filters)
        plain, job = [], []
        with app.test_request_context():
            for _ in range(args.repeat):
                plain.append(_plain(filters, str(work / "plain.xlsx")))
                job.append(_as_job(filters, manager_id, total))
        figures.update(
            evaluations=total,
            plain_seconds=round(min(plain), 2),
            job_seconds=round(min(job), 2),
            ratio=round(min(plain) / min(job), 3),
        )
        db.session.remove()
    figures["start_request_ms"] = round(_start_request(app, email, filters) * 1000, 1)
    write_figures("job_export", url, figures)
    shutil.rmtree(work, ignore_errors=True)


def _start_request(app: Any, email: str, filters: Any) -> float:
    """Seconds from the POST of the Exports form to its 303 (best of three)."""
    client = app.test_client()
    token = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token.search(page).group(1)},
    )
    best = float("inf")
    for _ in range(3):
        form = client.get("/exports/").get_data(as_text=True)
        data = {
            "csrf_token": token.search(form).group(1),
            "start": filters.start.isoformat(),
            "end": filters.end.isoformat(),
            "team_id": "0",
            "agent_id": "0",
            "scorecard": "",
            "channel": "",
            "language": "en",
        }
        started = time.perf_counter()
        response = client.post("/exports/", data=data)
        best = min(best, time.perf_counter() - started)
        assert response.status_code == 303, response.status_code  # noqa: S101
    return best


if __name__ == "__main__":
    main()
