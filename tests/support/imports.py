"""Running a file import the way the web and the CLI run it, for the import tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.uploads.reader import TableError

Report = TypeVar("Report")


def import_as(
    app: Flask,
    user_id: int,
    importer: Callable[..., Report],
    data: bytes,
    filename: str,
    **options: Any,
) -> Report:
    """`importer(data, filename, actor=<user>, **options)`, committed; a refused file is
    rolled back and its TableError raised again."""
    with app.app_context():
        actor = db.session.get_one(User, user_id)
        try:
            report = importer(data, filename, actor=actor, **options)
        except TableError:
            db.session.rollback()
            raise
        db.session.commit()
        return report
