"""The integrity check: every scored evaluation's stored results recomputed from its answers.

Each submitted (or later) evaluation is scored again by the scoring engine from its stored
answers and compared with what is stored: score, raw score, auto-fail, pass, each answer's
normalised value and the current revision's copy. It also checks what the schema cannot
enforce: answers belong to the criteria of the evaluation's own scorecard version, the
evaluation's agent is its interaction's agent, a dispute is raised by the evaluation's agent.

Evaluations and their answers are read in two streamed queries (`yield_per`) in the same
order and walked together, so a million evaluations take constant memory; scorecard
versions are read once, and the engine's results are cached for answers that recur.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from qa_app.database import DatabaseSession
from qa_app.evaluations.answers import engine_value
from qa_app.evaluations.models import (
    SCORED,
    Answer,
    Dispute,
    Evaluation,
    EvaluationRevision,
)
from qa_app.interactions.models import Interaction
from qa_app.scorecards.models import ScorecardVersion
from qa_app.scoring import AnswerError, EvaluationScore, iter_criteria, score_evaluation

BATCH = 5000
# Stored scores are doubles computed from exact fractions; anything beyond rounding differs.
TOLERANCE = 1e-9
RESULT_FIELDS = ("score", "raw_score", "auto_failed", "passed")


@dataclass(frozen=True)
class Mismatch:
    """One thing that is not as it should be: what is stored against what it should be."""

    evaluation_id: int | None  # None: a scorecard version itself
    field: str
    stored: object
    recomputed: object

    def __str__(self) -> str:
        where = "" if self.evaluation_id is None else f"evaluation {self.evaluation_id}: "
        return f"{where}{self.field} stored {self.stored!r}, recomputed {self.recomputed!r}"


@dataclass
class IntegrityReport:
    """Counts of what was checked, the number of problems, and the first `limit` of them."""

    limit: int
    evaluations: int = 0
    answers: int = 0
    versions: int = 0
    problems: int = 0
    first: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong."""
        return self.problems == 0

    def add(self, mismatch: Mismatch) -> None:
        """Count a problem; keep it when it is among the first `limit`."""
        self.problems += 1
        if len(self.first) < self.limit:
            self.first.append(mismatch)


@dataclass(frozen=True)
class _Version:
    definition: Mapping[str, Any]
    kinds: Mapping[str, str]


def scored_evaluation_count(session: DatabaseSession) -> int:
    """How many evaluations check_integrity recomputes (a progress bar's length)."""
    return (
        session.scalar(sa.select(sa.func.count()).select_from(_evaluation_rows().subquery())) or 0
    )


