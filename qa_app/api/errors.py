"""The API's one error shape, and the handlers that keep HTML error pages out of the API.

Every error is `{"error": {"code": "machine_code", "message": "human text", "details": [...]}}`;
`details` lists what was wrong with which item and field (empty when there is nothing more
to say). Integrations match on `code` and the field names, which stay English; people read
`message` and each detail's `reason`, told in the caller's language: the token owner's
chosen language, else the request's Accept-Language, else the centre's (qa_app.i18n).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from werkzeug.exceptions import HTTPException

from qa_app.database import storage_failure
from qa_app.extensions import db
from qa_app.uploads.reader import Problem, TableError

API_PREFIX = "/api/"

# HTTP status → (code, message) for errors raised by Flask and Werkzeug rather than by us;
# the message is told in the caller's language when the answer is made.
HTTP_ERRORS: Mapping[int, tuple[str, Any]] = {
    400: ("bad_request", _l("The request could not be understood.")),
    401: (
        "unauthorized",
        _l("Send a valid personal API token as 'Authorization: Bearer <token>'."),
    ),
    403: ("forbidden", _l("Your role may not use this endpoint.")),
    404: ("not_found", _l("There is nothing here, or it is not yours to see.")),
    405: ("method_not_allowed", _l("This endpoint does not accept this HTTP method.")),
    409: ("conflict", _l("The request conflicts with another change; send it again.")),
    413: ("payload_too_large", _l("The request body is larger than this server accepts.")),
    415: (
        "unsupported_media_type",
        _l("Send the body as JSON (Content-Type: application/json)."),
    ),
    422: ("validation_failed", _l("The request is well-formed but its content is not valid.")),
    500: ("server_error", _l("Something went wrong on our side. Nothing was saved.")),
    503: (
        "storage_unavailable",
        _l(
            "The server could not save: its storage is full or read-only. Nothing was "
            "changed; send the request again later."
        ),
    ),
}


@dataclass(frozen=True)
class Detail:
    """One thing wrong: which item of a batch (0-based; None for the request as a whole),
    which field or query parameter, the value given, and why."""

    item: int | None
    field: str | None
    value: str | None
    reason: str

    @classmethod
    def from_problem(cls, problem: Problem) -> Detail:
        """A row problem of the shared import checks, its row being the item's index."""
        return cls(problem.row, problem.column, problem.value, problem.reason)

    def as_json(self) -> dict[str, Any]:
        """The detail as the error schema's object."""
        return {
            "item": self.item,
            "field": self.field,
            "value": self.value,
            "reason": str(self.reason),
        }


class ApiError(Exception):
    """An error answer of the API: raise it anywhere below a view."""

    def __init__(
        self,
        status: int,
        code: str,
        message: object,
        details: Iterable[Detail] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        # A lazy message (HTTP_ERRORS) is told in the caller's language now.
        self.status, self.code, self.message = status, code, str(message)
        self.details = list(details)
        self.headers = dict(headers or {})


def validation_error(error: TableError) -> ApiError:
    """422 listing the problems the shared import checks found (item index, field, why):
    the first MAX_PROBLEMS, the message counting them all."""
    message = _("Nothing was stored: some items are not valid (see details).")
    if error.total > len(error.problems):
        message = ngettext(
            "Nothing was stored: %(num)d problem in the items; details lists the first %(shown)d.",
            "Nothing was stored: %(num)d problems in the items; details lists the first %(shown)d.",
            error.total,
            shown=len(error.problems),
        )
    return ApiError(
        422,
        "validation_failed",
        message,
        [Detail.from_problem(problem) for problem in error.problems],
    )


def conflict(message: str) -> ApiError:
    """409: a concurrent request stored the same records first; sending again is safe."""
    message = _("%(reason)s Nothing was stored; send the request again.", reason=message)
    return ApiError(409, "conflict", message)


def error_response(error: ApiError) -> ResponseReturnValue:
    """The JSON response for an ApiError."""
    body = {
        "error": {
            "code": error.code,
            "message": error.message,
            "details": [detail.as_json() for detail in error.details],
        }
    }
    return jsonify(body), error.status, error.headers


def http_error_response(error: HTTPException) -> ResponseReturnValue:
    """An HTTP error raised by Flask or Werkzeug (routing, body size…) in the API's shape."""
    db.session.rollback()
    status = error.code or 500
    code, message = HTTP_ERRORS.get(status, ("http_error", error.description or ""))
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    return error_response(ApiError(status, code, message, headers=headers))


def is_api_request() -> bool:
    """True for any path under /api/, matched to a route or not."""
    return request.path.startswith(API_PREFIX)


def register_api_error_handlers(bp: Blueprint) -> None:
    """Answer every error raised in the API's views in JSON."""

    @bp.errorhandler(ApiError)
    def _api_error(error: ApiError) -> ResponseReturnValue:
        db.session.rollback()
        return error_response(error)

    bp.register_error_handler(HTTPException, http_error_response)

    @bp.errorhandler(Exception)
    def _server_error(error: Exception) -> ResponseReturnValue:
        db.session.rollback()
        app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]  # proxy method
        if storage := storage_failure(error):
            app.logger.error("Could not save (%s): %s", storage, error)
            return error_response(ApiError(503, *HTTP_ERRORS[503]))
        if app.testing and not app.config.get("RENDER_SERVER_ERRORS"):
            raise error  # let the test show the real traceback
        app.logger.exception("Unhandled error in the API")
        code, message = HTTP_ERRORS[500]
        return error_response(ApiError(500, code, message))
