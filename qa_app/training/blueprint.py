"""The `training` blueprint: training plans. Its routes are in views.py and plan_actions.py
(views.py imports it)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("training", __name__, url_prefix="/training")
