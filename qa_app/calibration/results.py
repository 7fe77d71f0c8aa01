"""The figures of calibration (DESIGN.md "Calibration"), one function per figure, used by the
session page, the agreement and drift pages, the centre dashboard, the workbook and the API.

Only submitted scores count; a participant who never submitted an interaction is missing
there. The benchmark of an interaction is the expert's submitted scoring, or, without an
expert, the consensus of the participants (agreement.consensus per criterion: the most
frequent yes/no, the median of a scale; the median overall score; the majority on the
auto-fail). Participants are compared with it; the expert is not compared with themselves.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, tzinfo

import sqlalchemy as sa

from qa_app.calibration.agreement import (
    Level,
    alignment,
    alpha_interval,
    consensus,
    krippendorff_alpha,
    percent_agreement,
    within_tolerance,
)
from qa_app.calibration.models import (
    Benchmark,
    CalibrationAnswer,
    CalibrationItem,
    CalibrationScore,
    CalibrationSession,
    SessionStatus,
)
from qa_app.extensions import db
from qa_app.scorecards.models import ScorecardVersion
from qa_app.scoring import criterion_weight, iter_criteria
from qa_app.stats.performance import MeanWithInterval, mean_with_interval

OVERALL = "__overall__"  # the overall score's row in the agreement table
MOST_SPREAD = 5  # the widest-spread criteria flagged for the calibration meeting


@dataclass(frozen=True)
class Scoring:
    """One participant's submitted scoring of one interaction of a session."""

    session_id: int
    item_id: int
    user_id: int
    score: float | None
    auto_failed: bool
    r: Mapping[str, float | None]  # None: N/A
    comments: Mapping[str, str]
    overall_comment: str | None


@dataclass(frozen=True)
class CriterionInfo:
    key: str
    kind: str
    weight: float

    @property
    def level(self) -> Level:
        """yes/no answers are nominal, scales and points ordinal (DESIGN.md)."""
        return Level.NOMINAL if self.kind == "yes_no" else Level.ORDINAL


def criteria_of(definition: Mapping[str, object]) -> list[CriterionInfo]:
    return [
        CriterionInfo(str(c["key"]), str(c["kind"]), float(criterion_weight(c)))
        for _, c in iter_criteria(definition)
    ]


def load_scorings(session_ids: Iterable[int]) -> list[Scoring]:
    """The submitted scorings of the sessions, with their answers: two queries in all."""
    ids = list(session_ids)
    if not ids:
        return []
    rows = db.session.execute(
        sa.select(
            CalibrationScore.id,
            CalibrationItem.session_id,
            CalibrationScore.item_id,
            CalibrationScore.user_id,
            CalibrationScore.score,
            CalibrationScore.auto_failed,
            CalibrationScore.overall_comment,
        )
        .join(CalibrationItem, CalibrationItem.id == CalibrationScore.item_id)
        .where(CalibrationItem.session_id.in_(ids), CalibrationScore.submitted_at.is_not(None))
        .order_by(CalibrationItem.session_id, CalibrationScore.item_id, CalibrationScore.user_id)
    ).all()
    answers: dict[int, dict[str, float | None]] = defaultdict(dict)
    comments: dict[int, dict[str, str]] = defaultdict(dict)
    for score_id, key, normalised, is_na, comment in db.session.execute(
        sa.select(
            CalibrationAnswer.score_id,
            CalibrationAnswer.criterion_key,
            CalibrationAnswer.normalised,
            CalibrationAnswer.is_na,
            CalibrationAnswer.comment,
        )
        .join(CalibrationScore, CalibrationScore.id == CalibrationAnswer.score_id)
        .join(CalibrationItem, CalibrationItem.id == CalibrationScore.item_id)
        .where(CalibrationItem.session_id.in_(ids), CalibrationScore.submitted_at.is_not(None))
    ):
        answers[score_id][key] = None if is_na else normalised
        if comment:
            comments[score_id][key] = comment
    return [
        Scoring(
            session_id=row.session_id,
            item_id=row.item_id,
            user_id=row.user_id,
            score=row.score,
            auto_failed=bool(row.auto_failed),
            r=answers.get(row.id, {}),
            comments=comments.get(row.id, {}),
            overall_comment=row.overall_comment,
        )
        for row in rows
    ]


