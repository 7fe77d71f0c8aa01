"""The Maintenance page (administrators): what a backup is, the latest backups and integrity
checks run from the web, and the two buttons that start them as jobs."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_login import current_user

from qa_app.auth.access import role_required
from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.jobs.models import Job, JobStatus
from qa_app.jobs.queue import kind_title
from qa_app.jobs.services import JobQueueUnavailable, result_path, submit, visible_job
from qa_app.maintenance.blueprint import bp
from qa_app.maintenance.jobs import (
    REPORT_ROWS,
    recent_maintenance_jobs,
    start_backup,
    start_integrity_check,
)
from qa_app.web.forms import PostForm

DATABASE_TITLES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@bp.route("/")
@role_required(Role.ADMIN)
def index() -> ResponseReturnValue:
    """The Maintenance page."""
    jobs = recent_maintenance_jobs()
    backend = db.engine.url.get_backend_name()
    return render_template(
        "maintenance/index.html",
        form=PostForm(),
        report_limit=REPORT_ROWS,
        jobs=jobs,
        kind_title=kind_title,
        job_status=lambda status: JobStatus(status).label,
        openable=lambda job: visible_job(job.id, current_user) is not None,
        downloadable=lambda job: (
            visible_job(job.id, current_user) is not None and result_path(job) is not None
        ),
        days=current_app.config["JOB_RESULTS_DAYS"],
        database=DATABASE_TITLES.get(backend, backend),
    )


@bp.route("/backup", methods=["POST"])
@role_required(Role.ADMIN)
def backup() -> ResponseReturnValue:
    """Start a backup of the database as a job, and show its page."""
    return _start(start_backup)


@bp.route("/integrity-check", methods=["POST"])
@role_required(Role.ADMIN)
def integrity_check() -> ResponseReturnValue:
    """Start the integrity check as a job, and show its page."""
    return _start(start_integrity_check)


def _start(start: Callable[[User, str], Job]) -> ResponseReturnValue:
    """Record the job, hand it to the queue, and follow it on its page."""
    if not PostForm().validate_on_submit():
        abort(400)
    job_id = start(current_user, str(get_locale())).id
    db.session.commit()
    try:
        submit(job_id)
    except JobQueueUnavailable as exc:
        flash(exc.message, "danger")
    return redirect(url_for("jobs.detail", job_id=job_id))
