"""A confirmed interaction import of INTERACTION_IMPORT_JOB_MIN_MB or more as a job: the file
that passed its dry run is kept in the shared job folder and the worker imports it, all rows
or none as in the request (a refused file writes nothing and the job names the row, the
column and why). The starter's right to import, and the agents they may import for, are
checked again when the job runs: they may have lost them since. Audited as the import in the
request is, by its starter, with the job's id."""

from __future__ import annotations

from collections.abc import Callable
from typing import IO

from flask import current_app
from flask_babel import get_timezone, ngettext
from flask_babel import lazy_gettext as _l

from qa_app.auth.models import EVALUATOR_ROLES, User
from qa_app.errors import RuleError
from qa_app.extensions import db
from qa_app.interactions.importer import ImportReport, import_interactions
from qa_app.jobs.handover import kept_import
from qa_app.jobs.models import Job
from qa_app.jobs.queue import JobOutcome, register_kind
from qa_app.jobs.services import start_job, take_upload
from qa_app.progress import estimated_rows
from qa_app.teams.match_report import name_matches_warning
from qa_app.uploads.cells import ReadOptions
from qa_app.uploads.dates import DATE_ORDERS
from qa_app.uploads.transaction import read_as, recognised_as

INTERACTION_IMPORT = "interaction_import"


class ImportStarterGone(RuleError, ValueError):
    """The user who confirmed the import was deactivated, or may no longer import, before
    it ran."""


def runs_as_job(size: int) -> bool:
    """Whether a confirmed interaction file of `size` bytes is imported by the worker."""
    return size >= current_app.config["INTERACTION_IMPORT_JOB_MIN_MB"] * 1024 * 1024


def start_import_job(
    data: bytes, filename: str, *, source: str, date_order: str, user: User, language: str
) -> Job:
    """Keep the file and record its import as a job (the caller commits and submits)."""
    params = kept_import(data, filename, source=source, date_order=date_order)
    total = max(1, estimated_rows(data))
    return start_job(INTERACTION_IMPORT, user, params, total=total, language=language)


def import_starter(job: Job) -> User:
    """The job's starter, if they may still import interactions (active, a supervisor or a
    manager); which agents they may import for is checked row by row by the importer."""
    starter = db.session.get(User, job.started_by_id)
    if starter is None or not starter.active:
        raise ImportStarterGone(
            str(_l("The account that started this import is no longer active."))
        )
    if starter.role not in EVALUATOR_ROLES:
        raise ImportStarterGone(
            str(
                _l(
                    "The account that started this import may no longer import interactions. "
                    "Nothing was imported."
                )
            )
        )
    return starter


def run_interaction_import(
    job: Job, _out: IO[bytes], progress: Callable[[int], None]
) -> JobOutcome:
    """Import the kept file as its starter (all rows or none); what was imported, in words."""
    params = job.params
    data = take_upload(params["upload"])
    starter = import_starter(job)
    report = import_interactions(
        data,
        params["filename"],
        source=params["source"],
        actor=starter,
        max_bytes=len(data) + 1,
        max_rows=current_app.config["IMPORT_MAX_ROWS"],
        options=ReadOptions(
            day_first=DATE_ORDERS.get(params["date_order"] or ""), tz=get_timezone()
        ),
        progress=progress,
        job_id=job.id,
    )
    warning = name_matches_warning(report.name_matches)
    return JobOutcome(message=import_summary(report) + (" " + warning if warning else ""))


def import_summary(report: ImportReport) -> str:
    """What an import stored, and how the file was read, in words (the page's message)."""
    return (
        ngettext("Imported %(num)d interaction.", "Imported %(num)d interactions.", report.new)
        + " "
        + ngettext(
            "%(num)d was already imported.",
            "%(num)d were already imported.",
            report.already_imported,
        )
        + recognised_as(report.recognised)
        + read_as(report.encoding)
    )


def register_interaction_import_jobs() -> None:
    """Make the interaction import known to the queue."""
    register_kind(INTERACTION_IMPORT, run_interaction_import, _l("Interaction import"))
