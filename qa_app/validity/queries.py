"""The rows criterion validity is computed from: one query over the period's scored
evaluations joined with their non-N/A answers, their interactions (the customer outcomes)
and their agents' teams; repeat contacts are derived for those interactions by
`interactions.outcomes.repeat_contacts` (one query per 1,000 customer references)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from qa_app.auth.models import User
from qa_app.evaluations.models import Answer, Evaluation
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.interactions.outcomes import repeat_contacts
from qa_app.scorecards.models import ScorecardVersion
from qa_app.stats.filters import ReportFilters
from qa_app.validity.relations import AnswerOutcome, EvaluationOutcome, Outcome


@dataclass(frozen=True)
class ContactRow:
    """An interaction as `repeat_contacts` reads it."""

    id: int
    customer_ref: str | None
    occurred_at: datetime


@dataclass(frozen=True)
class ValidityRows:
    """The answers with their contacts' outcomes, and each evaluation's score with them."""

    answers: list[AnswerOutcome]
    evaluations: list[EvaluationOutcome]


def validity_rows(filters: ReportFilters) -> ValidityRows:
    """The filtered scored evaluations (SCORED, by the day they were submitted) with their
    answers and outcomes, read in one query."""
    query = (
        sa.select(
            Evaluation.id,
            Evaluation.score,
            User.team_id,
            ScorecardVersion.scorecard_id,
            Answer.criterion_key,
            Answer.normalised,
            Interaction.id,
            Interaction.customer_ref,
            Interaction.occurred_at,
            Interaction.csat_score,
            Interaction.csat_positive,
            Interaction.resolved_first_contact,
        )
        .join(User, User.id == Evaluation.agent_id)
        .join(Interaction, Interaction.id == Evaluation.interaction_id)
        .join(ScorecardVersion, ScorecardVersion.id == Evaluation.scorecard_version_id)
        .outerjoin(
            Answer,
            sa.and_(Answer.evaluation_id == Evaluation.id, Answer.normalised.is_not(None)),
        )
        .where(*filters.evaluation_conditions())
        .order_by(Evaluation.id, Answer.id)
    )
    rows = db.session.execute(query).all()
    contacts = {row[6]: ContactRow(row[6], row[7], row[8]) for row in rows}
    repeats = repeat_contacts(contacts.values())
    answers: list[AnswerOutcome] = []
    evaluations: dict[int, EvaluationOutcome] = {}
    for (evaluation_id, score, team_id, scorecard_id, key, normalised, interaction_id, _ref,
         _at, csat_score, csat_positive, resolved) in rows:  # fmt: skip
        if key is not None and normalised is not None:
            outcomes = {
                Outcome.CSAT_POSITIVE: csat_positive,
                Outcome.RESOLVED_FIRST_CONTACT: resolved,
                Outcome.REPEAT_CONTACT: repeats.get(interaction_id),
            }
            answers.append(AnswerOutcome(scorecard_id, key, float(normalised), outcomes))
        if score is not None and evaluation_id not in evaluations:
            evaluations[evaluation_id] = EvaluationOutcome(
                team_id, float(score), csat_score, csat_positive, resolved
            )
    return ValidityRows(answers, list(evaluations.values()))
