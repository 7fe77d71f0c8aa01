"""The `stats` blueprint: statistics import, KPI targets and the agent page. Its routes are in
views.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("stats", __name__, url_prefix="/stats")
