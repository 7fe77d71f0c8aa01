"""The `dashboards` blueprint: the team and centre dashboards. Its routes are in views.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dashboards", __name__, url_prefix="/dashboard")
