"""Text no database can store: a NUL character anywhere in a request's path, query or form
is refused with a clear message before any view runs.

PostgreSQL's text cannot hold U+0000 (psycopg raises DataError: a 500 for a typed or pasted
character), and SQLite would keep it silently, to break exports and other tools later. The API
checks its own paths, parameters and JSON bodies (`api/params.py`, `api/payloads.py`, which
name the field) and `tabular.py` uploaded files; this guard covers the web pages' requests
in one place.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

NUL = "\x00"


def _holds_nul(values: MultiDict[str, str]) -> bool:
    return any(NUL in key or NUL in value for key, value in values.items(multi=True))


def register_nul_guard(app: Flask, *, checked_elsewhere: Callable[[], bool]) -> None:
    """Answer 400 with an explanation to a page request whose path, query or form holds a NUL.

    Requests for which `checked_elsewhere()` is true are left alone (the API names the
    parameter or item itself, in JSON)."""

    @app.before_request
    def _refuse_nul() -> ResponseReturnValue | None:
        if checked_elsewhere():
            return None
        if NUL not in request.path and not (_holds_nul(request.args) or _holds_nul(request.form)):
            return None
        message = _(
            "The request contains a NUL character (\\0), which no text can hold. "
            "Remove it and try again."
        )
        return render_template("errors/error.html", code=400, message=message), 400
