"""The `profiles` blueprint: the import profiles page and the profile editor. Its routes
are in views.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("profiles", __name__, url_prefix="/import-profiles")
