"""A confirmed statistics import of STATS_IMPORT_JOB_MIN_MB or more as a job: the file that
passed its dry run is kept in the shared job folder, the worker imports it (all rows or
none, as in the request: a refused file writes nothing and the job says why), and the job's
page says what was imported. Audited as the import in the request is, by its starter."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from flask import current_app
from flask_babel import get_timezone, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from qa_app.auth.models import User
from qa_app.errors import RuleError
from qa_app.extensions import db
from qa_app.jobs.handover import kept_import
from qa_app.jobs.models import Job
from qa_app.jobs.queue import JobOutcome, register_kind
from qa_app.jobs.services import start_job, take_upload
from qa_app.stats.daily_rows import StatsReport
from qa_app.stats.importer import import_stats
from qa_app.teams.match_report import name_matches_warning
from qa_app.uploads.cells import ReadOptions
from qa_app.uploads.dates import DATE_ORDERS
from qa_app.uploads.transaction import read_as, recognised_as

STATISTICS_IMPORT = "statistics_import"
# A text file's data rows are its lines; a workbook's are guessed from its size (the CLI's
# progress bar does the same), and the job's count stops at the guess until it is done.
BYTES_PER_XLSX_ROW = 60


class ImportStarterGone(RuleError, ValueError):
    """The user who confirmed the import was deactivated before it ran."""


def runs_as_job(size: int) -> bool:
    """Whether a confirmed statistics file of `size` bytes is imported by the worker."""
    return size >= current_app.config["STATS_IMPORT_JOB_MIN_MB"] * 1024 * 1024


def estimated_rows(data: bytes) -> int:
    """The file's data rows, or a guess for a workbook (a ZIP file)."""
    if data[:2] == b"PK":
        return max(1, len(data) // BYTES_PER_XLSX_ROW)
    return max(1, data.count(b"\n"))


def start_import_job(
    data: bytes, filename: str, *, source: str, date_order: str, user: User, language: str
) -> Job:
    """Keep the file and record its import as a job (the caller commits and submits)."""
    params = kept_import(data, filename, source=source, date_order=date_order)
    return start_job(STATISTICS_IMPORT, user, params, total=estimated_rows(data), language=language)


def run_statistics_import(job: Job, _out: IO[bytes], progress: Callable[[int], None]) -> JobOutcome:
    """Import the kept file as its starter (all rows or none); what was imported, in words."""
    params = job.params
    data = take_upload(params["upload"])
    starter = db.session.get(User, job.started_by_id)
    if starter is None or not starter.active:
        raise ImportStarterGone(
            str(_l("The account that started this import is no longer active."))
        )
    report = import_stats(
        data,
        params["filename"],
        source=params["source"],
        actor=starter,
        max_bytes=len(data) + 1,
        max_rows=current_app.config["STATS_MAX_ROWS"],
        dry_run=False,
        progress=progress,
        job_id=job.id,
        options=ReadOptions(
            day_first=DATE_ORDERS.get(params["date_order"] or ""), tz=get_timezone()
        ),
    )
    warning = name_matches_warning(report.name_matches)
    return JobOutcome(message=import_summary(report) + (" " + warning if warning else ""))


def import_summary(report: StatsReport) -> str:
    """What an import stored, and how the file was read, in words (the page's message)."""
    return (
        ngettext(
            "Imported %(num)d agent-day (%(replaced)d replaced).",
            "Imported %(num)d agent-days (%(replaced)d replaced).",
            report.agent_days,
            replaced=report.replaced,
        )
        + recognised_as(report.recognised)
        + read_as(report.encoding)
        + "".join(" " + note for note in import_notes(report))
    )


def import_notes(report: StatsReport) -> list[str]:
    """What the result says about how the file's figures were read, beyond its counts."""
    if not report.fcr_from_contacts:
        return []
    return [
        _(
            "The file gives FCR as a percentage but has no column of FCR-eligible contacts, "
            "so each day's FCR was taken as a share of its contacts handled, as AHT is."
        )
    ]


def register_import_jobs() -> None:
    """Make the statistics import known to the queue."""
    register_kind(STATISTICS_IMPORT, run_statistics_import, _l("Statistics import"))
