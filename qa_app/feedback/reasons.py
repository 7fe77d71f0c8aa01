"""Reading the agent's dispute form: one reason per ticked criterion (`reason-<key>`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.datastructures import MultiDict

from qa_app.evaluations.services import TEXT_LIMIT
from qa_app.scoring import iter_criteria


def criterion_reasons(
    definition: Mapping[str, Any], form: MultiDict[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """The reason of each ticked criterion (key → text), and the problems by key: a ticked
    criterion without a reason, a reason too long, or a reason beside an unticked criterion
    (refused rather than dropped or guessed, so the agent decides)."""
    ticked = set(form.getlist("criterion_keys"))
    reasons: dict[str, str] = {}
    errors: dict[str, str] = {}
    for _section, criterion in iter_criteria(definition):
        key = criterion["key"]
        text = (form.get(f"reason-{key}") or "").strip()
        if key in ticked:
            reasons[key] = text
            if not text:
                errors[key] = _("Say why you dispute this criterion.")
            elif len(text) > TEXT_LIMIT:
                errors[key] = ngettext(
                    "At most %(num)d character.", "At most %(num)d characters.", TEXT_LIMIT
                )
        elif text:
            errors[key] = _(
                "You wrote a reason without ticking this criterion: tick it to dispute it, "
                "or clear the reason."
            )
    return reasons, errors
