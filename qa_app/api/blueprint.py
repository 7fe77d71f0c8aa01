"""The API's blueprint: no CSRF (no cookies are used), JSON errors only."""

from __future__ import annotations

from flask import Blueprint

from qa_app.api.errors import register_api_error_handlers
from qa_app.extensions import csrf

bp = Blueprint("api", __name__)
# Bearer tokens are never sent by a browser on its own, so there is nothing to forge.
csrf.exempt(bp)
register_api_error_handlers(bp)
