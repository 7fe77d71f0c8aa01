"""A user's jobs: the list of recent ones, one job's page with its progress (followed by
static/js/job-progress.js through the JSON status, or by reloading without JavaScript), and
the download of its result. Only the starter, or an administrator, sees a job: 404 for
anyone else, on every route."""

from __future__ import annotations

from typing import Any

from flask import abort, jsonify, render_template, send_file
from flask.typing import ResponseReturnValue
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.i18n import format_number, format_share
from qa_app.jobs.blueprint import bp
from qa_app.jobs.models import FINISHED, Job, JobStatus
from qa_app.jobs.queue import kind_title, progress_words
from qa_app.jobs.services import recent_jobs, result_path, seconds_left, share_done, visible_job

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Seconds between two looks at a running job (the script and the page's reload).
POLL_SECONDS = 2


def job_or_404(job_id: int) -> Job:
    """The job, if the signed-in user started it or is an administrator."""
    job = visible_job(job_id, current_user)
    if job is None:
        abort(404)
    return job


def progress_texts(job: Job) -> dict[str, Any]:
    """The job's progress as the page and its JSON show it, in the reader's language."""
    left = seconds_left(job)
    share = share_done(job)
    return {
        "status": str(job.status),
        "status_label": JobStatus(job.status).label,
        "finished": job.status in FINISHED,
        "rows_done": job.rows_done,
        "rows_total": job.rows_total,
        "percent": round(share * 100, 1),
        # In the kind's own unit; the plural agrees with the total.
        "rows_text": progress_words(
            job.kind,
            format_number(job.rows_done, 0),
            format_number(job.rows_total, 0),
            job.rows_total,
        ),
        "percent_text": format_share(share),
        "estimate_text": (
            _("about %(time)s left", time=format_timedelta(left, threshold=0.9))
            if left is not None
            else ""
        ),
    }


@bp.route("/")
@role_required()
def index() -> ResponseReturnValue:
    """The user's recent jobs with their status and results."""
    jobs = recent_jobs(current_user)
    return render_template(
        "jobs/index.html", jobs=jobs, kind_title=kind_title, progress=progress_texts
    )


@bp.route("/<int:job_id>")
@role_required()
def detail(job_id: int) -> ResponseReturnValue:
    """One job: its progress while it runs, then its result or why it failed."""
    job = job_or_404(job_id)
    return render_template(
        "jobs/detail.html",
        job=job,
        title=kind_title(job.kind),
        progress=progress_texts(job),
        downloadable=result_path(job) is not None,
        poll_seconds=POLL_SECONDS,
    )


@bp.route("/<int:job_id>/status")
@role_required()
def status(job_id: int) -> ResponseReturnValue:
    """The job's progress as JSON, for the page's script."""
    return jsonify(progress_texts(job_or_404(job_id)))


@bp.route("/<int:job_id>/download")
@role_required()
def download(job_id: int) -> ResponseReturnValue:
    """The finished job's result file, while it is kept (410 once it was deleted)."""
    job = job_or_404(job_id)
    if job.expired_at is not None:
        abort(410)
    path = result_path(job)
    if path is None:
        abort(404)
    return send_file(
        path,
        mimetype=XLSX if path.suffix == ".xlsx" else "application/octet-stream",
        as_attachment=True,
        download_name=job.result_name or path.name,
        conditional=False,
        etag=False,
    )
