"""The evaluations and feedback workbooks as jobs: started from the Exports pages when they
hold more than EXPORT_JOB_MIN_EVALUATIONS evaluations, run by the worker, downloaded from the
job's page. The job reads the same snapshot, writes the same workbook and records the same
audit event as the download in the request does, with the job's id."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import IO, Any

from flask import current_app
from flask_babel import get_timezone
from flask_babel import lazy_gettext as _l

from qa_app.auth.models import User
from qa_app.database import snapshot_read
from qa_app.errors import RuleError
from qa_app.exports.download_names import download_name
from qa_app.exports.services import (
    export_evaluations,
    export_feedback,
    feedback_filters,
    record_export,
)
from qa_app.extensions import db
from qa_app.jobs.models import Job
from qa_app.jobs.queue import JobOutcome, evaluations_words, register_kind
from qa_app.stats.filters import ReportFilters, scope_of

EVALUATIONS_WORKBOOK = "evaluations_workbook"
FEEDBACK_WORKBOOK = "feedback_workbook"
KIND_TITLES = {
    EVALUATIONS_WORKBOOK: _l("Evaluations workbook"),
    FEEDBACK_WORKBOOK: _l("Feedback workbook"),
}
XLSX_SUFFIX = ".xlsx"


class StarterGone(RuleError, ValueError):
    """The user who started the job was deactivated before it ran."""


def runs_as_job(evaluations: int) -> bool:
    """Whether an export of this many evaluations runs as a job rather than in the request."""
    return evaluations >= current_app.config["EXPORT_JOB_MIN_EVALUATIONS"]


def filter_params(filters: ReportFilters) -> dict[str, Any]:
    """The filters as a job keeps them (the scope is the starter's, worked out again when the
    job runs; the time zone is the centre's)."""
    return {
        "start": filters.start.isoformat(),
        "end": filters.end.isoformat(),
        "team_id": filters.team_id,
        "agent_id": filters.agent_id,
        "scorecard_id": filters.scorecard_id,
        "channel": filters.channel,
    }


def _filters(params: dict[str, Any], starter: User) -> ReportFilters:
    return ReportFilters(
        date.fromisoformat(params["start"]),
        date.fromisoformat(params["end"]),
        get_timezone(),
        team_id=params["team_id"],
        agent_id=params["agent_id"],
        scorecard_id=params["scorecard_id"],
        channel=params["channel"],
        scope=scope_of(starter),
    )


def _starter(job: Job) -> User:
    user = db.session.get(User, job.started_by_id)
    if user is None or not user.active:
        raise StarterGone(str(_l("The account that started this export is no longer active.")))
    return user


def run_evaluations_workbook(
    job: Job, out: IO[bytes], progress: Callable[[int], None]
) -> JobOutcome:
    """Write the evaluations workbook of the job's filters and audit it."""
    starter = _starter(job)
    filters = _filters(job.params["filters"], starter)
    job_id, actor_id = job.id, starter.id
    with snapshot_read(db.session):
        rows = export_evaluations(filters, out, progress=progress)
    record_export("export.evaluations", filters, rows, via="web", actor_id=actor_id, job_id=job_id)
    return JobOutcome(
        download_name("qa-evaluations", filters.start.isoformat(), filters.end.isoformat())
    )


def run_feedback_workbook(job: Job, out: IO[bytes], progress: Callable[[int], None]) -> JobOutcome:
    """Write one agent's feedback workbook and audit it."""
    starter = _starter(job)
    filters = _filters(job.params["filters"], starter)
    job_id, actor_id = job.id, starter.id
    with snapshot_read(db.session):
        agent = db.session.get(User, job.params["agent_id"])
        if agent is None:
            raise StarterGone(str(_l("The agent of this feedback workbook no longer exists.")))
        name = download_name(
            "qa-feedback", agent.display_name, filters.start.isoformat(), filters.end.isoformat()
        )
        rows = export_feedback(agent, filters, out, progress=progress)
        audited = feedback_filters(agent, filters)
        agent_id = agent.id
    record_export(
        "export.feedback",
        audited,
        rows,
        via="web",
        entity=("user", agent_id),
        actor_id=actor_id,
        job_id=job_id,
    )
    return JobOutcome(name)


def register_export_jobs() -> None:
    """Make both workbooks known to the queue."""
    register_kind(
        EVALUATIONS_WORKBOOK,
        run_evaluations_workbook,
        KIND_TITLES[EVALUATIONS_WORKBOOK],
        XLSX_SUFFIX,
        progress_words=evaluations_words,
    )
    register_kind(
        FEEDBACK_WORKBOOK,
        run_feedback_workbook,
        KIND_TITLES[FEEDBACK_WORKBOOK],
        XLSX_SUFFIX,
        progress_words=evaluations_words,
    )
