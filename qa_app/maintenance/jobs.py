"""The backup and the integrity check as jobs, started by an administrator from the
Maintenance page, run by the worker, followed and downloaded on the job's page.

The backup is the file `backup create` writes (SQLite's online backup, `pg_dump -Fc`),
kept like any job result but shown and downloaded only by the administrator who made it: it
holds every person's data, password hashes included, and its `backup.created` audit event
names who has it. The integrity check is `integrity check`: its result is a workbook of the
mismatches found, and its message says how many.
"""

from __future__ import annotations

import contextlib
import secrets
import shutil
from collections.abc import Callable
from datetime import UTC, datetime
from typing import IO

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from qa_app.audit.services import record_event
from qa_app.auth.models import Role, User
from qa_app.database import snapshot_read, utcnow
from qa_app.errors import RuleError
from qa_app.exports.scratch import export_directory
from qa_app.exports.services import workbook_language
from qa_app.extensions import db
from qa_app.i18n import format_number
from qa_app.jobs.models import Job
from qa_app.jobs.queue import JobOutcome, evaluations_words, register_kind
from qa_app.jobs.services import results_dir, start_job
from qa_app.maintenance.backup import BackupError, create_backup
from qa_app.maintenance.integrity import (
    IntegrityReport,
    check_integrity,
    scored_evaluation_count,
)
from qa_app.maintenance.integrity_report import write_integrity_report

BACKUP = "backup"
INTEGRITY_CHECK = "integrity_check"
MAINTENANCE_KINDS = (BACKUP, INTEGRITY_CHECK)
KIND_TITLES = {BACKUP: _l("Database backup"), INTEGRITY_CHECK: _l("Integrity check")}
# The report lists this many mismatches at most (the check counts them all).
REPORT_ROWS = 10_000
BACKUP_SUFFIXES = {"sqlite": ".sqlite", "postgresql": ".dump"}
REPORT_SUFFIX = ".xlsx"


class MaintenanceStarterGone(RuleError, ValueError):
    """The administrator who started the job was deactivated, or is no longer an
    administrator, before it ran."""


class BackupFailed(RuleError, ValueError):
    """The backup could not be made; the message says why (pg_dump missing, of another
    version, a database that cannot be read)."""


def _starter(job: Job) -> User:
    user = db.session.get(User, job.started_by_id)
    if user is None or not user.active or user.role != Role.ADMIN:
        raise MaintenanceStarterGone(
            _("The account that started this job is no longer an active administrator.")
        )
    return user


def backup_steps() -> int:
    """The job's total: SQLite's pages (the copy reports them), 1 for pg_dump (which tells
    nothing until it has finished)."""
    if db.engine.url.get_backend_name() != "sqlite":
        return 1
    return max(1, int(db.session.scalar(sa.text("PRAGMA page_count")) or 0))


def start_backup(user: User, language: str) -> Job:
    """Record a backup job (the caller commits and submits)."""
    return start_job(BACKUP, user, {}, total=backup_steps(), language=language)


def start_integrity_check(user: User, language: str) -> Job:
    """Record an integrity check job over every scored evaluation (the caller commits and
    submits)."""
    total = scored_evaluation_count(db.session)
    return start_job(INTEGRITY_CHECK, user, {}, total=total, language=language)


def _page_progress(total: int, progress: Callable[[int], None]) -> Callable[[int, int], None]:
    """SQLite's pages copied as the job's steps: the job's total was the page count when it
    was started, and the database may have grown or shrunk since."""
    done = 0

    def copied(pages: int, pages_total: int) -> None:
        nonlocal done
        now = total * pages // max(pages_total, 1)
        if now > done:
            progress(now - done)
            done = now

    return copied


