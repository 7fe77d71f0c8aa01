"""Criterion validity: do our criteria matter to customers? Pure functions on plain rows, no
database (the rows come from `validity.queries`).

- **Met**: an answer with r ≥ `MET_FROM` (0.75): "yes" on a yes/no criterion, 4 or 5 on a
  1–5 scale, 3 of 3 or 4 of 4 points. N/A answers are left out. A split rather than a
  correlation of r with the outcome, so that every criterion, whatever its kind, reads the
  same way: "customers were positive after 82 % of the contacts where Empathy was met,
  after 55 % where it was not".
- **Relation** of a criterion with an outcome (CSAT positive, resolved on first contact,
  repeat contact): the outcome's rate when met minus its rate when not met, with Newcombe's
  95 % interval (`stats.evidence.proportion_difference`), n on both sides (contacts whose
  outcome is known), and Fisher's exact two-sided p-value of the 2 × 2 table.
- **Flags**, over every criterion × outcome shown at once: "clear relation" when
  Benjamini–Hochberg at `FALSE_DISCOVERY_RATE` (5 %) keeps the test *and* its interval
  excludes zero; "no relation" when the interval includes zero and lies within
  ±`NO_RELATION_WITHIN` (15 points): there may be a relation, but not one that large;
  "too little data" otherwise (a side with fewer than `evidence.MIN_N` contacts, or an
  interval too wide to tell). Tests without a p-value (too few) do not count in BH's m.
- **QA score vs outcome** per team: Pearson's r of the evaluation score with the CSAT score,
  the CSAT-positive flag (0/1) and resolved on first contact (0/1), with the Fisher z
  interval (`stats.evidence.correlation`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy
from flask_babel import lazy_gettext as _l
from scipy import stats as scipy_stats

from qa_app.labels import TitledEnum
from qa_app.stats.evidence import (
    Correlation,
    Difference,
    benjamini_hochberg,
    correlation,
    proportion_difference,
)

MET_FROM = 0.75
FALSE_DISCOVERY_RATE = 0.05
NO_RELATION_WITHIN = 0.15


class Outcome(TitledEnum):
    """A customer outcome a criterion is compared with (a yes/no on each contact)."""

    CSAT_POSITIVE = "csat_positive"
    RESOLVED_FIRST_CONTACT = "resolved_first_contact"
    REPEAT_CONTACT = "repeat_contact"

    __titles__ = {
        "csat_positive": _l("CSAT positive"),
        "resolved_first_contact": _l("Resolved on first contact"),
        "repeat_contact": _l("Repeat contact"),
    }


OUTCOMES = tuple(Outcome)


class Flag(TitledEnum):
    """What the figures allow saying about a criterion and an outcome."""

    CLEAR = "clear"
    NONE = "none"
    TOO_LITTLE = "too_little"

    __titles__ = {
        "clear": _l("clear relation"),
        "none": _l("no relation over enough data"),
        "too_little": _l("too little data to tell"),
    }


@dataclass(frozen=True)
class AnswerOutcome:
    """One scored answer and the customer outcomes of its contact (None: unknown)."""

    scorecard_id: int
    criterion_key: str
    normalised: float
    outcomes: dict[Outcome, bool | None]


@dataclass(frozen=True)
class Relation:
    """A criterion against an outcome: the outcome's rate when met and when not met, the
    difference (met − not met) with its interval, the p-value and the flag."""

    scorecard_id: int
    criterion_key: str
    outcome: Outcome
    met_positive: int
    met_n: int
    not_met_positive: int
    not_met_n: int
    difference: Difference
    p_value: float | None
    flag: Flag

    @property
    def met_rate(self) -> float | None:
        """The outcome's rate over the contacts where the criterion was met."""
        return self.met_positive / self.met_n if self.met_n else None

    @property
    def not_met_rate(self) -> float | None:
        """The outcome's rate over the contacts where the criterion was not met."""
        return self.not_met_positive / self.not_met_n if self.not_met_n else None


def is_met(normalised: float) -> bool:
    """Whether an answer meets its criterion (r ≥ MET_FROM)."""
    return normalised >= MET_FROM


def fisher_p_value(
    met_positive: int, met_n: int, not_met_positive: int, not_met_n: int
) -> float | None:
    """Fisher's exact two-sided p-value of met/not met × outcome yes/no; None when a side is
    empty."""
    if not met_n or not not_met_n:
        return None
    table = numpy.array(
        [[met_positive, met_n - met_positive], [not_met_positive, not_met_n - not_met_positive]]
    )
    return float(scipy_stats.fisher_exact(table).pvalue)


