"""The base of every domain rule error: a rule the user broke, told in words they can act on.

This is the bottom layer: it imports nothing from the features, so any service (or the pure
scoring engine) can raise a RuleError and the web layer can answer every one the same way
(qa_app.web.transaction.committing flashes `message` after rolling back).
"""

from __future__ import annotations


class RuleError(Exception):
    """A change the domain rules refuse; `message` says why, for the user who asked.

    Invariant guards (an immutable row about to change) and transport errors are not
    RuleErrors: reaching them is a bug or a protocol answer, not something to flash.
    """

    @property
    def message(self) -> str:
        """The user-facing reason (a lazy translation is resolved now, in the request's
        language)."""
        return str(self)
