"""Running a file import from an upload form: one transaction, all rows or none."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileRequired
from werkzeug.datastructures import FileStorage
from wtforms import (  # type: ignore[attr-defined]  # SelectChoice: WTForms 3.3, stubs 3.2
    SelectChoice,
    SelectField,
)
from wtforms.validators import StopValidation, ValidationError

from qa_app.extensions import db
from qa_app.uploads import held
from qa_app.uploads.dates import DATE_ORDERS
from qa_app.uploads.reader import Problem, TableError

Report = TypeVar("Report")
# What the browser's file picker offers; qa_app.uploads.reader.read_table decides what is accepted.
UPLOAD_ACCEPT = ".csv,.txt,.tsv,.xlsx"


def date_order_field() -> SelectField:
    """The "Date order" select of an import form: how slash dates such as 12/11/2026 are
    read; by default decided from the file's own dates, which refuses an ambiguous file."""
    return SelectField(
        _l("Date order"),
        choices=[
            SelectChoice("", _l("Decide from the file")),
            SelectChoice("day-first", _l("Day first (31/12/2026)")),
            SelectChoice("month-first", _l("Month first (12/31/2026)")),
        ],
        default="",
        description=_l(
            "For slash dates such as 12/11/2026, which could be 12 November or 11 December."
        ),
    )


def day_first_of(form: FlaskForm) -> bool | None:
    """The form's date order as `ReadOptions.day_first` (None: decided from the file)."""
    return DATE_ORDERS.get(form.date_order.data or "")


def _held_owner() -> str:
    return held.owner_of(current_user.id, session.get("sid"))


class FileOrHeld(FileRequired):
    """The file field of an import form with a `held` field: a chosen file, or the token
    of the file kept since its dry run (qa_app.uploads.held) for this user and browser."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind

    def __call__(self, form: FlaskForm, field: Any) -> None:
        """A new file wins; without one, the kept file is put in the field."""
        token = form.held.data or ""
        if isinstance(field.data, FileStorage) and field.data:
            form.held.data = ""
            return
        if not token:
            super().__call__(form, field)
            return
        kept = held.take(current_app.config["SCRATCH_DIR"], token, _held_owner(), kind=self.kind)
        if kept is None:
            form.held.data = ""
            raise ValidationError(
                _l(
                    "The file checked before is no longer kept (it was imported, is more than "
                    "a day old, or was checked in another sign-in). Choose it again."
                )
            )
        field.data = FileStorage(io.BytesIO(kept.data), filename=kept.filename)
        raise StopValidation()


def upload_size(form: FlaskForm) -> int:
    """The size in bytes of the form's file (chosen now, or kept since its dry run)."""
    stream = form.file.data.stream
    stream.seek(0, 2)
    size = int(stream.tell())
    stream.seek(0)
    return size


def run_upload(
    form: FlaskForm,
    importer: Callable[..., Report],
    *,
    hold_as: str | None = None,
    **options: Any,
) -> tuple[Report | None, list[Problem]]:
    """Call `importer(data, filename, dry_run=…, **options)` on the form's file.

    Commits what it wrote; on a refused file rolls back and returns its problems (the first
    MAX_PROBLEMS of them; their `total` counts them all). With `hold_as` (a form with a
    `held` field and FileOrHeld), a file that passed its dry run is kept and its token put in
    `form.held`, so that the import is confirmed without choosing the file again; the kept
    file is removed once imported.
    """
    upload = form.file.data
    data = upload.read()
    try:
        report = importer(
            data, upload.filename or "upload.csv", dry_run=form.dry_run.data, **options
        )
    except TableError as error:
        db.session.rollback()
        return None, error.problems
    db.session.commit()
    if hold_as is not None:
        root = current_app.config["SCRATCH_DIR"]
        if not form.dry_run.data:
            held.release(root, form.held.data or "")
            form.held.data = ""
        elif not form.held.data:
            name = upload.filename or "upload.csv"
            form.held.data = held.hold(root, data, name, _held_owner(), kind=hold_as)
    return report, []


def read_as(encoding: str | None) -> str:
    """The sentence added to an import's result saying which encoding a text file was read
    in (with a leading space), so that a file saved in an unexpected one is noticed; "" for
    a workbook."""
    return " " + _("Read as %(encoding)s text.", encoding=encoding) if encoding else ""


def recognised_as(title: str | None) -> str:
    """The sentence added to an import's result naming the export the file was recognised
    as (with a leading space), so that a file read by the wrong vendor's layout is noticed;
    "" for a file read by the usual column names."""
    return " " + _("Recognised as %(format)s.", format=title) if title else ""
