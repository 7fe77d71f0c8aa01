"""Drawing interactions to evaluate: random, reproducible, spread over channels and weeks,
from the interactions that pass the sample's filters."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from qa_app.audit.services import record_event
from qa_app.auth.models import Role, User
from qa_app.channels import CHANNELS
from qa_app.database import lowercase
from qa_app.errors import RuleError
from qa_app.evaluations.models import Assignment, Evaluation, Sample
from qa_app.evaluations.queue import open_assignments_by_agent, submitted_by_assignee
from qa_app.evaluations.sample_needs import (
    Allocation,
    ReachTarget,
    allocate,
    month_of,
    still_needed,
)
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.interactions.outcomes import DETRACTOR_AT_MOST
from qa_app.scorecards.services import active_scorecards, scorecard_for_channel
from qa_app.teams.models import Team, team_supervisor

MAX_PER_AGENT = 50
MAX_DURATION_SECONDS = 24 * 3600
PHRASE_LENGTH = (2, 200)
QUEUE_LENGTH = 80


class SamplingError(RuleError, ValueError):
    """The sample cannot be drawn as asked (message is user-facing)."""


class HandleTime(StrEnum):
    """Handle-time outliers per agent: above the agent's 90th percentile, below the 10th."""

    LONG = "long"
    SHORT = "short"


class Outcome(StrEnum):
    """Customer outcomes a sample can ask for (qa_app.interactions.outcomes): a CSAT answer
    that is not positive, a detractor's NPS answer (0–6), either of the two, or a matter not
    resolved on first contact. Interactions whose customer gave no such answer are left out."""

    LOW_CSAT = "low_csat"
    DETRACTOR = "detractor"
    UNHAPPY = "unhappy"
    UNRESOLVED = "unresolved"


@dataclass(frozen=True)
class SampleFilters:
    """Which interactions a sample draws from; empty fields filter nothing.

    Interactions already assigned or evaluated are never drawn, whatever the filters.
    """

    channels: tuple[str, ...] = ()
    queue: str | None = None
    min_seconds: int | None = None
    max_seconds: int | None = None
    handle_time: HandleTime | None = None
    phrase: str | None = None
    outcome: Outcome | None = None

    def problems(self) -> list[str]:
        """Every reason the filters cannot be used, in plain words (empty when they can)."""
        found = [
            str(_l("There is no channel called “%(channel)s”.", channel=channel))
            for channel in self.channels
            if channel not in CHANNELS
        ]
        if self.queue is not None and not 1 <= len(self.queue.strip()) <= QUEUE_LENGTH:
            found.append(
                str(
                    lazy_ngettext(
                        "A queue name has 1 to %(num)d character.",
                        "A queue name has 1 to %(num)d characters.",
                        QUEUE_LENGTH,
                    )
                )
            )
        for seconds in (self.min_seconds, self.max_seconds):
            if seconds is not None and not 0 <= seconds <= MAX_DURATION_SECONDS:
                found.append(
                    str(
                        _l(
                            "A duration in seconds is between 0 and %(n)d; %(given)d is not.",
                            n=MAX_DURATION_SECONDS,
                            given=seconds,
                        )
                    )
                )
        if (
            self.min_seconds is not None
            and self.max_seconds is not None
            and self.min_seconds > self.max_seconds
        ):
            found.append(
                str(
                    _l(
                        "The shortest duration (%(low)d s) is longer than the longest "
                        "(%(high)d s).",
                        low=self.min_seconds,
                        high=self.max_seconds,
                    )
                )
            )
        if self.handle_time is not None and self.handle_time not in set(HandleTime):
            found.append(str(_l("Handle time is either long or short.")))
        if self.outcome is not None and self.outcome not in set(Outcome):
            found.append(
                str(_l("There is no customer outcome called “%(name)s”.", name=self.outcome))
            )
        low, high = PHRASE_LENGTH
        if self.phrase is not None and not low <= len(self.phrase.strip()) <= high:
            found.append(
                str(
                    lazy_ngettext(
                        "A phrase to find has %(low)d to %(num)d character.",
                        "A phrase to find has %(low)d to %(num)d characters.",
                        high,
                        low=low,
                    )
                )
            )
        return found

    def as_record(self) -> dict[str, object]:
        """The filters that filter something, for the audit trail (to draw the sample again)."""
        return {key: value for key, value in asdict(self).items() if value not in (None, ())}

    def comparable(self) -> list[sa.ColumnElement[bool]]:
        """Channel and queue: they also bound the work an agent's handle time is compared
        with (a chat's length says nothing about a call's)."""
        found: list[sa.ColumnElement[bool]] = []
        if self.channels:
            found.append(Interaction.channel.in_(self.channels))
        if self.queue is not None:
            # Case-insensitive: one export writes "Billing", another "BILLING".
            found.append(lowercase(Interaction.queue) == self.queue.strip().lower())
        return found

    def conditions(self) -> list[sa.ColumnElement[bool]]:
        """Duration band, phrase and customer outcome: what an interaction must meet itself."""
        found: list[sa.ColumnElement[bool]] = []
        if self.outcome is not None:
            found.append(outcome_condition(self.outcome))
        if self.min_seconds is not None:
            found.append(Interaction.duration_seconds >= self.min_seconds)
        if self.max_seconds is not None:
            found.append(Interaction.duration_seconds <= self.max_seconds)
        if self.phrase is not None:
            found.append(
                lowercase(Interaction.transcript).contains(
                    self.phrase.strip().lower(), autoescape=True
                )
            )
        return found


