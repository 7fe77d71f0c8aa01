"""Friendly error pages; a failed request never leaves a half-written transaction."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, g, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from qa_app.database import storage_failure
from qa_app.extensions import db, login_manager

JsonErrors = tuple[Callable[[], bool], Callable[[HTTPException], ResponseReturnValue]]


def register_error_handlers(app: Flask, *, json_errors: JsonErrors | None = None) -> None:
    """Render errors/<code>.html for the errors a user can meet.

    `json_errors` is (is_json_request, respond): requests it claims get `respond(error)`
    instead of a page, also for 404 and 405 raised by routing before any blueprint is chosen.
    """

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> ResponseReturnValue:
        db.session.rollback()
        message = _(
            "The form could not be accepted because its security token is missing or has "
            "expired. Go back, reload the page and try again."
        )
        return render_template("errors/error.html", code=400, message=message), 400

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> ResponseReturnValue:
        if json_errors is not None and json_errors[0]():
            return json_errors[1](error)
        db.session.rollback()
        code = error.code or 500
        messages = {
            400: _("The request could not be understood."),
            403: _("You do not have permission to open this page."),
            404: _("There is nothing here. The page may have moved, or it is not yours to see."),
            405: _("This page cannot be opened that way."),
            413: _("The file is too large to upload."),
        }
        message = messages.get(code, error.description)
        return render_template("errors/error.html", code=code, message=message), code

    @app.errorhandler(Exception)
    def _server_error(error: Exception) -> ResponseReturnValue:
        db.session.rollback()
        if storage := storage_failure(error):
            # The disk is full or the database read-only: an operator's problem, not a bug.
            app.logger.error("Could not save (%s): %s", storage, error)
            if "_login_user" not in g:
                # The user could not be read either (a read-only database refuses even to
                # begin a write transaction): show the page as to a visitor, without the
                # database, rather than fail again while rendering it.
                g._login_user = login_manager.anonymous_user()
            message = _(
                "The server could not save: its storage is full or read-only. Nothing was "
                "changed. Please tell your administrator, and try again later."
            )
            if json_errors is not None and json_errors[0]():
                return json_errors[1](ServiceUnavailable())
            return render_template("errors/error.html", code=503, message=message), 503
        if app.testing and not app.config.get("RENDER_SERVER_ERRORS"):
            raise error  # let the test show the real traceback
        app.logger.exception("Unhandled error")
        message = _("Something went wrong on our side. Nothing was saved; please try again.")
        return render_template("errors/error.html", code=500, message=message), 500
