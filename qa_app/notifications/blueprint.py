"""The `notifications` blueprint: a user's own notifications. Its routes are in views.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("notifications", __name__, url_prefix="/notifications")