def outcome_condition(outcome: Outcome) -> sa.ColumnElement[bool]:
    """Interactions whose customer gave the answer `outcome` asks for."""
    low_csat = Interaction.csat_positive.is_(False)
    detractor = Interaction.nps_score <= DETRACTOR_AT_MOST
    return {
        Outcome.LOW_CSAT: low_csat,
        Outcome.DETRACTOR: detractor,
        Outcome.UNHAPPY: sa.or_(low_csat, detractor),
        Outcome.UNRESOLVED: Interaction.resolved_first_contact.is_(False),
    }[outcome]


def handle_time_outliers(
    population: list[sa.ColumnElement[bool]], kind: HandleTime
) -> sa.ColumnElement[bool]:
    """Interactions whose duration is above (LONG) the 90th percentile, or below (SHORT) the
    10th, of their agent's interactions that meet `population`, computed in the database.

    Nearest rank, symmetric: of an agent's n durations in ascending order, the 90th
    percentile is the one at rank n − ⌊n/10⌋ and the 10th the one at rank ⌊n/10⌋ + 1, so
    with 20 interactions the two longest are long and the two shortest short; an agent with
    fewer than 10 has no outliers, and ties at the cut are not outliers.
    """
    n = sa.func.count().over(partition_by=Interaction.agent_id)
    ranked = (
        sa.select(
            Interaction.agent_id,
            Interaction.duration_seconds,
            sa.func.row_number()
            .over(
                partition_by=Interaction.agent_id,
                order_by=(Interaction.duration_seconds, Interaction.id),
            )
            .label("rank"),
            n.label("n"),
        )
        .where(*population, Interaction.duration_seconds.is_not(None))
        .subquery()
    )
    at_rank = ranked.c.n - ranked.c.n // 10 if kind == HandleTime.LONG else ranked.c.n // 10 + 1
    cut = (
        sa.select(ranked.c.duration_seconds)
        .where(ranked.c.agent_id == Interaction.agent_id, ranked.c.rank == at_rank)
        .scalar_subquery()
    )
    if kind == HandleTime.LONG:
        return Interaction.duration_seconds > cut
    return Interaction.duration_seconds < cut