def check_integrity(
    session: DatabaseSession,
    *,
    limit: int = 20,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> IntegrityReport:
    """Recompute every scored evaluation and report where the database disagrees; `progress`
    is called with 1 after each evaluation."""
    report = IntegrityReport(limit=limit)
    versions = _versions(session, report)
    report.versions = len(versions)
    # Two ordered streams of Core rows (no ORM loading step) fetched in batches: server-side
    # cursors on PostgreSQL. Evaluation columns are not repeated on every answer row.
    connection = session.connection()
    options = {"yield_per": batch}
    evaluations = connection.execute(_evaluation_rows(), execution_options=options)
    answers = connection.execute(_answer_rows(), execution_options=options)
    score = _Scorer()
    for evaluation, answered in _with_answers(evaluations, answers):
        report.evaluations += 1
        _check_evaluation(evaluation, answered, versions, score, report)
        if progress is not None:
            progress(1)
    for mismatch in _dispute_mismatches(session):
        report.add(mismatch)
    return report


def _versions(session: DatabaseSession, report: IntegrityReport) -> dict[int, _Version]:
    versions: dict[int, _Version] = {}
    for version_id, definition, pass_mark in session.execute(
        sa.select(ScorecardVersion.id, ScorecardVersion.definition, ScorecardVersion.pass_mark)
    ):
        versions[version_id] = _Version(
            definition, {c["key"]: c["kind"] for _, c in iter_criteria(definition)}
        )
        expected = definition.get("pass_mark")
        if expected is not None and not _same(pass_mark, float(expected)):
            report.add(
                Mismatch(None, f"scorecard version {version_id}: pass_mark", pass_mark, expected)
            )
    return versions


SCORED_STATUSES = [str(status) for status in SCORED]


def _evaluation_rows() -> sa.Select:
    """Every scored evaluation with its interaction's agent and its current revision, by id."""
    revision = aliased(EvaluationRevision)
    return (
        sa.select(
            Evaluation.id,
            Evaluation.scorecard_version_id,
            Evaluation.agent_id,
            Interaction.agent_id.label("interaction_agent_id"),
            Evaluation.score,
            Evaluation.raw_score,
            Evaluation.auto_failed,
            Evaluation.passed,
            Evaluation.revision,
            revision.id.label("revision_id"),
            revision.score.label("revision_score"),
            revision.auto_failed.label("revision_auto_failed"),
        )
        .join(Interaction, Interaction.id == Evaluation.interaction_id)
        .outerjoin(
            revision,
            sa.and_(
                revision.evaluation_id == Evaluation.id, revision.number == Evaluation.revision
            ),
        )
        .where(Evaluation.status.in_(SCORED_STATUSES))
        .order_by(Evaluation.id)
    )


def _answer_rows() -> sa.Select:
    """The answers of those evaluations, in the same order (by evaluation only: SQLite walks
    the answers' unique index without sorting, and the order within one does not matter)."""
    return (
        sa.select(
            Answer.evaluation_id,
            Answer.criterion_key,
            Answer.value,
            Answer.is_na,
            Answer.normalised,
        )
        .join(Evaluation, Evaluation.id == Answer.evaluation_id)
        .where(Evaluation.status.in_(SCORED_STATUSES))
        .order_by(Answer.evaluation_id)
    )


def _with_answers(evaluations: Iterable[Any], answers: Iterable[Any]) -> Iterator[Any]:
    """Walk both ordered streams together: (evaluation row, its answer rows)."""
    pending = iter(answers)
    current = next(pending, None)
    for evaluation in evaluations:
        own = []
        while current is not None and current.evaluation_id <= evaluation.id:
            if current.evaluation_id == evaluation.id:
                own.append(current)
            current = next(pending, None)
        yield evaluation, own


class _Scorer:
    """The scoring engine with a bounded memory: the same answers recur very often (a
    scorecard of yes/no questions has few combinations), and exact fractions are slow."""

    SIZE = 65536

    def __init__(self) -> None:
        self.cache: dict[tuple[Any, ...], EvaluationScore | AnswerError] = {}

    def __call__(
        self, version_id: int, version: _Version, answers: Mapping[str, object]
    ) -> EvaluationScore | AnswerError:
        """The engine's result for these answers, or the AnswerError it raised."""
        # The type is part of the key: True == 1 would otherwise share a slot.
        key = (version_id, *sorted((k, type(v).__name__, v) for k, v in answers.items()))
        result = self.cache.get(key)
        if result is None:
            try:
                result = score_evaluation(version.definition, answers)
            except AnswerError as exc:
                result = exc
            if len(self.cache) >= self.SIZE:
                self.cache.clear()
            self.cache[key] = result
        return result


def _check_evaluation(
    first: Any,
    answered: Sequence[Any],
    versions: Mapping[int, _Version],
    score: _Scorer,
    report: IntegrityReport,
) -> None:
    evaluation_id = first.id
    version = versions.get(first.scorecard_version_id)
    if version is None:
        report.add(Mismatch(evaluation_id, "scorecard version", first.scorecard_version_id, None))
        return
    if first.agent_id != first.interaction_agent_id:
        report.add(Mismatch(evaluation_id, "agent_id", first.agent_id, first.interaction_agent_id))
    report.answers += len(answered)
    answers: dict[str, object] = {}
    for row in answered:
        kind = version.kinds.get(row.criterion_key)
        if kind is None:
            report.add(
                Mismatch(
                    evaluation_id, f"answer {row.criterion_key!r}", "present", "not a criterion"
                )
            )
        elif row.is_na or row.value is not None:
            answers[row.criterion_key] = engine_value(kind, row.value, row.is_na)
    result = score(first.scorecard_version_id, version, answers)
    if isinstance(result, AnswerError):
        for key, reason in result.problems:
            report.add(Mismatch(evaluation_id, f"answer {key!r}", answers.get(key, "none"), reason))
        return
    _compare(evaluation_id, first, answered, result, report)


def _compare(
    evaluation_id: int,
    stored: Any,
    answered: Iterable[Any],
    result: EvaluationScore,
    report: IntegrityReport,
) -> None:
    for name in RESULT_FIELDS:
        if not _same(getattr(stored, name), getattr(result, name)):
            report.add(Mismatch(evaluation_id, name, getattr(stored, name), getattr(result, name)))
    for row in answered:
        expected = result.normalised.get(row.criterion_key)
        if not _same(row.normalised, expected):
            report.add(
                Mismatch(
                    evaluation_id,
                    f"answer {row.criterion_key!r} normalised",
                    row.normalised,
                    expected,
                )
            )
    if stored.revision_id is None:
        report.add(Mismatch(evaluation_id, "revision", stored.revision, "missing"))
    elif not _same(stored.revision_score, result.score) or not _same(
        stored.revision_auto_failed, result.auto_failed
    ):
        report.add(
            Mismatch(
                evaluation_id,
                f"revision {stored.revision} score",
                stored.revision_score,
                result.score,
            )
        )


def _same(stored: float | None, expected: float | None) -> bool:
    if stored is None or expected is None:
        return stored is None and expected is None
    if isinstance(expected, bool) or isinstance(stored, bool):
        return bool(stored) == bool(expected)
    return math.isclose(float(stored), float(expected), rel_tol=TOLERANCE, abs_tol=TOLERANCE)


def _dispute_mismatches(session: DatabaseSession) -> Iterable[Mismatch]:
    """Disputes raised by someone other than the evaluation's agent (grouped in SQL)."""
    query = (
        sa.select(Dispute.evaluation_id, Dispute.raised_by_id, Evaluation.agent_id)
        .join(Evaluation, Evaluation.id == Dispute.evaluation_id)
        .where(Dispute.raised_by_id != Evaluation.agent_id)
        .order_by(Dispute.id)
    )
    for evaluation_id, raised_by_id, agent_id in session.execute(query):
        yield Mismatch(evaluation_id, "dispute raised_by_id", raised_by_id, agent_id)
