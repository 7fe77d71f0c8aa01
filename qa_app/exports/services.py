"""Exports as the web and the CLI run them: figures from the database into a workbook, and
the audit event that says who exported what.

The caller runs these inside `database.snapshot_read`, so that every sheet reads the same
data and a long export blocks no one, then records the event and commits.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from typing import IO

from babel import Locale
from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _

from qa_app.audit.models import AuditEvent
from qa_app.audit.services import record_event
from qa_app.auth.models import User
from qa_app.channels import CHANNEL_LABELS, channel_name
from qa_app.evaluations.models import VISIBLE_TO_AGENT, EvaluationStatus
from qa_app.exports.feedback_workbook import write_feedback_workbook
from qa_app.exports.queries import (
    answer_rows,
    criterion_columns,
    evaluation_rows,
    training_rows,
    version_texts,
)
from qa_app.exports.rows import (
    AgentSummary,
    CriterionColumn,
    CriterionComparison,
    FeedbackOverview,
    KpiColumn,
    KpiComparison,
    with_answers,
)
from qa_app.exports.scratch import export_directory
from qa_app.exports.sheet_language import SheetLanguage, sheet_language
from qa_app.exports.sheets import DECIMAL, DURATION, PERCENT, SECONDS_PER_DAY, WHOLE
from qa_app.exports.validity_workbook import write_validity_workbook
from qa_app.exports.workbook import write_evaluations_workbook
from qa_app.labels import label_of
from qa_app.stats.agent_performance import (
    AgentPerformance,
    agent_performance,
    performance_by_agent,
)
from qa_app.stats.criteria import criteria_matrix, criterion_means
from qa_app.stats.display import composite_flags_text, kpi_label
from qa_app.stats.filters import ReportFilters
from qa_app.stats.kpis import KPIS, KpiDefinition, KpiTotals
from qa_app.training.models import ItemStatus, PlanStatus
from qa_app.validity.report import reading_notes, validity_report

NUMBER_FORMATS = {"seconds": DURATION, "per_hour": DECIMAL, "percent": PERCENT, "score": WHOLE}
# The stored values the sheets name in the reader's language.
STATUSES = (EvaluationStatus, PlanStatus, ItemStatus)


def value_label(value: str) -> str:
    """A channel or a status (of an evaluation, plan or plan item) in the current language."""
    if value in CHANNEL_LABELS:
        return channel_name(value)
    return label_of(value, STATUSES)


def workbook_language() -> SheetLanguage:
    """The current language as a workbook writes it: words, statuses, date formats."""
    locale = get_locale() or Locale.parse(current_app.config["BABEL_DEFAULT_LOCALE"])
    return sheet_language(locale, _, value_label)


@contextlib.contextmanager
def written_in(language: str | None) -> Iterator[None]:
    """Everything in the block in `language` (a code of LANGUAGES); None: the current one."""
    if language is None:
        yield
        return
    with force_locale(language):
        yield


def kpi_columns() -> list[KpiColumn]:
    """The KPI columns of the Summary sheet, in the user's language."""
    return [KpiColumn(kpi.key, kpi_label(kpi.key), NUMBER_FORMATS[kpi.unit]) for kpi in KPIS]


def in_sheet_units(kpi: KpiDefinition, value: float | None) -> float | None:
    """A KPI as a cell holds it: percentages as fractions, for a percent number format, and
    durations in days, Excel's unit of time, for a duration format."""
    if value is None:
        return None
    if kpi.unit == "percent":
        return value / 100
    return value / SECONDS_PER_DAY if kpi.unit == "seconds" else value


def agent_summaries(filters: ReportFilters) -> list[AgentSummary]:
    """The Summary rows: each agent's figures from `stats.agent_performance`, in the sheet's
    units."""
    return [summary_row(performance) for performance in performance_by_agent(filters)]


def summary_row(performance: AgentPerformance) -> AgentSummary:
    """One agent's figures as a sheet holds them (KPI percentages as fractions)."""
    qa = performance.qa
    return AgentSummary(
        agent=performance.name,
        email=performance.email,
        team=performance.team,
        evaluations=performance.evaluations,
        qa_average=qa.mean,
        qa_n=qa.n,
        qa_low=qa.low,
        qa_high=qa.high,
        pass_rate=performance.pass_rate,
        critical_failures=performance.critical_failures,
        kpis={kpi.key: in_sheet_units(kpi, performance.totals.kpi(kpi.key)) for kpi in KPIS},
        kpi_index=performance.kpi_index,
        composite=performance.composite,
        composite_flags=composite_flags_text(performance.composite_flags),
    )


def _description(filters: ReportFilters) -> str:
    return _(
        "%(start)s to %(end)s; times in %(tz)s.",
        start=filters.start.isoformat(),
        end=filters.end.isoformat(),
        tz=str(filters.tz),
    )


