"""Running a file import from an upload form: one transaction, all rows or none."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (  # type: ignore[attr-defined]  # SelectChoice: WTForms 3.3, stubs 3.2
    SelectChoice,
    SelectField,
)

from qa_app.extensions import db
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


def recognised_as(title: str | None) -> str:
    """The sentence added to an import's result naming the export the file was recognised
    as (with a leading space), so that a file read by the wrong vendor's layout is noticed;
    "" for a file read by the usual column names."""
    return " " + _("Recognised as %(format)s.", format=title) if title else ""
