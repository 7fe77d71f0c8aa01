"""Jobs as the web and the worker handle them: start one, run it with progress, keep or
discard its result, and delete results when they expire.

A job's result is written to a hidden `.partial` file beside its final name and renamed
only when the job has succeeded and its row says so; a job that fails leaves no file, and
its row says why in words.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from qa_app.auth.models import Role, User
from qa_app.database import utcnow
from qa_app.errors import RuleError
from qa_app.extensions import db
from qa_app.jobs.models import FINISHED, Job, JobStatus
from qa_app.jobs.queue import (
    JOB_SILENT_MINUTES,
    KINDS,
    enqueue,
    heartbeat,
    job_last_seen,
    job_queue,
)

log = logging.getLogger(__name__)

# Progress is written every this many rows (and at the end), not for every row: one small
# UPDATE per 250 evaluations costs nothing beside writing them.
PROGRESS_EVERY = 250
RECENT_JOBS = 20
# A partial result file this old belongs to a job whose worker was killed.
PARTIAL_MAX_AGE = timedelta(days=1)


class JobQueueUnavailable(RuleError, ValueError):
    """The job could not be handed to the worker (the queue's storage did not answer)."""


def keep_upload(data: bytes) -> str:
    """Keep an uploaded file for a job (in the shared JOB_RESULTS_DIR, private, under a random
    name); its name, for the job's params. The job removes it when it has run."""
    name = secrets.token_hex(16) + ".upload"
    path = results_dir() / name
    with path.open("xb") as handle:
        path.chmod(0o600)
        handle.write(data)
    return name


def take_upload(name: str) -> bytes:
    """The kept upload's bytes; the file is removed (a job reads its input once)."""
    path = results_dir() / Path(name).name
    try:
        return path.read_bytes()
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def results_dir() -> Path:
    """The folder job results are kept in (shared by every app server), created private."""
    folder = Path(current_app.config["JOB_RESULTS_DIR"])
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def start_job(kind: str, user: User, params: dict[str, Any], *, total: int, language: str) -> Job:
    """Record a new job of `kind` for `user` (added and flushed; the caller commits, then
    calls `submit`)."""
    if kind not in KINDS:
        raise ValueError(f"no job kind {kind!r}")
    job = Job(
        kind=kind,
        started_by_id=user.id,
        params=params,
        language=language,
        rows_total=max(total, 0),
        status=JobStatus.QUEUED,
    )
    db.session.add(job)
    db.session.flush()
    return job


def submit(job_id: int) -> None:
    """Hand a committed job to the queue; when the queue cannot take it, the job is marked
    failed (committed) and JobQueueUnavailable says so."""
    try:
        enqueue(job_id)
    except Exception as exc:
        log.exception("job %s could not be queued", job_id)
        db.session.rollback()
        message = _("The job could not be started: the job queue did not answer. Try again later.")
        db.session.execute(
            sa.update(Job)
            .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
            .values(status=JobStatus.FAILED, error_message=message, finished_at=utcnow())
        )
        db.session.commit()
        raise JobQueueUnavailable(message) from exc


def progress_writer(job_id: int, total: int) -> Callable[[int], None]:
    """A callback counting rows done; every PROGRESS_EVERY rows it writes the count on a
    connection of its own (committed at once, so pages see it while the job's own snapshot
    is still open). The count never goes down and never passes `total`."""
    done = 0
    written = 0

    def advance(rows: int) -> None:
        nonlocal done, written
        done = min(done + rows, total)
        if done - written >= PROGRESS_EVERY:
            write_progress(job_id, done)
            written = done

    return advance


def write_progress(job_id: int, done: int) -> None:
    """Raise the job's rows done to `done` (never lower it)."""
    with db.engine.begin() as connection:
        connection.execute(
            sa.update(Job).where(Job.id == job_id, Job.rows_done < done).values(rows_done=done)
        )


def execute_job(job_id: int) -> None:
    """Run a queued job (in the worker): its kind's runner, in the starter's language."""
    # Taken in one UPDATE, so that two workers handed the same id never both run it.
    taken = db.session.execute(
        sa.update(Job)
        .where(Job.id == job_id, Job.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, started_at=utcnow())
    )
    db.session.commit()
    job = db.session.get(Job, job_id)
    if job is None or taken.rowcount != 1:  # type: ignore[attr-defined]  # a CursorResult
        return  # gone, or already taken by another worker
    kind = KINDS[job.kind]
    folder = results_dir()
    name = secrets.token_hex(16) + kind.suffix
    final = folder / name
    partial = folder / f".{name}.partial"
    try:
        with force_locale(job.language), heartbeat(job_queue().huey, job.id):
            with partial.open("wb") as out:
                outcome = kind.run(job, out, progress_writer(job.id, job.rows_total))
            job.status = JobStatus.DONE
            job.rows_done = job.rows_total
            job.finished_at = utcnow()
            job.run_seconds = _run_seconds(job)
            job.result_message = outcome.message
            if outcome.download_name is not None:
                os.replace(partial, final)
                job.result_file = name
                job.result_name = outcome.download_name
                job.expires_at = job.finished_at + timedelta(
                    days=current_app.config["JOB_RESULTS_DAYS"]
                )
            db.session.commit()
    except Exception as exc:
        db.session.rollback()
        for path in (partial, final):
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        _record_failure(job_id, exc)
        return
    finally:
        with contextlib.suppress(FileNotFoundError):
            partial.unlink()


def _record_failure(job_id: int, error: Exception) -> None:
    """Mark the job failed with the reason in the starter's language."""
    job = db.session.get(Job, job_id)
    if job is None:
        return
    with force_locale(job.language):
        if isinstance(error, RuleError):
            message = error.message
        else:
            log.error("job %s (%s) failed", job_id, job.kind, exc_info=error)
            message = _(
                "The job stopped because of an unexpected error (job %(id)d). Nothing was "
                "saved. The administrator finds the details in the server's log.",
                id=job_id,
            )
    job.status = JobStatus.FAILED
    job.error_message = message
    job.finished_at = utcnow()
    job.run_seconds = _run_seconds(job)
    db.session.commit()


def _run_seconds(job: Job) -> float | None:
    """How long the finished job ran, in seconds (None if it never started)."""
    if job.started_at is None or job.finished_at is None:
        return None
    return max((job.finished_at - job.started_at).total_seconds(), 0.0)


def fail_abandoned(now: datetime | None = None) -> int:
    """Mark failed the running jobs whose worker is gone — not noted running for
    JOB_SILENT_MINUTES (killed, out of memory, machine lost) — with the reason in the
    starter's language; how many. A job whose worker is still running is never touched,
    whichever machine runs it: its heartbeat is in the queue's shared storage. Nothing of a
    failed job was saved: imports write in one transaction, results are renamed at the end."""
    now = now or utcnow()
    silent = timedelta(minutes=JOB_SILENT_MINUTES)
    huey = job_queue().huey
    running = db.session.scalars(sa.select(Job).where(Job.status == JobStatus.RUNNING)).all()
    abandoned = 0
    for job in running:
        try:
            seen = job_last_seen(huey, job.id) or job.started_at
        except Exception as error:  # noqa: BLE001 - storage down: decide nothing now
            log.warning("job queue storage unreachable, running jobs left alone: %s", error)
            break
        if seen is None or now - seen <= silent:
            continue
        with force_locale(job.language):
            job.error_message = _(
                "The job was cut off: the worker running it stopped (job %(id)d). "
                "Nothing was saved. Start it again.",
                id=job.id,
            )
        job.status = JobStatus.FAILED
        job.finished_at = now
        abandoned += 1
    db.session.commit()
    return abandoned


def tidy(now: datetime | None = None) -> tuple[int, int]:
    """The worker's housekeeping: (expired results deleted, abandoned jobs failed)."""
    return expire_results(now), fail_abandoned(now)


def expire_results(now: datetime | None = None) -> int:
    """Delete the result files whose time is up, and say so on their jobs; how many."""
    now = now or utcnow()
    jobs = db.session.scalars(
        sa.select(Job).where(
            Job.expires_at <= now, Job.expired_at.is_(None), Job.result_file.is_not(None)
        )
    ).all()
    folder = results_dir()
    for job in jobs:
        with contextlib.suppress(FileNotFoundError):
            (folder / str(job.result_file)).unlink()
        job.result_file = None
        job.expired_at = now
    db.session.commit()
    # What a killed worker was writing: no job will ever finish it.
    # Another server's worker may tidy at the same minute, or the job rename its file.
    for partial in folder.glob(".*.partial"):
        with contextlib.suppress(FileNotFoundError):
            if partial.stat().st_mtime < (now - PARTIAL_MAX_AGE).timestamp():
                partial.unlink()
    return len(jobs)


def visible_job(job_id: int, user: User) -> Job | None:
    """The job if `user` started it or is an administrator (for kinds not kept to their
    starter); None otherwise (a 404)."""
    job = db.session.get(Job, job_id)
    if job is None or job.started_by_id == user.id:
        return job
    kind = KINDS.get(job.kind)
    if user.role != Role.ADMIN or (kind is not None and kind.starter_only):
        return None
    return job


def recent_jobs(user: User, limit: int = RECENT_JOBS) -> list[Job]:
    """The user's latest jobs, newest first."""
    return list(
        db.session.scalars(
            sa.select(Job)
            .where(Job.started_by_id == user.id)
            .order_by(Job.created_at.desc(), Job.id.desc())
            .limit(limit)
        )
    )


def result_path(job: Job) -> Path | None:
    """The finished job's result file, while it is kept."""
    if job.status != JobStatus.DONE or job.result_file is None:
        return None
    path = results_dir() / job.result_file
    return path if path.is_file() else None


def share_done(job: Job) -> float:
    """How much of the job is done, 0..1 (1 when it is done; 0 when nothing is known)."""
    if job.status == JobStatus.DONE:
        return 1.0
    if job.rows_total <= 0:
        return 0.0
    return min(job.rows_done / job.rows_total, 1.0)


def seconds_left(job: Job, now: datetime | None = None) -> float | None:
    """A time estimate: the rows left at the speed so far; None before any row is done."""
    if job.status in FINISHED or job.started_at is None or job.rows_done <= 0:
        return None
    elapsed = ((now or utcnow()) - job.started_at).total_seconds()
    return max(elapsed / job.rows_done * (job.rows_total - job.rows_done), 0.0)
