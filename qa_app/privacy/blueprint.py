"""The `privacy` blueprint: personal-data export and anonymisation. Its routes are in views.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("privacy", __name__)
