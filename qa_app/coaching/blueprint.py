"""The `coaching` blueprint: coaching sessions. Its routes are in views.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("coaching", __name__, url_prefix="/coaching")
