"""The training modules a criterion may name, as the builder offers and checks them.

The catalogue belongs to the training feature, which sits above scorecards in the layers
(pyproject.toml); when the app starts it hands over a function listing the catalogue's
modules in use (qa_app.training.blueprint), so scorecards never import training. The
builder offers exactly these modules and publishes nothing naming another: the same modules
`scorecards sync` accepts from training.toml, which the catalogue is loaded from.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask.sansio.app import App

# (key, title) of each module in use, in catalogue order.
ModuleLister = Callable[[], list[tuple[str, str]]]
EXTENSION = "scorecards.training_modules"


def provide_training_modules(app: App, lister: ModuleLister) -> None:
    """Tell the builder where the catalogue's modules come from."""
    app.extensions[EXTENSION] = lister


def training_modules() -> list[tuple[str, str]]:
    """(key, title) of every module a criterion may name ([] without a catalogue)."""
    lister = current_app.extensions.get(EXTENSION)
    return lister() if lister is not None else []


def known_module_keys() -> frozenset[str]:
    """The keys a published criterion may name."""
    return frozenset(key for key, _title in training_modules())
