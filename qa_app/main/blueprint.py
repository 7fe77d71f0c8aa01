"""The `main` blueprint: the home pages. Its routes are in views.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("main", __name__)
