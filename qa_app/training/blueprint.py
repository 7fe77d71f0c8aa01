"""The `training` blueprint (/training): its pages are in views.py (list, proposing, the plan,
follow-up, catalogue) and plan_actions.py (each change to a plan); views.py imports both."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("training", __name__)