def flag_of(difference: Difference, kept_by_fdr: bool) -> Flag:
    """The flag a difference earns: clear only when BH keeps it and its interval excludes
    zero; none when the interval includes zero within ±NO_RELATION_WITHIN."""
    low, high = difference.low, difference.high
    if low is None or high is None:
        return Flag.TOO_LITTLE
    if kept_by_fdr and (low > 0 or high < 0):
        return Flag.CLEAR
    if -NO_RELATION_WITHIN <= low <= 0 <= high <= NO_RELATION_WITHIN:
        return Flag.NONE
    return Flag.TOO_LITTLE


def criterion_relations(
    answers: Iterable[AnswerOutcome], outcomes: Sequence[Outcome] = OUTCOMES
) -> list[Relation]:
    """Every criterion (per scorecard) against every outcome, sorted by scorecard and key,
    flagged with Benjamini–Hochberg over all of them at once."""
    # (scorecard, key, outcome) → [met positive, met n, not met positive, not met n]
    counts: dict[tuple[int, str, Outcome], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for answer in answers:
        side = 0 if is_met(answer.normalised) else 2
        for outcome in outcomes:
            value = answer.outcomes.get(outcome)
            if value is None:
                continue
            cell = counts[(answer.scorecard_id, answer.criterion_key, outcome)]
            cell[side] += int(value)
            cell[side + 1] += 1
    keys = sorted(counts, key=lambda k: (k[0], k[1], outcomes.index(k[2])))
    differences = {}
    p_values: dict[tuple[int, str, Outcome], float | None] = {}
    for key in keys:
        met_positive, met_n, not_positive, not_n = counts[key]
        differences[key] = proportion_difference(not_positive, not_n, met_positive, met_n)
        p_values[key] = (
            None
            if differences[key].estimate is None
            else fisher_p_value(met_positive, met_n, not_positive, not_n)
        )
    tested = [key for key in keys if p_values[key] is not None]
    kept = dict(
        zip(tested, benjamini_hochberg([p_values[k] or 0.0 for k in tested],
                                       FALSE_DISCOVERY_RATE), strict=True)
    )  # fmt: skip
    relations = []
    for key in keys:
        met_positive, met_n, not_positive, not_n = counts[key]
        difference = differences[key]
        relations.append(
            Relation(key[0], key[1], key[2], met_positive, met_n, not_positive, not_n,
                     difference, p_values[key], flag_of(difference, kept.get(key, False)))
        )  # fmt: skip
    return relations


@dataclass(frozen=True)
class EvaluationOutcome:
    """One scored evaluation's score and its contact's outcomes, for the correlations."""

    team_id: int | None
    score: float
    csat_score: float | None
    csat_positive: bool | None
    resolved_first_contact: bool | None


@dataclass(frozen=True)
class ScoreCorrelations:
    """A team's (or, team None, every team's) QA score against the customer outcomes."""

    team_id: int | None
    evaluations: int
    csat_score: Correlation
    csat_positive: Correlation
    resolved_first_contact: Correlation


def score_correlations(
    rows: Sequence[EvaluationOutcome], team_id: int | None = None
) -> ScoreCorrelations:
    """Pearson's r (Fisher z interval) of the QA score with each outcome, over the
    evaluations whose contact has that outcome (`team_id`: whose rows they are)."""

    def paired(values: list[tuple[float, float | bool | None]]) -> Correlation:
        pairs = [(score, float(value)) for score, value in values if value is not None]
        return correlation([p[0] for p in pairs], [p[1] for p in pairs])

    return ScoreCorrelations(
        team_id,
        len(rows),
        paired([(row.score, row.csat_score) for row in rows]),
        paired([(row.score, row.csat_positive) for row in rows]),
        paired([(row.score, row.resolved_first_contact) for row in rows]),
    )


def correlations_by_team(
    rows: Iterable[EvaluationOutcome],
) -> tuple[list[ScoreCorrelations], ScoreCorrelations]:
    """Each team's correlations (in the order teams first appear), and every row's
    together."""
    teams: dict[int | None, list[EvaluationOutcome]] = defaultdict(list)
    every: list[EvaluationOutcome] = []
    for row in rows:
        teams[row.team_id].append(row)
        every.append(row)
    by_team = [score_correlations(team_rows, team_id) for team_id, team_rows in teams.items()]
    return by_team, score_correlations(every)
