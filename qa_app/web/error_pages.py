"""Friendly error pages; a failed request never leaves a half-written transaction."""

from __future__ import annotations

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from qa_app.api.errors import http_error_response, is_api_request
from qa_app.extensions import db


def register_error_handlers(app: Flask) -> None:
    """Render errors/<code>.html for the errors a user can meet."""

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
        if is_api_request():  # e.g. 404 or 405 from routing, before any API view is chosen
            return http_error_response(error)
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
        if app.testing and not app.config.get("RENDER_SERVER_ERRORS"):
            raise error  # let the test show the real traceback
        app.logger.exception("Unhandled error")
        message = _("Something went wrong on our side. Nothing was saved; please try again.")
        return render_template("errors/error.html", code=500, message=message), 500
