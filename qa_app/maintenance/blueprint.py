"""The `maintenance` blueprint: the administrators' Maintenance page (backups and the
integrity check, run as jobs). Its routes are in views.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("maintenance", __name__, url_prefix="/maintenance")
