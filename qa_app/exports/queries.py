"""Rows for the Evaluations, Answers and Training sheets, streamed from the database.

Each query selects plain columns (no ORM objects for the session to keep) and is executed
with `yield_per`, which makes SQLAlchemy stream it: a server-side cursor on PostgreSQL
(psycopg), SQLite's own step-by-step cursor. Evaluations and answers are two streams sorted
by evaluation id, read side by side (`rows.with_answers`), so neither is ever in memory
whole and nothing is queried per evaluation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, tzinfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from qa_app.auth.models import User
from qa_app.evaluations.models import Answer, Evaluation
from qa_app.exports.rows import AnswerRow, CriterionColumn, EvaluationRow, TrainingRow
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.scorecards.models import Scorecard, ScorecardCriterion, ScorecardVersion
from qa_app.scorecards.texts import localized_definition
from qa_app.stats.filters import ReportFilters
from qa_app.teams.models import Team
from qa_app.training.models import TrainingModule, TrainingPlan
from qa_app.training.models import TrainingPlanItem as Item

# Rows fetched from the cursor at a time.
YIELD_PER = 2000


def _local(moment: datetime | None, tz: tzinfo) -> datetime | None:
    """An aware moment as the naive local time Excel shows."""
    return None if moment is None else moment.astimezone(tz).replace(tzinfo=None)


def count_evaluations(filters: ReportFilters) -> int:
    """How many evaluations the export holds (for a progress bar)."""
    query = sa.select(sa.func.count(Evaluation.id)).where(*filters.evaluation_conditions())
    return db.session.scalar(query) or 0


def evaluation_rows(
    filters: ReportFilters, texts: Mapping[int, VersionTexts]
) -> Iterator[EvaluationRow]:
    """The evaluations, by id, with agent, team, evaluator and scorecard names (the
    scorecard's as `texts` give it, see `version_texts`)."""
    agent, evaluator = aliased(User), aliased(User)
    columns = {
        "id": Evaluation.id,
        "submitted_at": Evaluation.submitted_at,
        "interaction_at": Interaction.occurred_at,
        "agent": agent.display_name,
        "team": Team.name,
        "evaluator": evaluator.display_name,
        "scorecard": ScorecardVersion.name,
        "version": ScorecardVersion.number,
        "channel": Interaction.channel,
        "external_ref": Interaction.external_ref,
        "status": Evaluation.status,
        "score": Evaluation.score,
        "raw_score": Evaluation.raw_score,
        "auto_failed": Evaluation.auto_failed,
        "passed": Evaluation.passed,
        "overall_comment": Evaluation.overall_comment,
        "strengths": Evaluation.strengths,
        "opportunities": Evaluation.opportunities,
    }
    query = (
        sa.select(*(column.label(name) for name, column in columns.items()))
        .join(Interaction, Interaction.id == Evaluation.interaction_id)
        .join(agent, agent.id == Evaluation.agent_id)
        .outerjoin(Team, Team.id == agent.team_id)
        .join(evaluator, evaluator.id == Evaluation.evaluator_id)
        .join(ScorecardVersion, ScorecardVersion.id == Evaluation.scorecard_version_id)
        .where(*filters.evaluation_conditions())
        .order_by(Evaluation.id)
        .execution_options(yield_per=YIELD_PER)
    )
    for row in db.session.execute(query.add_columns(ScorecardVersion.id.label("version_id"))):
        values = row._asdict()
        shown = texts.get(values.pop("version_id"))
        values["scorecard"] = shown.name if shown is not None else row.scorecard
        values["submitted_at"] = _local(row.submitted_at, filters.tz)
        values["interaction_at"] = _local(row.interaction_at, filters.tz)
        yield EvaluationRow(**values)


def answer_rows(filters: ReportFilters, texts: Mapping[int, VersionTexts]) -> Iterator[AnswerRow]:
    """Every answer of the evaluations, by evaluation id, in scorecard order."""
    query = (
        sa.select(
            Answer.evaluation_id,
            Answer.criterion_key,
            ScorecardCriterion.label,
            ScorecardCriterion.section_title,
            ScorecardCriterion.kind,
            Answer.value,
            Answer.normalised,
            Answer.is_na,
            Answer.comment,
            Evaluation.scorecard_version_id,
        )
        .join(Evaluation, Evaluation.id == Answer.evaluation_id)
        .outerjoin(
            ScorecardCriterion,
            sa.and_(
                ScorecardCriterion.version_id == Evaluation.scorecard_version_id,
                ScorecardCriterion.key == Answer.criterion_key,
            ),
        )
        .where(*filters.evaluation_conditions())
        .order_by(
            Answer.evaluation_id,
            ScorecardCriterion.section_position,
            ScorecardCriterion.position,
            Answer.id,
        )
        .execution_options(yield_per=YIELD_PER)
    )
    for *row, version_id in db.session.execute(query):
        answer = AnswerRow(*row)
        found = texts.get(version_id)
        if found is not None and answer.criterion_key in found.criteria:
            label, section = found.criteria[answer.criterion_key]
            answer = replace(answer, label=label, section=section)
        yield answer


def criterion_columns(
    filters: ReportFilters, texts: Mapping[int, VersionTexts]
) -> list[CriterionColumn]:
    """Every criterion key of the scorecard versions the evaluations were scored on, once:
    labelled as in the latest of those versions, placed where it first comes in scorecard
    (by name), section and criterion order."""
    versions = (
        sa.select(Evaluation.scorecard_version_id)
        .where(*filters.evaluation_conditions())
        .distinct()
    )
    rows = db.session.execute(
        sa.select(
            ScorecardCriterion.key,
            ScorecardCriterion.label,
            ScorecardCriterion.section_title,
            Scorecard.name,
            ScorecardCriterion.section_position,
            ScorecardCriterion.position,
            ScorecardCriterion.version_id,
        )
        .join(ScorecardVersion, ScorecardVersion.id == ScorecardCriterion.version_id)
        .join(Scorecard, Scorecard.id == ScorecardVersion.scorecard_id)
        .where(ScorecardCriterion.version_id.in_(versions))
        .order_by(ScorecardCriterion.version_id)
    ).all()
    latest = {row.key: row for row in rows}  # later versions overwrite earlier ones
    place: dict[str, tuple[str, int, int]] = {}
    for row in rows:
        here = (row.name, row.section_position, row.position)
        place[row.key] = min(place.get(row.key, here), here)
    columns = []
    for key in sorted(latest, key=lambda key: (place[key], key)):
        row = latest[key]
        label, section = texts[row.version_id].criteria.get(key, (row.label, row.section_title))
        columns.append(CriterionColumn(key, label, section))
    return columns


@dataclass(frozen=True)
class VersionTexts:
    """A scorecard version's texts in the reader's language: its name, and each criterion
    key's label and section title."""

    name: str
    criteria: dict[str, tuple[str, str]]


def version_texts(filters: ReportFilters) -> dict[int, VersionTexts]:
    """The texts of every scorecard version the evaluations were scored on, in the reader's
    language (qa_app.scorecards.texts), in one query."""
    versions = (
        sa.select(Evaluation.scorecard_version_id)
        .where(*filters.evaluation_conditions())
        .distinct()
    )
    found: dict[int, VersionTexts] = {}
    for version_id, definition in db.session.execute(
        sa.select(ScorecardVersion.id, ScorecardVersion.definition).where(
            ScorecardVersion.id.in_(versions)
        )
    ):
        shown = localized_definition(definition)
        found[version_id] = VersionTexts(
            str(shown.get("name") or ""),
            {
                str(criterion["key"]): (
                    str(criterion.get("label") or ""),
                    str(section.get("title") or ""),
                )
                for section in shown.get("sections") or []
                for criterion in section.get("criteria") or []
            },
        )
    return found


def training_rows(filters: ReportFilters) -> Iterator[TrainingRow]:
    """Plans of the agents in scope that were active in the period, by plan and position."""
    # Active: created before the period ended and not closed before it began.
    begin, finish = filters.bounds()
    columns = {
        "plan_id": TrainingPlan.id,
        "agent": User.display_name,
        "team": Team.name,
        "plan_status": TrainingPlan.status,
        "created_at": TrainingPlan.created_at,
        "issued_at": TrainingPlan.issued_at,
        "acknowledged_at": TrainingPlan.acknowledged_at,
        "closed_at": TrainingPlan.closed_at,
        "position": Item.position,
        "module": TrainingModule.title,
        "skill": TrainingModule.skill,
        "focus": Item.focus_label,
        "reason": Item.reason,
        "due_on": Item.due_on,
        "item_status": Item.status,
        "completed_at": Item.completed_at,
    }
    query = (
        sa.select(*(column.label(name) for name, column in columns.items()))
        .join(User, User.id == TrainingPlan.agent_id)
        .outerjoin(Team, Team.id == User.team_id)
        .outerjoin(Item, Item.plan_id == TrainingPlan.id)
        .outerjoin(TrainingModule, TrainingModule.id == Item.module_id)
        .where(
            TrainingPlan.agent_id.in_(filters.agent_ids()),
            TrainingPlan.created_at < finish,
            sa.or_(TrainingPlan.closed_at.is_(None), TrainingPlan.closed_at >= begin),
        )
        .order_by(TrainingPlan.id, Item.position)
        .execution_options(yield_per=YIELD_PER)
    )
    moments = ("created_at", "issued_at", "acknowledged_at", "closed_at", "completed_at")
    for row in db.session.execute(query):
        values = row._asdict()
        for name in moments:
            values[name] = _local(values[name], filters.tz)
        yield TrainingRow(**values)
