"""The `exports` blueprint: Excel exports. Its routes are in views.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("exports", __name__, url_prefix="/exports")
