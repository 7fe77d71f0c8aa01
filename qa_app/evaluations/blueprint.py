"""The `evaluations` blueprint (/evaluations): the work queue, scoring, release, history
(views.py) and drawing samples into the queue (sample_views.py); views.py imports both."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("evaluations", __name__)
