"""Sampling to reach ±H points for every agent: each agent gets the evaluations they still
need, served in the order of the "How many evaluations are enough?" page, within a maximum
total and the interactions there are to draw.

The needs are statistics (qa_app.stats.needed), which sits above evaluations in the layers
(pyproject.toml); when the app starts the stats blueprint hands over the function that lists
them (`provide_still_needed`), so evaluations never import stats.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask.sansio.app import App
from flask_babel import lazy_ngettext

from qa_app.teams.models import Team

# (agent id, evaluations still needed or None while no spread is known) of each active agent
# of the team, from the evaluations submitted in [start, end], most needed first.
StillNeededLister = Callable[[Team, date, date, int], list[tuple[int, int | None]]]
EXTENSION = "evaluations.still_needed"
HALF_WIDTH_RANGE = (1, 50)
MAX_TOTAL = 1000


def provide_still_needed(app: App, lister: StillNeededLister) -> None:
    """Tell the sampling form where each agent's need comes from."""
    app.extensions[EXTENSION] = lister


def still_needed(
    team: Team, start: date, end: date, half_width: int
) -> list[tuple[int, int | None]]:
    """Each active agent's evaluations still needed for ±`half_width`, most needed first."""
    lister: StillNeededLister = current_app.extensions[EXTENSION]
    return lister(team, start, end, half_width)


def month_of(day: date) -> tuple[date, date]:
    """The first and last day of the month `day` is in: the month a sample to reach ±H
    counts the evaluations of."""
    last = calendar.monthrange(day.year, day.month)[1]
    return day.replace(day=1), day.replace(day=last)


@dataclass(frozen=True)
class ReachTarget:
    """Sample each agent's evaluations still needed for ±`half_width` points this month, at
    most `max_total` in all."""

    half_width: int
    max_total: int

    def problems(self) -> list[str]:
        """Every reason the target cannot be used, in plain words (empty when it can)."""
        found = []
        low, high = HALF_WIDTH_RANGE
        if not low <= self.half_width <= high:
            found.append(
                str(
                    lazy_ngettext(
                        "Choose an interval of ±%(low)d to ±%(num)d point; ±%(given)d is not one.",
                        "Choose an interval of ±%(low)d to ±%(num)d points; ±%(given)d is not one.",
                        high,
                        low=low,
                        given=self.half_width,
                    )
                )
            )
        if not 1 <= self.max_total <= MAX_TOTAL:
            found.append(
                str(
                    lazy_ngettext(
                        "Choose between 1 and %(num)d evaluation in all.",
                        "Choose between 1 and %(num)d evaluations in all.",
                        MAX_TOTAL,
                    )
                )
            )
        return found

    def as_record(self, start: date, end: date) -> dict[str, object]:
        """The target for the audit trail, with the month whose evaluations were counted."""
        return {
            "half_width": self.half_width,
            "max_total": self.max_total,
            "from": start.isoformat(),
            "to": end.isoformat(),
        }


@dataclass(frozen=True)
class Allocation:
    """How many evaluations each agent gets, and who got fewer than they need: for want of
    interactions to draw, or because the maximum total ran out; `pending_counted`: the open
    assignments (already drawn, not yet scored) counted towards the needs."""

    counts: dict[int, int]
    short_of_interactions: tuple[int, ...]
    short_of_total: tuple[int, ...]
    pending_counted: int = 0


def allocate(
    needs: Sequence[tuple[int, int]],
    available: Mapping[int, int],
    max_total: int,
    pending: Mapping[int, int] | None = None,
) -> Allocation:
    """Give each agent, in the order of `needs` (most needed first), what they still need
    beyond their `pending` open assignments (evaluations on their way), as far as their
    interactions to draw and what is left of `max_total` allow."""
    pending = pending or {}
    left = max_total
    counts: dict[int, int] = {}
    short_of_interactions: list[int] = []
    short_of_total: list[int] = []
    counted = 0
    for agent_id, still in needs:
        on_the_way = min(pending.get(agent_id, 0), max(still, 0))
        counted += on_the_way
        need = still - on_the_way
        if need <= 0:
            continue
        can = min(need, available.get(agent_id, 0))
        if can < need:
            short_of_interactions.append(agent_id)
        given = min(can, left)
        if given < can:
            short_of_total.append(agent_id)
        left -= given
        if given:
            counts[agent_id] = given
    return Allocation(counts, tuple(short_of_interactions), tuple(short_of_total), counted)
