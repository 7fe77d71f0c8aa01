"""The `validity` blueprint: the criterion validity page. Its routes are in views.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("validity", __name__, url_prefix="/validity")