def stratified_pick(
    candidates: Sequence[tuple[int, tuple[Hashable, Hashable]]], count: int, rng: random.Random
) -> list[int]:
    """Pick `count` ids at random, spread first over the first part of the stratum (the
    channel), then over the second (the week).

    `candidates` are (id, (channel, week)) pairs. Each round takes one interaction from every
    channel, each time from that channel's next week in a shuffled rotation, so a sample of
    four is not four phone calls from one Monday.
    """
    by_channel: dict[Hashable, dict[Hashable, list[int]]] = defaultdict(lambda: defaultdict(list))
    for item_id, (channel, week) in sorted(candidates, key=lambda pair: pair[0]):
        by_channel[channel][week].append(item_id)
    channels: list[list[list[int]]] = []
    for channel in sorted(by_channel, key=repr):
        weeks = [by_channel[channel][week] for week in sorted(by_channel[channel], key=repr)]
        for week_pool in weeks:
            rng.shuffle(week_pool)
        rng.shuffle(weeks)
        channels.append(weeks)
    rng.shuffle(channels)
    picked: list[int] = []
    while len(picked) < count and any(any(weeks) for weeks in channels):
        for weeks in channels:
            if len(picked) >= count:
                break
            pool = next((pool for pool in weeks if pool), None)
            if pool is None:
                continue
            picked.append(pool.pop())
            # Rotate: the week just used goes to the back of this channel's queue.
            weeks.remove(pool)
            weeks.append(pool)
    return picked


def _open_load(evaluator_ids: list[int]) -> dict[int, int]:
    """Assignments each evaluator has not submitted yet (their open queue)."""
    rows = db.session.execute(
        sa.select(Assignment.evaluator_id, sa.func.count(Assignment.id))
        .where(Assignment.evaluator_id.in_(evaluator_ids), ~submitted_by_assignee())
        .group_by(Assignment.evaluator_id)
    )
    return {evaluator_id: count for evaluator_id, count in rows}


@dataclass(frozen=True)
class SampleResult:
    """The sample row, how many interactions went to each agent, and, for a sample to reach
    ±H, who got fewer than they need and why."""

    sample: Sample
    per_agent: dict[int, int]
    allocation: Allocation | None = None


