"""The `auth` blueprint: signing in and the user's own account. Its routes are in views.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auth", __name__)