# --- one session ---------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchmarkScoring:
    """What participants are compared with on one interaction."""

    r: Mapping[str, float | None]
    score: float | None
    auto_failed: bool | None


@dataclass(frozen=True)
class CriterionRow:
    """One criterion of one interaction: everyone's answer beside the benchmark."""

    item_id: int
    key: str
    benchmark: float | None  # r
    answers: Mapping[int, float | None]  # user id → r (None: N/A)
    deviations: Mapping[int, float]  # user id → points from the benchmark
    comments: Mapping[int, str]
    spread: float | None  # points between the highest and the lowest answer
    flagged: bool = False


@dataclass(frozen=True)
class ParticipantResult:
    """One compared participant's figures over the whole session."""

    user_id: int
    interactions: int  # submitted, with a benchmark to compare with
    alignment: float | None
    within_tolerance: float | None
    critical_agreement: float | None  # share of interactions with the benchmark's auto-fail
    score_deviation: float | None  # mean points of overall score above the benchmark's


@dataclass(frozen=True)
class ItemResult:
    item_id: int
    benchmark: BenchmarkScoring | None
    scores: Mapping[int, float | None]  # user id → overall score
    auto_failed: Mapping[int, bool]
    overall_comments: Mapping[int, str]

    @property
    def critical_unanimous(self) -> bool | None:
        """Did everyone see the same auto-fail (all failed it, or none)? None without two."""
        seen = set(self.auto_failed.values())
        return None if len(self.auto_failed) < 2 else len(seen) == 1


@dataclass(frozen=True)
class SessionResults:
    session_id: int
    benchmark: Benchmark
    tolerance_points: float
    compared: tuple[int, ...]  # user ids compared with the benchmark
    criteria: tuple[CriterionRow, ...]
    items: tuple[ItemResult, ...]
    participants: tuple[ParticipantResult, ...]

    @property
    def widest(self) -> list[CriterionRow]:
        """The flagged rows, widest spread first: what the calibration meeting discusses."""
        return sorted((row for row in self.criteria if row.flagged), key=lambda r: -(r.spread or 0))


def benchmark_of(
    session: CalibrationSession,
    scorings: Sequence[Scoring],
    criteria: Sequence[CriterionInfo],
) -> BenchmarkScoring | None:
    """The benchmark of one interaction from its scorings."""
    if session.benchmark == Benchmark.EXPERT:
        expert = next((s for s in scorings if s.user_id == session.expert_id), None)
        if expert is None:
            return None
        return BenchmarkScoring(expert.r, expert.score, expert.auto_failed)
    if not scorings:
        return None
    r = {c.key: consensus([s.r.get(c.key) for s in scorings], c.level) for c in criteria}
    score = consensus([s.score for s in scorings], Level.INTERVAL)
    failed = consensus([float(s.auto_failed) for s in scorings], Level.NOMINAL)
    return BenchmarkScoring(r, score, None if failed is None else bool(failed))


