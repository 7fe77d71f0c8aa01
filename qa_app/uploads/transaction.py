"""Running a file import from an upload form: one transaction, all rows or none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask_babel import gettext as _
from flask_wtf import FlaskForm

from qa_app.extensions import db
from qa_app.uploads.reader import Problem, TableError

Report = TypeVar("Report")
# What the browser's file picker offers; qa_app.uploads.reader.read_table decides what is accepted.
UPLOAD_ACCEPT = ".csv,.txt,.tsv,.xlsx"


def run_upload(
    form: FlaskForm, importer: Callable[..., Report], **options: Any
) -> tuple[Report | None, list[Problem]]:
    """Call `importer(data, filename, dry_run=…, **options)` on the form's file.

    Commits what it wrote; on a refused file rolls back and returns its problems (the first
    MAX_PROBLEMS of them; their `total` counts them all).
    """
    upload = form.file.data
    try:
        report = importer(
            upload.read(), upload.filename or "upload.csv", dry_run=form.dry_run.data, **options
        )
    except TableError as error:
        db.session.rollback()
        return None, error.problems
    db.session.commit()
    return report, []


def read_as(encoding: str | None) -> str:
    """The sentence added to an import's result saying which encoding a text file was read
    in (with a leading space), so that a file saved in an unexpected one is noticed; "" for
    a workbook."""
    return " " + _("Read as %(encoding)s text.", encoding=encoding) if encoding else ""
