"""Signing in and out, and the signed-in user's own account page."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from qa_app.auth import views  # noqa: E402,F401  (registers the routes)
