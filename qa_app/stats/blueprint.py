"""The `stats` blueprint: statistics import, KPI targets, the agent page and how many
evaluations are enough. Its routes are in views.py. Registering it also tells the sampling
form how many evaluations each agent still needs."""

from __future__ import annotations

from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from qa_app.evaluations.sample_needs import provide_still_needed
from qa_app.stats.needed import still_needed_for_sampling

bp = Blueprint("stats", __name__, url_prefix="/stats")


@bp.record_once
def _offer_needs_to_sampling(state: BlueprintSetupState) -> None:
    provide_still_needed(state.app, still_needed_for_sampling)