def run_backup(job: Job, out: IO[bytes], progress: Callable[[int], None]) -> JobOutcome:
    """Back the database up into the job's result, and audit it with its size."""
    starter = _starter(job)
    job_id, actor_id, total = job.id, starter.id, job.rows_total
    url = db.engine.url
    started = job.started_at or utcnow()
    # Only read so far. SQLite's write lock (BEGIN IMMEDIATE outside GET requests) would stop
    # every save, the job's own progress among them, until the copy ends.
    db.session.rollback()
    # create_backup writes its own file beside this one and renames it when complete; both
    # end in .partial, so what a killed worker leaves is swept with the jobs' partial files.
    staging = results_dir() / f".{secrets.token_hex(16)}.backup.partial"
    try:
        try:
            made = create_backup(url, staging, _page_progress(total, progress))
        except BackupError as exc:
            raise BackupFailed(
                _("The backup could not be made: %(reason)s Nothing was saved.", reason=str(exc))
            ) from exc
        with staging.open("rb") as copy:
            shutil.copyfileobj(copy, out, 1024 * 1024)
    finally:
        with contextlib.suppress(FileNotFoundError):
            staging.unlink()
    if made.kind != "sqlite":
        progress(total)  # pg_dump's one step
    record_event(
        "backup.created",
        "system",
        None,
        actor_id=actor_id,
        after={"database": made.kind, "size": made.size, "job": job_id},
    )
    name = f"qa-coach-backup-{utc_stamp(started)}{BACKUP_SUFFIXES[made.kind]}"
    return JobOutcome(
        name,
        _(
            "The backup holds the whole database (%(size)s MB). Keep it where only "
            "administrators can read it: it holds every person's data.",
            size=format_number(made.size / 1_000_000, 1),
        ),
    )


def utc_stamp(moment: datetime) -> str:
    """A moment in UTC as a file name carries it: 2026-12-07T2130Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H%MZ")


def run_integrity_check(job: Job, out: IO[bytes], progress: Callable[[int], None]) -> JobOutcome:
    """Recompute every scored evaluation, write the mismatches' report, and audit it."""
    starter = _starter(job)
    job_id, actor_id = job.id, starter.id
    started = job.started_at or utcnow()
    with snapshot_read(db.session):
        report = check_integrity(db.session, limit=REPORT_ROWS, progress=progress)
    message = integrity_summary(report)
    with export_directory(current_app.config["SCRATCH_DIR"]) as scratch:
        write_integrity_report(
            out, report, scratch=scratch, description=message, language=workbook_language()
        )
    record_event(
        "integrity.checked",
        "system",
        None,
        actor_id=actor_id,
        after={"evaluations": report.evaluations, "problems": report.problems, "job": job_id},
    )
    return JobOutcome(f"qa-coach-integrity-{utc_stamp(started)}{REPORT_SUFFIX}", message)


def integrity_summary(report: IntegrityReport) -> str:
    """What the check found, in words (the job's message and the report's description)."""
    if report.ok:
        return ngettext(
            "%(num)d evaluation checked, no mismatch.",
            "%(num)d evaluations checked, no mismatch.",
            report.evaluations,
        )
    found = ngettext(
        "%(num)d mismatch found. Evaluations checked: %(evaluations)s.",
        "%(num)d mismatches found. Evaluations checked: %(evaluations)s.",
        report.problems,
        evaluations=format_number(report.evaluations, 0),
    )
    if report.problems > len(report.first):
        found += " " + ngettext(
            "The report lists the first %(num)d mismatch.",
            "The report lists the first %(num)d mismatches.",
            len(report.first),
        )
    return found


def recent_maintenance_jobs(limit: int = 10) -> list[tuple[Job, str]]:
    """The latest backups and integrity checks run from the web, by any administrator, with
    the name of who started each, newest first."""
    rows = db.session.execute(
        sa.select(Job, User.display_name)
        .join(User, User.id == Job.started_by_id)
        .where(Job.kind.in_(MAINTENANCE_KINDS))
        .order_by(Job.created_at.desc(), Job.id.desc())
        .limit(limit)
    )
    return [(job, name) for job, name in rows]


def register_maintenance_jobs() -> None:
    """Make the backup (kept to its starter) and the integrity check known to the queue."""
    register_kind(
        BACKUP, run_backup, KIND_TITLES[BACKUP], starter_only=True, progress_words=_parts_words
    )
    register_kind(
        INTEGRITY_CHECK,
        run_integrity_check,
        KIND_TITLES[INTEGRITY_CHECK],
        REPORT_SUFFIX,
        progress_words=evaluations_words,
    )


def _parts_words(done: str, total: str, count: int) -> str:
    """A backup's progress: SQLite's pages copied (pg_dump's whole copy is one part)."""
    return ngettext(
        "%(done)s of %(total)s part of the database copied",
        "%(done)s of %(total)s parts of the database copied",
        count,
        done=done,
        total=total,
    )
