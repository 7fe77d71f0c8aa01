"""The role-specific home pages and the health check."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from qa_app.main import views  # noqa: E402,F401  (registers the routes)
