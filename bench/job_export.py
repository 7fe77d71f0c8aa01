"""The evaluations export as a job against a bare openpyxl writer of the same cells, and how
fast the request that starts it answers.

    python -m bench.job_export bench/out/b100k.sqlite [--repeat 2] [--plain]
    python -m bench.job_export postgresql://…/b100k --repeat 2

The whole history (PERIOD_DAYS) is exported as a job (`execute_job`: progress written every
PROGRESS_EVERY rows on a connection of its own, the result renamed into JOB_RESULTS_DIR, the
audit event), then a bare openpyxl write-only workbook writes the very same cells, read back
from the job's file into memory first (not timed); the two alternate, `--repeat` times each,
in this process. Ratio = bare seconds / job seconds (= the job's throughput over the bare
writer's; target ≥ 0.85), from the best runs and from the medians, in wall and in this
process's CPU seconds (a shared machine inflates wall time; on PostgreSQL the server's own
work is not in the job's CPU seconds). `--plain` adds the export as the CLI runs it (no
progress, no job) to each round.

Then a manager signs in and POSTs the Exports form with EXPORT_JOB_MIN_EVALUATIONS=0 and the
embedded queue (no worker running): the time until the 303 to the job's page is the starting
request's whole cost (counting the evaluations, recording and queueing the job); best and
median of five. A SQLite database is copied first; on PostgreSQL the jobs and their audit
events stay in the given database.
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import flask_migrate
import sqlalchemy as sa

from bench.common import PASSWORD, database_url, dialect_of, make_app, write_figures
from bench.export import PERIOD_DAYS, bare_write, read_cells

STARTS = 5


def _plain(filters: Any, out: str) -> tuple[float, float]:
    from qa_app.database import snapshot_read
    from qa_app.exports.services import export_evaluations
    from qa_app.extensions import db

    started, cpu = time.perf_counter(), time.process_time()
    with snapshot_read(db.session), open(out, "wb") as handle:
        export_evaluations(filters, handle)
    return time.perf_counter() - started, time.process_time() - cpu


def _as_job(filters: Any, starter_id: int, total: int) -> tuple[float, float, Path]:
    """Wall and CPU seconds of one export job, and its result file."""
    from qa_app.exports.jobs import EVALUATIONS_WORKBOOK, filter_params
    from qa_app.extensions import db
    from qa_app.jobs.models import Job
    from qa_app.jobs.services import execute_job, results_dir

    job = Job(
        kind=EVALUATIONS_WORKBOOK,
        started_by_id=starter_id,
        params={"filters": filter_params(filters)},
        language="en",
        rows_total=total,
    )
    db.session.add(job)
    db.session.commit()
    job_id = job.id
    started, cpu = time.perf_counter(), time.process_time()
    execute_job(job_id)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    db.session.expire_all()
    done = db.session.get(Job, job_id)
    assert done is not None and done.status == "done", done and done.error_message  # noqa: S101
    assert done.result_file is not None  # noqa: S101
    result = results_dir() / done.result_file
    db.session.commit()  # not idle in a transaction while the bare writer runs
    return elapsed, cpu, result


def _ratio(bare: list[float], job: list[float], pick: Any) -> float:
    return round(pick(bare) / pick(job), 3)


def main(argv: Sequence[str] | None = None) -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="a SQLite file or PostgreSQL URL made by bench.generate")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--plain", action="store_true", help="also time the CLI's export")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    if dialect_of(database_url(args.database)) == "sqlite":
        copy = work / "copy.sqlite"
        shutil.copyfile(args.database, copy)
        url = database_url(str(copy))
    else:
        url = database_url(args.database)
    app = make_app(url)
    app.config.update(JOB_RESULTS_DIR=str(work / "results"), EXPORT_JOB_MIN_EVALUATIONS=0)
    from qa_app.auth.models import Role, User
    from qa_app.exports.queries import count_evaluations
    from qa_app.extensions import db
    from qa_app.stats.filters import ReportFilters

    figures: dict[str, Any] = {"repeat": args.repeat}
    with app.app_context():
        flask_migrate.upgrade()
        manager = db.session.scalars(sa.select(User).where(User.role == Role.MANAGER)).first()
        assert manager is not None  # noqa: S101 - bench.generate makes managers
        email, manager_id = manager.email, manager.id
        today = datetime.now(UTC).date()
        filters = ReportFilters(today - timedelta(days=PERIOD_DAYS), today, UTC)
        total = count_evaluations(filters)
        job, job_cpu, bare, bare_cpu, plain, plain_cpu = [], [], [], [], [], []
        sheets: list[tuple[str, list[tuple[Any, ...]]]] | None = None
        with app.test_request_context():
            for round_ in range(args.repeat):
                elapsed, cpu, result = _as_job(filters, manager_id, total)
                job.append(elapsed)
                job_cpu.append(cpu)
                if sheets is None:
                    sheets = read_cells(str(result))
                    figures["cells"] = sum(len(row) for _t, rows in sheets for row in rows)
                    figures["file_mb"] = round(result.stat().st_size / 1024 / 1024, 1)
                result.unlink()
                elapsed, cpu = bare_write(sheets, str(work / "bare.xlsx"))
                bare.append(elapsed)
                bare_cpu.append(cpu)
                if args.plain:
                    elapsed, cpu = _plain(filters, str(work / "plain.xlsx"))
                    plain.append(elapsed)
                    plain_cpu.append(cpu)
                print(
                    f"round {round_ + 1}: job {job[-1]:.2f} s (CPU {job_cpu[-1]:.2f}), "
                    f"bare writer {bare[-1]:.2f} s (CPU {bare_cpu[-1]:.2f})"
                    + (f", plain {plain[-1]:.2f} s" if plain else ""),
                    flush=True,
                )
        del sheets
        figures.update(
            evaluations=total,
            job_seconds=[round(value, 2) for value in job],
            bare_seconds=[round(value, 2) for value in bare],
            job_cpu_seconds=[round(value, 2) for value in job_cpu],
            bare_cpu_seconds=[round(value, 2) for value in bare_cpu],
            ratio_best=_ratio(bare, job, min),
            ratio_median=_ratio(bare, job, statistics.median),
            cpu_ratio_best=_ratio(bare_cpu, job_cpu, min),
            cpu_ratio_median=_ratio(bare_cpu, job_cpu, statistics.median),
            target=0.85,
        )
        if plain:
            figures.update(
                plain_seconds=[round(value, 2) for value in plain],
                plain_cpu_seconds=[round(value, 2) for value in plain_cpu],
                plain_over_job=_ratio(plain, job, min),
            )
        db.session.remove()
    starts = _start_request(app, email, filters)
    figures.update(
        start_request_ms=[round(value * 1000, 1) for value in starts],
        start_request_best_ms=round(min(starts) * 1000, 1),
        start_request_median_ms=round(statistics.median(starts) * 1000, 1),
        start_request_target_ms=200,
    )
    write_figures("job_export", url, figures)
    shutil.rmtree(work, ignore_errors=True)


def _start_request(app: Any, email: str, filters: Any) -> list[float]:
    """Seconds from the POST of the Exports form to its 303, STARTS times."""
    client = app.test_client()
    token = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
    page = client.get("/login").get_data(as_text=True)
    client.post(
        "/login",
        data={"email": email, "password": PASSWORD, "csrf_token": token.search(page).group(1)},
    )
    times = []
    for _ in range(STARTS):
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
        times.append(time.perf_counter() - started)
        assert response.status_code == 303, response.status_code  # noqa: S101
    return times


if __name__ == "__main__":
    main()
