"""Administration: users and teams."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from qa_app.admin import views  # noqa: E402,F401  (registers the routes)
