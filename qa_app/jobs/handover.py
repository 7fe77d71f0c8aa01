"""Starting a job from a page: an import's params with its kept file, and handing the
recorded job to the worker, the one way every page that starts a job ends its request."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf import FlaskForm

from qa_app.extensions import db
from qa_app.jobs.models import Job
from qa_app.jobs.services import JobQueueUnavailable, keep_upload, submit
from qa_app.uploads import held
from qa_app.web.forms import required_data


def hand_over(job: Job) -> ResponseReturnValue:
    """Commit the recorded job, hand it to the queue and show its page, which follows its
    progress (a queue that does not answer is told there: the job is marked failed)."""
    job_id = job.id
    db.session.commit()
    try:
        submit(job_id)
    except JobQueueUnavailable as exc:
        flash(exc.message, "danger")
    return redirect(url_for("jobs.detail", job_id=job_id), 303)


def kept_import(data: bytes, filename: str, *, source: str, date_order: str) -> dict[str, Any]:
    """An import job's params: the uploaded file (kept in the shared job folder until the job
    reads it), its name, its source and the order of its slash dates."""
    return {
        "upload": keep_upload(data),
        "filename": filename,
        "source": source,
        "date_order": date_order,
    }


def start_import_from_form(form: FlaskForm, start: Callable[..., Job]) -> ResponseReturnValue:
    """Start the import job of a confirmed upload form (its file, source and date order)
    with the feature's `start` function, hand it over and release the file kept since the
    dry run (the job has its own copy)."""
    upload = form.file.data
    job = start(
        upload.read(),
        upload.filename or "upload.csv",
        source=required_data(form.source.data),
        date_order=form.date_order.data or "",
        user=current_user,
        language=str(get_locale()),
    )
    followed = hand_over(job)
    held.release(current_app.config["SCRATCH_DIR"], form.held.data or "")
    return followed