def session_results(
    session: CalibrationSession, scorings: Iterable[Scoring] | None = None
) -> SessionResults:
    """Every figure of one session's results page, sheet and API answer; from `scorings`
    when given (load_scorings of many sessions at once: those of other sessions are
    ignored), else read for this session."""
    criteria = criteria_of(session.version.definition)
    weights = {c.key: c.weight for c in criteria}
    by_item: dict[int, list[Scoring]] = defaultdict(list)
    for scoring in load_scorings([session.id]) if scorings is None else scorings:
        if scoring.session_id == session.id:
            by_item[scoring.item_id].append(scoring)
    compared = tuple(
        p.user_id
        for p in session.participants
        if not (session.benchmark == Benchmark.EXPERT and p.user_id == session.expert_id)
    )
    rows: list[CriterionRow] = []
    items: list[ItemResult] = []
    mine: dict[int, dict[tuple[int, str], float | None]] = defaultdict(dict)
    bench_all: dict[tuple[int, str], float | None] = {}
    pair_weights: dict[tuple[int, str], float] = {}
    critical: dict[int, list[bool]] = defaultdict(list)
    score_dev: dict[int, list[float]] = defaultdict(list)
    compared_items: dict[int, int] = defaultdict(int)  # interactions beside a benchmark
    for item in session.items:
        scorings = by_item.get(item.id, [])
        bench = benchmark_of(session, scorings, criteria)
        items.append(
            ItemResult(
                item.id,
                bench,
                {s.user_id: s.score for s in scorings},
                {s.user_id: s.auto_failed for s in scorings},
                {s.user_id: s.overall_comment for s in scorings if s.overall_comment},
            )
        )
        others = [s for s in scorings if s.user_id in compared]
        for c in criteria:
            answers = {s.user_id: s.r.get(c.key) for s in scorings if c.key in s.r}
            present = [v for v in answers.values() if v is not None]
            bench_r = bench.r.get(c.key) if bench else None
            rows.append(
                CriterionRow(
                    item_id=item.id,
                    key=c.key,
                    benchmark=bench_r,
                    answers=answers,
                    deviations={
                        s.user_id: 100 * (r - bench_r)
                        for s in others
                        if (r := s.r.get(c.key)) is not None and bench_r is not None
                    },
                    comments={
                        s.user_id: s.comments[c.key] for s in scorings if c.key in s.comments
                    },
                    spread=100 * (max(present) - min(present)) if len(present) >= 2 else None,
                )
            )
            bench_all[(item.id, c.key)] = bench_r
            pair_weights[(item.id, c.key)] = c.weight
        if bench is None:
            continue
        for s in others:
            compared_items[s.user_id] += 1
            for key in weights:
                mine[s.user_id][(item.id, key)] = s.r.get(key)
            if bench.auto_failed is not None:
                critical[s.user_id].append(s.auto_failed == bench.auto_failed)
            if s.score is not None and bench.score is not None:
                score_dev[s.user_id].append(s.score - bench.score)
    rows = _flag_widest(rows, session.tolerance_points)
    participants = tuple(
        ParticipantResult(
            user_id=user_id,
            interactions=compared_items[user_id],
            alignment=alignment(mine[user_id], bench_all, pair_weights),
            within_tolerance=within_tolerance(mine[user_id], bench_all, session.tolerance_points),
            critical_agreement=(
                sum(critical[user_id]) / len(critical[user_id]) if critical[user_id] else None
            ),
            score_deviation=(
                sum(score_dev[user_id]) / len(score_dev[user_id]) if score_dev[user_id] else None
            ),
        )
        for user_id in compared
    )
    return SessionResults(
        session_id=session.id,
        benchmark=Benchmark(session.benchmark),
        tolerance_points=session.tolerance_points,
        compared=compared,
        criteria=tuple(rows),
        items=tuple(items),
        participants=participants,
    )


def _flag_widest(rows: list[CriterionRow], tolerance: float) -> list[CriterionRow]:
    """Flag the `MOST_SPREAD` rows of widest spread among those wider than the band."""
    wide = sorted(
        (i for i, row in enumerate(rows) if row.spread is not None and row.spread > tolerance),
        key=lambda i: -(rows[i].spread or 0),
    )[:MOST_SPREAD]
    chosen = set(wide)
    return [replace(row, flagged=True) if i in chosen else row for i, row in enumerate(rows)]


# --- many sessions ------------------------------------------------------------------------


@dataclass(frozen=True)
class Agreement:
    """Krippendorff's α of one criterion (or the overall score) over many sessions."""

    key: str  # a criterion key, or OVERALL
    level: Level
    alpha: float | None
    low: float | None
    high: float | None
    percent_agreement: float | None  # None for the overall score (a continuous value)
    units: int  # interactions with at least two answers
    values: int  # answers in those


def closed_sessions(scorecard_id: int) -> list[CalibrationSession]:
    """Every closed session on a scorecard's versions, in the order they closed."""
    return closed_between(None, None, scorecard_id=scorecard_id)


