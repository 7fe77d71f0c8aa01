"""The `teams` blueprint: team administration under /admin/teams. Its routes are in views.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("teams", __name__, url_prefix="/admin/teams")
