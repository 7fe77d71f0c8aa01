"""The `admin` blueprint: user administration. Its routes are in views.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
