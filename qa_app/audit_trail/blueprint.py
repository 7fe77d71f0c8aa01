"""The `audit_trail` blueprint: the audit trail browser. Its routes are in views.py."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audit_trail", __name__, url_prefix="/audit")
