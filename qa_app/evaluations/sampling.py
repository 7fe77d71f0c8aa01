"""Drawing interactions to evaluate: random, reproducible, spread over channels and weeks."""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from qa_app.audit.services import record_event
from qa_app.auth.models import Role, User
from qa_app.errors import RuleError
from qa_app.evaluations.models import Assignment, Evaluation, Sample
from qa_app.evaluations.queue import submitted_by_assignee
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.scorecards.services import active_scorecards, scorecard_for_channel
from qa_app.teams.models import Team, team_supervisor

MAX_PER_AGENT = 50


class SamplingError(RuleError, ValueError):
    """The sample cannot be drawn as asked (message is user-facing)."""


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
        for pool in weeks:
            rng.shuffle(pool)
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
    """The sample row and how many interactions went to each agent."""

    sample: Sample
    per_agent: dict[int, int]


def draw_sample(
    team: Team, start: date, end: date, per_agent: int, seed: int, actor: User
) -> SampleResult:
    """Assign up to `per_agent` unassigned, unevaluated interactions of each active agent of
    the team in [start, end] to the team's supervisors, least loaded first."""
    if end < start:
        raise SamplingError(_l("The period ends before it starts."))
    if not 1 <= per_agent <= MAX_PER_AGENT:
        raise SamplingError(_l("Choose 1 to %(n)d evaluations per agent.", n=MAX_PER_AGENT))
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
    rows = db.session.execute(
        sa.select(
            Interaction.id, Interaction.agent_id, Interaction.channel, Interaction.occurred_at
        )
        .join(User, User.id == Interaction.agent_id)
        .where(
            User.team_id == team.id,
            User.role == Role.AGENT,
            User.active.is_(True),
            Interaction.occurred_at >= begin,
            Interaction.occurred_at < finish,
            Interaction.id.not_in(taken),
        )
    ).all()
    by_agent: dict[int, list[tuple[int, Hashable]]] = defaultdict(list)
    channel_of: dict[int, str] = {}
    for interaction_id, agent_id, channel, occurred_at in rows:
        if scorecard_for_channel(channel, scorecards) is None:
            continue
        by_agent[agent_id].append((interaction_id, (channel, occurred_at.isocalendar()[:2])))
        channel_of[interaction_id] = channel

    sample = Sample(
        team_id=team.id,
        period_start=start,
        period_end=end,
        per_agent=per_agent,
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
    for agent_id in sorted(by_agent):
        # Seeded per agent: adding an agent to the team does not reshuffle the others.
        picked = stratified_pick(by_agent[agent_id], per_agent, random.Random(f"{seed}:{agent_id}"))
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
                )
            )
    record_event(
        "sample.drawn",
        "sample",
        sample.id,
        after={
            "team_id": team.id,
            "period": [start.isoformat(), end.isoformat()],
            "per_agent": per_agent,
            "seed": seed,
            "assigned": sum(counts.values()),
        },
    )
    return SampleResult(sample, counts)
