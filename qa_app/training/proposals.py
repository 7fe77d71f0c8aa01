"""Proposing an agent's training plan from a period's evidence (see rules.py).

Gathers the evidence in a handful of queries — criterion averages against the team, critical
failures, KPI attainment — and turns the top focus areas into a draft plan.

The evidence is the evaluations released to the agent (EVIDENCE), never one still held
back: each item's reason quotes averages and counts ("Empathy averaged 55% over 6
evaluations; team 82%") that the agent reads once the plan is issued, and a count or an
average that took in a held-back evaluation would reveal its score before its release.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, timedelta, tzinfo
from typing import Any

import sqlalchemy as sa
from flask import current_app

from qa_app.auth.models import User
from qa_app.database import snapshot_read
from qa_app.evaluations.models import VISIBLE_TO_AGENT, Answer, Evaluation
from qa_app.extensions import db
from qa_app.scorecards.models import ScorecardVersion
from qa_app.scoring import criterion_weight, critical_failed, iter_criteria
from qa_app.stats.agent_performance import agent_performance
from qa_app.stats.filters import ReportFilters
from qa_app.stats.kpis import KPIS, KpiTotals
from qa_app.stats.services import criterion_breakdown, period_bounds
from qa_app.training.models import (
    KpiTrainingModule,
    TrainingModule,
    TrainingPlan,
)
from qa_app.training.plans import create_plan, open_plan
from qa_app.training.rules import (
    CriterionEvidence,
    FocusArea,
    KpiEvidence,
    ProposedItem,
    Rules,
    focus_areas,
    propose_items,
)

# The evaluations a proposal learns from: those the agent can open (see the module's text).
EVIDENCE = VISIBLE_TO_AGENT


def rules_from_config() -> Rules:
    """The proposal thresholds set through TRAINING_* (README, "Configuration")."""
    config = current_app.config
    return Rules(
        threshold=config["TRAINING_THRESHOLD_PCT"] / 100,
        min_answers=config["TRAINING_MIN_ANSWERS"],
        kpi_threshold=config["TRAINING_KPI_THRESHOLD_PCT"] / 100,
        items=config["TRAINING_PLAN_ITEMS"],
        due_days=config["TRAINING_DUE_DAYS"],
    )


def default_period(today: date) -> tuple[date, date]:
    """The last TRAINING_PERIOD_DAYS days up to today."""
    return today - timedelta(days=current_app.config["TRAINING_PERIOD_DAYS"] - 1), today


def _scored_in_period(agent: User, start: date, end: date, tz: tzinfo) -> list[Any]:
    begin, finish = period_bounds(start, end, tz)
    return [
        Evaluation.agent_id == agent.id,
        Evaluation.status.in_(EVIDENCE),
        Evaluation.submitted_at >= begin,
        Evaluation.submitted_at < finish,
    ]


def _criteria_definitions(agent: User, start: date, end: date, tz: tzinfo) -> dict[str, Any]:
    """Each criterion key the agent was scored on → its definition in the newest version."""
    version_ids = sa.select(Evaluation.scorecard_version_id).where(
        *_scored_in_period(agent, start, end, tz)
    )
    definitions = db.session.scalars(
        sa.select(ScorecardVersion.definition)
        .where(ScorecardVersion.id.in_(version_ids))
        .order_by(ScorecardVersion.id)
    )
    return {
        criterion["key"]: criterion
        for definition in definitions
        for _, criterion in iter_criteria(definition)
    }


def _critical_failures(agent: User, start: date, end: date, tz: tzinfo) -> dict[str, int]:
    """Critical criterion key → evaluations in the period where it failed."""
    failed = sa.select(Evaluation.id, Evaluation.scorecard_version_id).where(
        *_scored_in_period(agent, start, end, tz), Evaluation.auto_failed.is_(True)
    )
    version_ids = {version_id for _, version_id in db.session.execute(failed)}
    if not version_ids:
        return {}
    criteria_by_version = {
        version_id: {criterion["key"]: criterion for _, criterion in iter_criteria(definition)}
        for version_id, definition in db.session.execute(
            sa.select(ScorecardVersion.id, ScorecardVersion.definition).where(
                ScorecardVersion.id.in_(version_ids)
            )
        )
    }
    rows = db.session.execute(
        sa.select(Answer.criterion_key, Answer.value, Evaluation.scorecard_version_id)
        .join(Evaluation, Evaluation.id == Answer.evaluation_id)
        .where(Evaluation.id.in_(failed.with_only_columns(Evaluation.id)), ~Answer.is_na)
    )
    failures: dict[str, int] = {}
    for key, value, version_id in rows:
        criterion = criteria_by_version[version_id].get(key)
        if criterion is not None and critical_failed(criterion, value):
            failures[key] = failures.get(key, 0) + 1
    return failures


def gather_evidence(
    agent: User, start: date, end: date, tz: tzinfo = UTC
) -> tuple[list[CriterionEvidence], list[KpiEvidence]]:
    """The criterion and KPI evidence about one agent over a period."""
    definitions = _criteria_definitions(agent, start, end, tz)
    failures = _critical_failures(agent, start, end, tz)
    criteria = []
    for row in criterion_breakdown(agent, start, end, tz, statuses=EVIDENCE):
        definition = definitions.get(row.key, {})
        criteria.append(
            CriterionEvidence(
                key=row.key,
                label=row.label,
                weight=float(criterion_weight(definition)) if definition else 1.0,
                modules=tuple(definition.get("training", ())),
                mean=row.agent_mean,
                n=row.agent_n,
                team_mean=row.team_mean,
                team_n=row.team_n,
                critical=bool(definition.get("critical", False)),
                failures=failures.get(row.key, 0),
            )
        )
    performance = agent_performance(
        ReportFilters(start, end, tz, agent_id=agent.id, statuses=EVIDENCE)
    )
    team = performance.team_totals or KpiTotals()
    kpi_modules: dict[str, list[str]] = {}
    for kpi, key in db.session.execute(
        sa.select(KpiTrainingModule.kpi, TrainingModule.key)
        .join(TrainingModule)
        .order_by(KpiTrainingModule.kpi, KpiTrainingModule.position)
    ):
        kpi_modules.setdefault(kpi, []).append(key)
    kpis = [
        KpiEvidence(
            key=kpi.key,
            actual=performance.totals.kpi(kpi.key),
            target=performance.targets[kpi.key].value,
            attainment=performance.attainments[kpi.key],
            weight=performance.targets[kpi.key].weight,
            modules=tuple(kpi_modules.get(kpi.key, ())),
            team_value=team.kpi(kpi.key),
        )
        for kpi in KPIS
    ]
    return criteria, kpis


@dataclass(frozen=True)
class Proposal:
    """What the rules found for one agent: the focus areas and the items they lead to."""

    agent: User
    start: date
    end: date
    areas: list[FocusArea]
    items: list[ProposedItem]
    # Whether any criterion had the answers a focus area needs (TRAINING_MIN_ANSWERS): without,
    # "no gap" means too few evaluations to tell, not a clean record.
    enough_answers: bool = True


def propose(
    agent: User, start: date, end: date, today: date, tz: tzinfo = UTC, rules: Rules | None = None
) -> Proposal:
    """Rank the agent's focus areas over a period and choose the plan's items."""
    rules = rules or rules_from_config()
    criteria, kpis = gather_evidence(agent, start, end, tz)
    areas = focus_areas(criteria, kpis, rules)
    available = set(
        db.session.scalars(sa.select(TrainingModule.key).where(TrainingModule.active.is_(True)))
    )
    enough = any(evidence.n >= rules.min_answers for evidence in criteria)
    items = propose_items(areas, available, rules, today)
    return Proposal(agent, start, end, areas, items, enough_answers=enough)


@dataclass(frozen=True)
class Outcome:
    """What proposing a plan for one agent did: `created`, `no_gap`, `open_plan` (the agent
    already has one) or `no_modules` (gaps, but no catalogue module answers them)."""

    agent: User
    result: str
    plan: TrainingPlan | None = None
    proposal: Proposal | None = None

    @property
    def too_few_answers(self) -> bool:
        """No gap found because no criterion had enough answers to judge (see Proposal)."""
        return (
            self.result == "no_gap"
            and self.proposal is not None
            and not self.proposal.enough_answers
        )


def _assess(agent: User, today: date, tz: tzinfo, period: tuple[date, date] | None) -> Outcome:
    """What a proposal for the agent would be, writing nothing: `created` (with its items,
    not yet created), or why there is none."""
    existing = open_plan(agent.id)
    if existing is not None:
        return Outcome(agent, "open_plan", existing)
    start, end = period or default_period(today)
    proposal = propose(agent, start, end, today, tz)
    if not proposal.areas:
        return Outcome(agent, "no_gap", proposal=proposal)
    if not proposal.items:
        return Outcome(agent, "no_modules", proposal=proposal)
    return Outcome(agent, "created", proposal=proposal)


def _create(outcome: Outcome, actor: User | None, job_id: int | None = None) -> Outcome:
    """Create the draft plan an assessed outcome proposes (an agent given an open plan
    meanwhile is skipped as having one)."""
    if outcome.result != "created" or outcome.proposal is None:
        return outcome
    existing = open_plan(outcome.agent.id)
    if existing is not None:
        return Outcome(outcome.agent, "open_plan", existing)
    proposal = outcome.proposal
    plan = create_plan(
        outcome.agent, proposal.start, proposal.end, actor, proposal.items, job_id=job_id
    )
    return Outcome(outcome.agent, "created", plan, proposal)


def propose_plan(
    agent: User,
    today: date,
    actor: User | None,
    tz: tzinfo = UTC,
    period: tuple[date, date] | None = None,
) -> Outcome:
    """Propose a draft plan for one agent unless they have an open plan or no gap."""
    return _create(_assess(agent, today, tz, period), actor)


def propose_plans(
    agents: Sequence[User],
    today: date,
    actor: User | None,
    tz: tzinfo = UTC,
    period: tuple[date, date] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    job_id: int | None = None,
) -> list[Outcome]:
    """Propose draft plans for many agents (`training generate` and its job on the web),
    never issuing one; one outcome per agent, in their order.

    The evidence is read first, in one snapshot that blocks no writer (`progress(1)` after
    each agent), then the drafts are created in the session's transaction, left open for
    the caller to commit: all of them or, when anything fails, none. `job_id` names the job
    that proposes them in their audit events."""
    with snapshot_read(db.session):
        assessed = []
        for agent in agents:
            assessed.append(_assess(agent, today, tz, period))
            if progress is not None:
                progress(1)
    return [_create(outcome, actor, job_id) for outcome in assessed]
