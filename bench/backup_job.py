"""The backup as a job: what reporting SQLite's pages and handing the file to the job's
result cost beside the command line's one-step copy.

    python -m bench.backup_job bench/out/small.sqlite [--repeat 3]

On a copy of the database (upgraded to the current schema), alternately, best of
`--repeat`: `backup create`'s copy (one step), the same copy in steps of PAGES_PER_STEP
pages with a progress callback (one read transaction held across the steps), and the whole
job (`execute_job`: the copy in steps with its progress written every PROGRESS_EVERY steps,
the copy of the file into the job's result, the audit event). SQLite only: pg_dump's job
is pg_dump plus the same file copy.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import flask_migrate
import sqlalchemy as sa

from bench.common import database_url, make_app, write_figures


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _as_job(starter_id: int, total: int) -> float:
    from qa_app.extensions import db
    from qa_app.jobs.models import Job
    from qa_app.jobs.services import execute_job
    from qa_app.maintenance.jobs import BACKUP

    job = Job(kind=BACKUP, started_by_id=starter_id, params={}, language="en", rows_total=total)
    db.session.add(job)
    db.session.commit()
    elapsed = _timed(lambda: execute_job(job.id))
    job = db.session.get(Job, job.id)
    assert job is not None and job.status == "done", job and job.error_message  # noqa: S101
    return elapsed


def main(argv: Sequence[str] | None = None) -> None:
    """Measure and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="a SQLite file made by bench.generate")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-backup-"))
    copy = work / "copy.sqlite"
    shutil.copyfile(args.database, copy)
    url = database_url(str(copy))
    app = make_app(url)
    app.config.update(JOB_RESULTS_DIR=str(work / "results"))
    from qa_app.auth.models import Role, User
    from qa_app.extensions import db
    from qa_app.maintenance.backup import PAGES_PER_STEP, create_backup
    from qa_app.maintenance.jobs import backup_steps

    figures: dict[str, Any] = {}
    steps: list[int] = []
    with app.app_context():
        flask_migrate.upgrade()
        admin = db.session.scalars(sa.select(User).where(User.role == Role.ADMIN)).first()
        assert admin is not None  # noqa: S101 - bench.generate makes an administrator
        total = backup_steps()
        db.session.commit()
        source = db.engine.url
        plain, stepped, job = [], [], []
        for index in range(args.repeat):
            out = work / f"plain-{index}.sqlite"
            plain.append(_timed(lambda out=out: create_backup(source, out)))
            out.unlink()
            out = work / f"stepped-{index}.sqlite"
            stepped.append(
                _timed(lambda out=out: create_backup(source, out, lambda *_: steps.append(1)))
            )
            out.unlink()
            job.append(_as_job(admin.id, total))
        figures.update(
            size_mb=round(copy.stat().st_size / 1_000_000, 1),
            pages=total,
            pages_per_step=PAGES_PER_STEP,
            progress_calls=len(steps) // args.repeat,
            one_step_seconds=round(min(plain), 3),
            stepped_seconds=round(min(stepped), 3),
            job_seconds=round(min(job), 3),
            job_ratio=round(min(job) / min(plain), 2),
        )
        db.session.remove()
    write_figures("backup_job", url, figures)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