def closed_between(
    start: datetime | None,
    end: datetime | None,
    *,
    scorecard_id: int | None = None,
    among: sa.Select[CalibrationSession] | None = None,
) -> list[CalibrationSession]:
    """The sessions closed in [start, end), on one scorecard's versions when given, among the
    sessions `among` selects (a user's visible_sessions) when given; their versions and
    interactions and participants loaded with them, so that many sessions cost no query
    each."""
    query = (
        sa.select(CalibrationSession)
        .join(ScorecardVersion, ScorecardVersion.id == CalibrationSession.scorecard_version_id)
        .where(CalibrationSession.status == SessionStatus.CLOSED)
        .options(
            sa.orm.contains_eager(CalibrationSession.version),
            sa.orm.selectinload(CalibrationSession.items),
            sa.orm.selectinload(CalibrationSession.participants),
        )
        .order_by(CalibrationSession.closed_at, CalibrationSession.id)
    )
    if scorecard_id is not None:
        query = query.where(ScorecardVersion.scorecard_id == scorecard_id)
    if among is not None:
        visible = among.with_only_columns(CalibrationSession.id).order_by(None)
        query = query.where(CalibrationSession.id.in_(visible))
    if start is not None:
        query = query.where(CalibrationSession.closed_at >= start)
    if end is not None:
        query = query.where(CalibrationSession.closed_at < end)
    return list(db.session.scalars(query))


def units_by_criterion(
    sessions: Sequence[CalibrationSession], scorings: Sequence[Scoring]
) -> tuple[dict[str, list[list[float | None]]], dict[str, CriterionInfo]]:
    """α's reliability data: per criterion key (and OVERALL), one row per interaction of a
    session, one column per evaluator who took part in any of them (None where missing)."""
    raters = sorted({s.user_id for s in scorings})
    column = {user_id: i for i, user_id in enumerate(raters)}
    infos: dict[str, CriterionInfo] = {}
    for session in sessions:
        for info in criteria_of(session.version.definition):
            infos.setdefault(info.key, info)
    by_unit: dict[tuple[int, int], list[Scoring]] = defaultdict(list)
    for s in scorings:
        by_unit[(s.session_id, s.item_id)].append(s)
    units: dict[str, list[list[float | None]]] = {key: [] for key in [*infos, OVERALL]}
    for unit in by_unit.values():
        for key in infos:
            row: list[float | None] = [None] * len(raters)
            for s in unit:
                row[column[s.user_id]] = s.r.get(key)
            units[key].append(row)
        overall: list[float | None] = [None] * len(raters)
        for s in unit:
            overall[column[s.user_id]] = s.score
        units[OVERALL].append(overall)
    return units, infos


def agreement_table(
    sessions: Sequence[CalibrationSession],
    *,
    resamples: int | None = None,
    scorings: Sequence[Scoring] | None = None,
) -> list[Agreement]:
    """α with its bootstrap interval and percent agreement per criterion, then the overall
    score (interval level), over the given closed sessions (their `scorings` when the caller
    has loaded them already)."""
    if scorings is None:
        scorings = load_scorings(s.id for s in sessions)
    units, infos = units_by_criterion(sessions, scorings)
    table: list[Agreement] = []
    for key, rows in units.items():
        level = Level.INTERVAL if key == OVERALL else infos[key].level
        pairable = [row for row in rows if sum(v is not None for v in row) >= 2]
        interval = (
            alpha_interval(rows, level)
            if resamples is None
            else alpha_interval(rows, level, resamples=resamples)
        )
        table.append(
            Agreement(
                key=key,
                level=level,
                alpha=krippendorff_alpha(rows, level),
                low=interval[0] if interval else None,
                high=interval[1] if interval else None,
                percent_agreement=None if key == OVERALL else percent_agreement(rows),
                units=len(pairable),
                values=sum(sum(v is not None for v in row) for row in pairable),
            )
        )
    return table


def month_of(moment: datetime, tz: tzinfo) -> date:
    """The first day of the month `moment` falls in, in the centre's time zone `tz`."""
    return moment.astimezone(tz).date().replace(day=1)


@dataclass(frozen=True)
class MonthAgreement:
    month: date  # its first day
    sessions: int
    overall: Agreement


