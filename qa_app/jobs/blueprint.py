"""The `jobs` blueprint: a user's jobs, their progress and results. Routes in views.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("jobs", __name__, url_prefix="/jobs")
