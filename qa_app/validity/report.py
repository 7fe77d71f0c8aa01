"""Criterion validity as the page and the Excel sheet show it: one function, `validity_report`,
computes every figure of both (relations flagged over all of them at once, and the QA
score's correlations per team), named in the reader's language."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from qa_app.extensions import db
from qa_app.i18n import format_number, format_share
from qa_app.scorecards.models import Scorecard, ScorecardVersion
from qa_app.scorecards.texts import criterion_labels
from qa_app.stats.filters import ReportFilters
from qa_app.teams.models import Team
from qa_app.validity.queries import validity_rows
from qa_app.validity.relations import (
    FALSE_DISCOVERY_RATE,
    MET_FROM,
    NO_RELATION_WITHIN,
    Flag,
    Relation,
    ScoreCorrelations,
    correlations_by_team,
    criterion_relations,
)


@dataclass(frozen=True)
class RelationRow:
    """A relation with the names of its scorecard and criterion."""

    scorecard: str
    criterion: str
    relation: Relation


@dataclass(frozen=True)
class TeamCorrelations:
    """A team's name (None: agents without a team) and its QA score correlations."""

    team: str | None
    correlations: ScoreCorrelations


@dataclass(frozen=True)
class ValidityReport:
    """Every figure of the criterion validity page and sheet."""

    relations: list[RelationRow]
    teams: list[TeamCorrelations]
    overall: ScoreCorrelations

    @property
    def tests(self) -> int:
        """How many relations had a p-value, and so took part in Benjamini–Hochberg."""
        return sum(row.relation.p_value is not None for row in self.relations)

    def count(self, flag: Flag) -> int:
        """How many relations carry `flag`."""
        return sum(row.relation.flag == flag for row in self.relations)


def validity_report(filters: ReportFilters) -> ValidityReport:
    """The relations of each criterion with each outcome, and the QA score's correlations,
    over the filtered scored evaluations; criteria in their scorecard's order."""
    rows = validity_rows(filters)
    relations = criterion_relations(rows.answers)
    scorecard_ids = {relation.scorecard_id for relation in relations}
    names, labels = _scorecard_texts(scorecard_ids)

    def place(relation: Relation) -> tuple[str, int, str, int]:
        order = list(labels.get(relation.scorecard_id, {}))
        key = relation.criterion_key
        return (
            names.get(relation.scorecard_id, ""),
            order.index(key) if key in order else len(order),
            key,
            list(type(relation.outcome)).index(relation.outcome),
        )

    named = [
        RelationRow(
            names.get(relation.scorecard_id, ""),
            labels.get(relation.scorecard_id, {}).get(relation.criterion_key)
            or relation.criterion_key,
            relation,
        )
        for relation in sorted(relations, key=place)
    ]
    by_team, overall = correlations_by_team(rows.evaluations)
    team_names = dict(
        db.session.execute(
            sa.select(Team.id, Team.name).where(
                Team.id.in_([team.team_id for team in by_team if team.team_id is not None])
            )
        ).all()
    )
    teams = sorted(
        (
            TeamCorrelations(None if team.team_id is None else team_names.get(team.team_id), team)
            for team in by_team
        ),
        key=lambda team: (team.team is None, team.team or ""),
    )
    return ValidityReport(named, teams, overall)


def _scorecard_texts(
    scorecard_ids: set[int],
) -> tuple[dict[int, str], dict[int, dict[str, str]]]:
    """Each scorecard's name, and its newest version's criterion labels in the reader's
    language, in the scorecard's order."""
    if not scorecard_ids:
        return {}, {}
    newest = (
        sa.select(sa.func.max(ScorecardVersion.id))
        .where(ScorecardVersion.scorecard_id.in_(scorecard_ids))
        .group_by(ScorecardVersion.scorecard_id)
    )
    found = db.session.execute(
        sa.select(Scorecard.id, Scorecard.name, ScorecardVersion.definition)
        .join(ScorecardVersion, ScorecardVersion.scorecard_id == Scorecard.id)
        .where(ScorecardVersion.id.in_(newest))
    ).all()
    names = {scorecard_id: name for scorecard_id, name, _definition in found}
    labels = {
        scorecard_id: criterion_labels(definition) for scorecard_id, _name, definition in found
    }
    return names, labels


def reading_notes(report: ValidityReport) -> list[str]:
    """How to read the relations (what "met" means, the false discovery rate, no relation)
    and the correlations, in the reader's language: the page and the sheet say the same."""
    return [
        _(
            "For each criterion: how often customers were positive (CSAT), had their matter "
            "resolved on first contact, or contacted us again within a few days, when the "
            "criterion was met and when it was not. A criterion counts as met when its answer "
            "reaches %(share)s of its scale: yes on a yes/no criterion, 4 or 5 on a 1–5 scale.",
            share=format_share(MET_FROM),
        ),
        ngettext(
            "Flags control the false discovery rate (Benjamini–Hochberg at %(q)s over the "
            "%(num)d relation tested at once): when many criteria are compared, a few would "
            "look related by chance alone; of the relations flagged as clear, about 1 in 20 "
            "at most is expected to be such a fluke.",
            "Flags control the false discovery rate (Benjamini–Hochberg at %(q)s over the "
            "%(num)d relations tested at once): when many criteria are compared, a few would "
            "look related by chance alone; of the relations flagged as clear, about 1 in 20 "
            "at most is expected to be such a fluke.",
            report.tests,
            q=format_share(FALSE_DISCOVERY_RATE),
        ),
        _(
            "No relation over enough data: the 95%% interval of the difference includes zero "
            "and lies within ±%(points)s points, so any relation is smaller than that. Too "
            "little data to tell: fewer than three contacts on a side, or an interval too wide "
            "to say either.",
            points=format_number(NO_RELATION_WITHIN * 100, 0),
        ),
        _(
            "QA score and outcomes: Pearson's correlation r between each evaluation's QA score "
            "and its contact's outcome, from −1 to +1, 0 meaning no straight-line relation; "
            "with its 95%% interval and n, the evaluations whose contact has that outcome "
            "(none below four)."
        ),
    ]