def agreement_by_month(
    sessions: Sequence[CalibrationSession],
    tz: tzinfo = UTC,
    scorings: Sequence[Scoring] | None = None,
) -> list[MonthAgreement]:
    """The overall score's α per month of closing, so the centre sees whether calibration
    brings its evaluators together (from `scorings` when the caller has loaded them)."""
    if scorings is None:
        scorings = load_scorings(s.id for s in sessions)
    by_session: dict[int, list[Scoring]] = defaultdict(list)
    for scoring in scorings:
        by_session[scoring.session_id].append(scoring)
    months: dict[date, list[CalibrationSession]] = defaultdict(list)
    for session in sessions:
        if session.closed_at is not None:
            months[month_of(session.closed_at, tz)].append(session)
    found = []
    for month in sorted(months):
        # In load_scorings' order, so that the bootstrap draws the units as it always has.
        in_month = [
            one
            for session_id in sorted(s.id for s in months[month])
            for one in by_session[session_id]
        ]
        units, _infos = units_by_criterion(months[month], in_month)
        rows = units[OVERALL]
        interval = alpha_interval(rows, Level.INTERVAL)
        pairable = [row for row in rows if sum(v is not None for v in row) >= 2]
        found.append(
            MonthAgreement(
                month,
                len(months[month]),
                Agreement(
                    OVERALL,
                    Level.INTERVAL,
                    krippendorff_alpha(rows, Level.INTERVAL),
                    interval[0] if interval else None,
                    interval[1] if interval else None,
                    None,
                    len(pairable),
                    sum(sum(v is not None for v in row) for row in pairable),
                ),
            )
        )
    return found


# --- evaluator drift ----------------------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    """An evaluator's overall scores against the benchmark on calibration interactions:
    the mean deviation in points with its 95 % interval, and per month."""

    user_id: int
    deviation: MeanWithInterval
    by_month: Mapping[date, MeanWithInterval] = field(default_factory=dict)

    @property
    def tendency(self) -> str | None:
        """ "lenient" when the whole interval is above the benchmark, "harsh" when below."""
        low, high = self.deviation.low, self.deviation.high
        if low is None or high is None:
            return None
        if low > 0:
            return "lenient"
        if high < 0:
            return "harsh"
        return None

    @property
    def reading(self) -> str:
        """The words of the pages: "higher" or "lower" than the benchmark when the whole
        interval lies on one side, "in_line" when it holds 0, "too_few" below two scores."""
        if self.deviation.low is None or self.deviation.high is None:
            return "too_few"
        return {"lenient": "higher", "harsh": "lower"}.get(self.tendency or "", "in_line")


def evaluator_drift(
    sessions: Sequence[CalibrationSession],
    tz: tzinfo = UTC,
    scorings: Sequence[Scoring] | None = None,
) -> dict[int, Drift]:
    """Each compared evaluator's deviation from the benchmark over the sessions: no team
    confounds it, since everyone scored the same interactions (`scorings`: loaded already)."""
    if scorings is None:
        scorings = load_scorings(s.id for s in sessions)
    by_unit: dict[tuple[int, int], list[Scoring]] = defaultdict(list)
    for s in scorings:
        by_unit[(s.session_id, s.item_id)].append(s)
    points: dict[int, list[float]] = defaultdict(list)
    monthly: dict[int, dict[date, list[float]]] = defaultdict(lambda: defaultdict(list))
    for session in sessions:
        criteria = criteria_of(session.version.definition)
        if session.closed_at is None:
            continue  # open: no benchmark to compare with yet
        month = month_of(session.closed_at, tz)
        for item in session.items:
            unit = by_unit.get((session.id, item.id), [])
            bench = benchmark_of(session, unit, criteria)
            if bench is None or bench.score is None:
                continue
            for s in unit:
                if session.benchmark == Benchmark.EXPERT and s.user_id == session.expert_id:
                    continue
                if s.score is not None:
                    points[s.user_id].append(s.score - bench.score)
                    monthly[s.user_id][month].append(s.score - bench.score)
    bounds = (-100.0, 100.0)
    return {
        user_id: Drift(
            user_id,
            mean_with_interval(values, bounds=bounds),
            {
                month: mean_with_interval(month_values, bounds=bounds)
                for month, month_values in sorted(monthly[user_id].items())
            },
        )
        for user_id, values in points.items()
    }
