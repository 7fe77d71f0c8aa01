"""The `training` blueprint: training plans. Its routes are in views.py and plan_actions.py
(views.py imports it). Registering it also tells the scorecard builder which catalogue
modules a criterion may name."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint
from flask.blueprints import BlueprintSetupState

from qa_app.extensions import db
from qa_app.scorecards.training_modules import provide_training_modules
from qa_app.training.models import TrainingModule

bp = Blueprint("training", __name__, url_prefix="/training")


def active_modules() -> list[tuple[str, str]]:
    """(key, title) of the catalogue's modules in use, in catalogue order."""
    modules = db.session.scalars(
        sa.select(TrainingModule)
        .where(TrainingModule.active.is_(True))
        .order_by(TrainingModule.position, TrainingModule.key)
    )
    return [(module.key, module.text("title")) for module in modules]


@bp.record_once
def _offer_modules_to_the_builder(state: BlueprintSetupState) -> None:
    provide_training_modules(state.app, active_modules)
