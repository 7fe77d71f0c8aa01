"""The centre dashboard's figures, kept in the shared cache for up to CACHE_MINUTES.

Reading every answer of the period takes a second at a million evaluations, so the figures
(numbers only, never rendered HTML or labels in one reader's language) are kept under a key
made of the filters, the viewer's scope and a time bucket of CACHE_MINUTES: a new bucket
starts a new key, so figures are never older than that, and the page says when they were
computed. The cache is Flask-Caching's: files in instance/ (every worker of one machine) or
Redis (every instance), so no figure lives in one process's memory only.

The figures rendered as HTML are kept too, beside them: at a million evaluations the centre
has 80 teams and as many evaluators, and formatting their thousand numbers on every view cost
more than reading the figures. That fragment is keyed by the figures it shows (their key and
the time they were computed, so a Refresh starts a new one), the reader's language and time
zone; it holds nothing per user beyond the scope in the figures' key, and no form token.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from flask import current_app
from markupsafe import Markup
from redis.exceptions import RedisError

from qa_app.dashboards.centre import (
    CriterionSums,
    EvaluatorRow,
    TeamRow,
    TeamTrend,
    evaluator_consistency,
    monthly_trend_by_team,
    teams_compared,
    weakest_criteria_sums,
)
from qa_app.extensions import cache
from qa_app.stats.filters import ReportFilters
from qa_app.stats.performance import MeanWithInterval

# Part of every key: a release that changes these classes starts with an empty cache instead
# of reading figures pickled in another shape.
FIGURES_VERSION = 1
# The same for the rendered figures: a release that changes their template starts anew.
FRAGMENT_VERSION = 1


@dataclass(frozen=True)
class CentreFigures:
    """Every figure of the centre dashboard for one set of filters, and when it was computed."""

    teams: list[TeamRow]
    months: list[date]
    trends: list[TeamTrend]
    weakest: list[CriterionSums]
    centre_qa: MeanWithInterval
    evaluators: list[EvaluatorRow]
    computed_at: datetime


def compute_centre_figures(filters: ReportFilters) -> CentreFigures:
    """The centre dashboard's figures, read from the database now."""
    months, trends = monthly_trend_by_team(filters)
    centre_qa, evaluators = evaluator_consistency(filters)
    return CentreFigures(
        teams=teams_compared(filters),
        months=months,
        trends=trends,
        weakest=weakest_criteria_sums(filters),
        centre_qa=centre_qa,
        evaluators=evaluators,
        computed_at=datetime.now(UTC),
    )


def time_bucket(now: datetime, minutes: int) -> int:
    """The number of the `minutes`-long slice of time `now` falls in (from the epoch)."""
    return int(now.timestamp() // (minutes * 60))


def figures_key(filters: ReportFilters, viewer_scope: str, bucket: int) -> str:
    """The cache key of the figures: every filter that changes them, the scope of the viewer
    (figures of a limited scope are never served to another viewer) and the time bucket."""
    parts = (
        FIGURES_VERSION,
        filters.start.isoformat(),
        filters.end.isoformat(),
        str(filters.tz),
        filters.team_id,
        filters.agent_id,
        filters.scorecard_id,
        filters.channel,
        tuple(sorted(filters.statuses)),
        viewer_scope,
        bucket,
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"centre-figures:{digest}"


def _kept(key: str) -> Any:
    """What the cache holds under `key`, or None; a cache that cannot be read is logged."""
    try:
        return cache.get(key)
    except (RedisError, OSError) as error:
        current_app.logger.warning("The cache could not be read: %s", error)
        return None


def _keep(key: str, value: object) -> None:
    """Keep `value` for CACHE_MINUTES; a cache that cannot be written is logged."""
    try:
        cache.set(key, value, timeout=current_app.config["CACHE_MINUTES"] * 60)
    except (RedisError, OSError) as error:
        current_app.logger.warning("The cache could not be written: %s", error)


def centre_figures(
    filters: ReportFilters, viewer_scope: str, *, refresh: bool = False
) -> CentreFigures:
    """The figures from the cache when this time bucket has them, else computed and kept;
    `refresh` computes them anew. A cache that cannot be reached is logged and skipped: the
    page is slower then, never wrong or broken."""
    minutes = current_app.config["CACHE_MINUTES"]
    key = figures_key(filters, viewer_scope, time_bucket(datetime.now(UTC), minutes))
    if not refresh:
        kept = _kept(key)
        if isinstance(kept, CentreFigures):
            return kept
    figures = compute_centre_figures(filters)
    _keep(key, figures)
    return figures


def fragment_key(
    filters: ReportFilters,
    viewer_scope: str,
    computed_at: datetime,
    language: str,
    timezone: str,
) -> str:
    """The cache key of the figures computed at `computed_at` rendered in `language` and
    `timezone`: another computation (a Refresh, a new bucket), language or zone is another
    key."""
    parts = (
        FRAGMENT_VERSION,
        figures_key(filters, viewer_scope, 0),
        computed_at.isoformat(),
        language,
        timezone,
    )
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()
    return f"centre-fragment:{digest}"


def centre_fragment(key: str, render: Callable[[], str]) -> Markup:
    """The rendered figures kept under `key`, else `render()`ed now and kept."""
    kept = _kept(key)
    html = kept if isinstance(kept, str) else render()
    if html is not kept:
        _keep(key, html)
    return Markup(html)  # noqa: S704 - HTML our own template rendered, its values escaped