def draw_sample(
    team: Team,
    start: date,
    end: date,
    per_agent: int | ReachTarget,
    seed: int,
    actor: User,
    *,
    filters: SampleFilters | None = None,
    due_on: date | None = None,
) -> SampleResult:
    """Assign up to `per_agent` unassigned, unevaluated interactions of each active agent of
    the team in [start, end] that pass `filters` to the team's supervisors, least loaded
    first, due on `due_on`; with a ReachTarget, as many as each agent still needs for ±H in
    the month `end` is in (see `allocate`). Every problem with the request is refused at
    once, before anything is written; the same seed and filters draw the same sample again."""
    filters = filters or SampleFilters()
    problems = filters.problems()
    if end < start:
        problems.insert(0, str(_l("The period ends before it starts.")))
    if isinstance(per_agent, ReachTarget):
        problems[:0] = per_agent.problems()
    elif not 1 <= per_agent <= MAX_PER_AGENT:
        problems.insert(
            0,
            str(
                lazy_ngettext(
                    "Choose 1 to %(num)d evaluation per agent.",
                    "Choose 1 to %(num)d evaluations per agent.",
                    MAX_PER_AGENT,
                )
            ),
        )
    if due_on is not None and due_on < start:
        problems.append(str(_l("The due date is before the period starts.")))
    if problems:
        raise SamplingError(" ".join(problems))
    supervisors = list(
        db.session.scalars(
            sa.select(User)
            .join(team_supervisor, team_supervisor.c.user_id == User.id)
            .where(team_supervisor.c.team_id == team.id, User.active.is_(True))
            .order_by(User.id)
        )
    )
    if not supervisors:
        raise SamplingError(_l("The team has no active supervisor to assign evaluations to."))
    scorecards = active_scorecards()
    if not scorecards:
        raise SamplingError(_l("There is no active scorecard."))

    begin = datetime.combine(start, time.min, UTC)
    finish = datetime.combine(end + timedelta(days=1), time.min, UTC)
    taken = sa.union(sa.select(Assignment.interaction_id), sa.select(Evaluation.interaction_id))
    team_agents = (
        sa.select(User.id)
        .where(User.team_id == team.id, User.role == Role.AGENT, User.active.is_(True))
        .scalar_subquery()
    )
    # The agent's comparable work in the period: what handle-time outliers are measured on.
    population = [
        Interaction.agent_id.in_(team_agents),
        Interaction.occurred_at >= begin,
        Interaction.occurred_at < finish,
        *filters.comparable(),
    ]
    conditions = [*population, *filters.conditions(), Interaction.id.not_in(taken)]
    if filters.handle_time is not None:
        conditions.append(handle_time_outliers(population, filters.handle_time))
    rows = db.session.execute(
        sa.select(
            Interaction.id, Interaction.agent_id, Interaction.channel, Interaction.occurred_at
        ).where(*conditions)
    ).all()
    by_agent: dict[int, list[tuple[int, tuple[Hashable, Hashable]]]] = defaultdict(list)
    channel_of: dict[int, str] = {}
    for interaction_id, agent_id, channel, occurred_at in rows:
        if scorecard_for_channel(channel, scorecards) is None:
            continue
        by_agent[agent_id].append((interaction_id, (channel, occurred_at.isocalendar()[:2])))
        channel_of[interaction_id] = channel

    allocation = None
    if isinstance(per_agent, ReachTarget):
        allocation = _allocate_to_reach(team, end, per_agent, by_agent)
        quota = allocation.counts
    else:
        quota = dict.fromkeys(by_agent, per_agent)

    sample = Sample(
        team_id=team.id,
        period_start=start,
        period_end=end,
        # A sample to reach ±H records the most that one agent got.
        per_agent=per_agent if isinstance(per_agent, int) else max(quota.values(), default=0),
        seed=seed,
        created_by_id=actor.id,
    )
    db.session.add(sample)
    db.session.flush()
    load = dict(
        db.session.execute(
            sa.select(Assignment.evaluator_id, sa.func.count(Assignment.id))
            .where(Assignment.evaluator_id.in_([s.id for s in supervisors]))
            .group_by(Assignment.evaluator_id)
        ).all()
    )
    counts: dict[int, int] = {}
    for agent_id in sorted(quota):
        # Seeded per agent: adding an agent to the team does not reshuffle the others.
        picked = stratified_pick(
            by_agent[agent_id], quota[agent_id], random.Random(f"{seed}:{agent_id}")
        )
        counts[agent_id] = len(picked)
        for interaction_id in picked:
            evaluator = min(supervisors, key=lambda s: (load.get(s.id, 0), s.id))
            load[evaluator.id] = load.get(evaluator.id, 0) + 1
            db.session.add(
                Assignment(
                    interaction_id=interaction_id,
                    evaluator_id=evaluator.id,
                    sample_id=sample.id,
                    scorecard_id=scorecard_for_channel(channel_of[interaction_id], scorecards),
                    due_on=due_on,
                )
            )
    record_event(
        "sample.drawn",
        "sample",
        sample.id,
        after={
            "team_id": team.id,
            "period": [start.isoformat(), end.isoformat()],
            **(
                {"to_reach": per_agent.as_record(*month_of(end))}
                if isinstance(per_agent, ReachTarget)
                else {"per_agent": per_agent}
            ),
            "seed": seed,
            "assigned": sum(counts.values()),
            **({"filters": filters.as_record()} if filters.as_record() else {}),
            **({"due_on": due_on.isoformat()} if due_on else {}),
        },
    )
    return SampleResult(sample, counts, allocation)


def _allocate_to_reach(
    team: Team,
    end: date,
    target: ReachTarget,
    by_agent: dict[int, list[tuple[int, tuple[Hashable, Hashable]]]],
) -> Allocation:
    """Each agent's evaluations still needed for ±H in the month `end` is in, within the
    interactions they have to draw and the maximum total; refused while the team's spread is
    not known."""
    needs = still_needed(team, *month_of(end), target.half_width)
    known = [(agent_id, need) for agent_id, need in needs if need is not None]
    if needs and not known:
        raise SamplingError(
            _l(
                "No agent of the team has two scored evaluations this month yet, so the spread "
                "of their scores is not known: draw a fixed number per agent first."
            )
        )
    available = {agent_id: len(candidates) for agent_id, candidates in by_agent.items()}
    # Drawn earlier and not scored yet: those evaluations are on their way, so a second
    # sample to reach ±H in the same month does not draw them again.
    pending = open_assignments_by_agent([agent_id for agent_id, _ in known])
    return allocate(known, available, target.max_total, pending)
