"""`GET /openapi.json`: the OpenAPI 3.1 document describing this API."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from qa_app.api.blueprint import bp
from qa_app.api.openapi import openapi_document
from qa_app.auth.access import public


@bp.get("/openapi.json")
@public
def openapi() -> ResponseReturnValue:
    """The API's description. Public: it holds no data, only the shape of the API (the same
    text is in the source code), and tools such as client generators read it without a
    token."""
    return openapi_document()
