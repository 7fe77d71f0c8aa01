"""What an import's result page says about its agents: those matched by name only (a
warning) and the values that matched nobody (each once, with a link to link it for admins)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from flask import flash
from flask_babel import ngettext

from qa_app.teams.identities import NameMatch
from qa_app.teams.scope import UNKNOWN_AGENT
from qa_app.uploads.reader import Problem

SHOWN_NAMES = 10


def unknown_agents(problems: Iterable[Problem]) -> list[Problem]:
    """The problems of a refused import that are agent values nobody has (one per value)."""
    return [problem for problem in problems if problem.reason.startswith(str(UNKNOWN_AGENT))]


def flash_name_matches(matches: Sequence[NameMatch]) -> None:
    """Warn, after an import, about the agents it matched by their display name only."""
    warning = name_matches_warning(matches)
    if warning:
        flash(warning, "warning")


def name_matches_warning(matches: Sequence[NameMatch]) -> str | None:
    """The warning about the agents an import matched by their display name only (None:
    there were none); flashed after an import in the request, part of a job's result."""
    if not matches:
        return None
    names = ", ".join(f"“{match.value}”" for match in matches[:SHOWN_NAMES])
    if len(matches) > SHOWN_NAMES:
        names += " …"
    return ngettext(
        "%(num)d agent was matched by their name only (%(names)s); link their "
        "%(source)s ids to be sure.",
        "%(num)d agents were matched by their name only (%(names)s); link their "
        "%(source)s ids to be sure.",
        len(matches),
        names=names,
        source=matches[0].source,
    )
