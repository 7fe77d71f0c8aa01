"""The `disputes` blueprint: deciding disputes. Its routes are in views.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("disputes", __name__, url_prefix="/disputes")
