"""The API's endpoints, one module per resource; importing this package attaches them all
to the blueprint."""

from qa_app.api.blueprint import bp
from qa_app.api.views import (
    agents,
    calibration,
    document,
    evaluations,
    interactions,
    scorecards,
    stats,
    training,
)

__all__ = [
    "agents",
    "bp",
    "calibration",
    "document",
    "evaluations",
    "interactions",
    "scorecards",
    "stats",
    "training",
]