def export_evaluations(
    filters: ReportFilters,
    out: str | IO[bytes],
    progress: Callable[[int], None] | None = None,
    *,
    language: str | None = None,
) -> dict[str, int]:
    """Write the evaluations workbook to `out` in `language` (default: the current one);
    the number of data rows of each sheet, by its English name."""
    with written_in(language), export_directory(current_app.config["SCRATCH_DIR"]) as scratch:
        texts = version_texts(filters)  # the scorecards' texts in the workbook's language
        return write_evaluations_workbook(
            out,
            scratch=scratch,
            summaries=agent_summaries(filters),
            kpi_columns=kpi_columns(),
            criteria=criterion_columns(filters, texts),
            evaluations=with_answers(evaluation_rows(filters, texts), answer_rows(filters, texts)),
            matrix=criteria_matrix(filters, no_team=_("No team"), all_teams=_("All teams")),
            training=training_rows(filters),
            today=datetime.now(filters.tz).date(),
            description=_description(filters),
            language=workbook_language(),
            progress=progress,
        )


def export_validity(
    filters: ReportFilters, out: str | IO[bytes], *, language: str | None = None
) -> dict[str, int]:
    """Write the criterion validity workbook (the figures of the criterion validity page) to
    `out` in `language` (default: the current one)."""
    with written_in(language), export_directory(current_app.config["SCRATCH_DIR"]) as scratch:
        report = validity_report(filters)
        return write_validity_workbook(
            out,
            scratch=scratch,
            report=report,
            notes=reading_notes(report),
            labels=(_("No team"), _("All teams shown")),
            description=_description(filters),
            language=workbook_language(),
        )


def feedback_filters(agent: User, filters: ReportFilters) -> ReportFilters:
    """One agent's evaluations the agent may read (released and later) in the period."""
    return replace(
        filters,
        agent_id=agent.id,
        team_id=None,
        scorecard_id=None,
        channel=None,
        statuses=VISIBLE_TO_AGENT,
    )


def export_feedback(
    agent: User,
    filters: ReportFilters,
    out: str | IO[bytes],
    *,
    language: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Write an agent's feedback workbook for the period of `filters` to `out` in
    `language` (default: the current one); `progress` hears of each evaluation written."""
    with written_in(language):
        return _export_feedback(agent, filters, out, progress)


def _export_feedback(
    agent: User,
    filters: ReportFilters,
    out: str | IO[bytes],
    progress: Callable[[int], None] | None,
) -> dict[str, int]:
    own = feedback_filters(agent, filters)
    performance = agent_performance(own)
    overview = FeedbackOverview(
        agent=agent.display_name,
        team=agent.team.name if agent.team else None,
        start=own.start,
        end=own.end,
        summary=summary_row(performance),
        kpis=kpi_comparisons(performance),
        min_evaluations=performance.min_evaluations,
    )
    texts = version_texts(own)
    criteria = criterion_columns(own, texts)
    with export_directory(current_app.config["SCRATCH_DIR"]) as scratch:
        return write_feedback_workbook(
            out,
            scratch=scratch,
            overview=overview,
            criteria=criteria,
            evaluations=with_answers(evaluation_rows(own, texts), answer_rows(own, texts)),
            comparisons=criterion_comparisons(agent, own, criteria),
            description=_description(own),
            language=workbook_language(),
            progress=progress,
        )


def kpi_comparisons(performance: AgentPerformance) -> list[KpiComparison]:
    """Each KPI of the agent beside the team's total and the target, with attainment."""
    team = performance.team_totals or KpiTotals()
    comparisons = []
    for kpi in KPIS:
        target = performance.targets[kpi.key]
        comparisons.append(
            KpiComparison(
                header=kpi_label(kpi.key),
                number_format=NUMBER_FORMATS[kpi.unit],
                agent=in_sheet_units(kpi, performance.totals.kpi(kpi.key)),
                team=in_sheet_units(kpi, team.kpi(kpi.key)),
                target=in_sheet_units(kpi, target.value),
                better_when=_("higher") if target.direction == "higher" else _("lower"),
                attainment=performance.attainments[kpi.key],
            )
        )
    return comparisons


def criterion_comparisons(
    agent: User, filters: ReportFilters, criteria: Sequence[CriterionColumn]
) -> list[CriterionComparison]:
    """The agent's mean r per criterion beside the team's (same period and statuses),
    weakest first."""
    own = criterion_means(filters)
    team = {}
    if agent.team_id is not None:
        team = criterion_means(replace(filters, agent_id=None, team_id=agent.team_id))
    rows = [
        CriterionComparison(
            criterion.key,
            criterion.label,
            criterion.section,
            *own.get(criterion.key, (None, 0)),
            *team.get(criterion.key, (None, 0)),
        )
        for criterion in criteria
        if criterion.key in own
    ]
    return sorted(rows, key=lambda row: row.agent_mean or 0.0)


def record_export(
    action: str,
    filters: ReportFilters,
    rows: dict[str, int],
    *,
    via: str,
    entity: tuple[str, int | None] = ("export", None),
    actor_id: int | None = None,
    job_id: int | None = None,
) -> AuditEvent:
    """Audit an export: who (the signed-in user, the job's starter, or none for the CLI),
    filters, rows, and the job that wrote it (if one did)."""
    after: dict[str, object] = {"via": via, "filters": filters.describe(), "rows": rows}
    if job_id is not None:
        after["job"] = job_id
    return record_event(action, entity[0], entity[1], actor_id=actor_id, after=after)
