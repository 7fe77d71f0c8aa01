"""One commit per request, as indico's RH.process: commit once after the change, roll back on
any exception; a refused rule is flashed instead of a try/rollback/flash block in every view."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import flash

from qa_app.errors import RuleError
from qa_app.extensions import db


@dataclass
class Outcome:
    """What a `committing` block did; set `success` inside it when the text depends on the
    result (a name the change gave, a count)."""

    success: str | None = None
    category: str = "success"
    error: RuleError | None = None

    @property
    def saved(self) -> bool:
        """Whether the change was committed (False once a rule refused it)."""
        return self.error is None


@contextmanager
def committing(success: str | None = None, *, category: str = "success") -> Iterator[Outcome]:
    """Run the block's change in one transaction.

    Success: commit, then flash `success` (or the `Outcome.success` the block set) with
    `category`. A RuleError: roll back, flash its message as "danger", and carry on after the
    block with `outcome.saved` False. Any other exception (an abort too): roll back and let it
    propagate, so an `except` around the block only has to answer it, or the 500 page does.
    """
    outcome = Outcome(success, category)
    try:
        yield outcome
        db.session.commit()
    except RuleError as error:
        db.session.rollback()
        outcome.error = error
        flash(error.message, "danger")
        return
    except BaseException:
        db.session.rollback()
        raise
    if outcome.success:
        flash(outcome.success, outcome.category)
