"""Six months of demo activity: interactions, evaluations, acknowledgements and disputes.

Deterministic for a seed and a day. Agents get believable profiles (some weak on empathy,
some on de-escalation, a few careless with verification), so dashboards and training plans
have something real to show. Scores come from the scoring engine, never made up.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from qa_app.auth.models import Role, User
from qa_app.demo.training import coaching_that_works
from qa_app.evaluations.answers import stored_value
from qa_app.evaluations.models import (
    Answer,
    Assignment,
    Dispute,
    DisputeStatus,
    Evaluation,
    EvaluationRevision,
    EvaluationStatus,
)
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.interactions.outcomes import DEFAULT_CSAT_POSITIVE_FROM
from qa_app.scorecards.models import Scorecard, ScorecardVersion
from qa_app.scoring import EvaluationScore, criterion_bounds, iter_criteria, score_evaluation
from qa_app.teams.models import Team

DEMO_SOURCE = "demo"
MONTHS = 6
INTERACTIONS_PER_MONTH = 8
EVALUATIONS_PER_MONTH = 4
# In a team that releases by hand, evaluations of this week wait for release.
HELD_BACK_DAYS = 7
# Share of contacts from the customer of the agent's contact before (repeat contacts).
REPEAT_SHARE = 0.15
# On evaluated contacts the customers' answers follow these criteria (met or not), and not
# the others, so that the criterion validity page shows a clear relation for empathy and
# resolution and none for a scripted closing line. The share of evaluated contacts whose
# customer answered the CSAT survey, and of those with a first-contact resolution flag.
CUSTOMERS_CARE_ABOUT = ("empathy", "resolution")
# A scripted closing line: said on every other contact whoever the agent and whatever the
# customer then answers (counted per scorecard within each answer: positive, not positive,
# none), so that
# it is no proxy for the skill empathy and resolution follow and the page shows "no
# relation" for it, not a chance one. Only its stored answer changes: the generators' draws
# follow the answers as first drawn.
SCRIPTED = frozenset({"closing"})
SCRIPTED_EVERY = 2  # the one contact in this many without the closing line
EVALUATED_CSAT_SHARE = 0.9
EVALUATED_FCR_SHARE = 0.6
# Criterion keys (across the shipped scorecards) that a weakness pulls down.
WEAKNESSES = {
    "empathy": ("empathy", "tone", "personalisation", "apology"),
    "de-escalation": ("de_escalation", "composure", "ownership"),
    "resolution": ("resolution", "problem_diagnosis", "complaint_understanding"),
    "documentation": ("case_notes", "documentation", "complaint_record"),
}
STRENGTHS = (
    "Warm, confident opening and clear ownership of the issue.",
    "Explained the next steps and the timescale without being asked.",
    "Kept the customer informed during every pause.",
    "Checked the fix worked before closing.",
)
OPPORTUNITIES = {
    "empathy": "Acknowledge how the customer feels before moving to the fix.",
    "de-escalation": "When the customer raises their voice, slow down and summarise their "
    "concern before offering options.",
    "resolution": "Confirm every issue raised is dealt with before closing the contact.",
    "documentation": "Case notes should say what was done and what happens next.",
}
CRITERION_COMMENTS = {
    "low": "Missed here: see the guidance and let's listen to this part together.",
    "high": "Very good — exactly what the guidance describes.",
}


@dataclass
class AgentProfile:
    """How an agent tends to score: a base level, weak criteria, careless verification."""

    skill: float
    weak_keys: frozenset[str] = frozenset()
    weakness: str | None = None
    careless: bool = False


@dataclass
class ActivitySummary:
    """What `seed_activity` created."""

    interactions: int = 0
    evaluations: int = 0
    disputes: dict[str, int] = field(default_factory=dict)


def _profiles(agents: list[User], rng: random.Random) -> dict[int, AgentProfile]:
    names = list(WEAKNESSES)
    profiles = {}
    for index, agent in enumerate(agents):
        weakness = names[index % len(names)] if index % 3 != 2 else None
        profiles[agent.id] = AgentProfile(
            skill=min(0.95, max(0.55, rng.gauss(0.8, 0.07))),
            weakness=weakness,
            weak_keys=frozenset(WEAKNESSES[weakness]) if weakness else frozenset(),
            careless=index % 9 == 4,
        )
    return profiles


def _customer_answers(
    interaction: Interaction, profile: AgentProfile, complaint: bool, rng: random.Random
) -> None:
    """Survey answers for some contacts (a third answer the CSAT survey, a sixth the NPS
    question), likelier good from a skilled agent and bad on a complaint."""
    mood = profile.skill - (0.25 if complaint else 0) + rng.gauss(0, 0.15)
    if rng.random() < 1 / 3:
        interaction.csat_score = float(min(5, max(1, round(1 + 4 * mood + rng.gauss(0, 0.6)))))
        interaction.csat_positive = interaction.csat_score >= DEFAULT_CSAT_POSITIVE_FROM
    if rng.random() < 1 / 6:
        interaction.nps_score = min(10, max(0, round(10 * mood + rng.gauss(0, 1.5))))
    if rng.random() < 1 / 2:
        interaction.resolved_first_contact = rng.random() < mood


def _answers_follow_criteria(
    interaction: Interaction, normalised: Mapping[str, float | None], rng: random.Random
) -> None:
    """The customer's answers on an evaluated contact: likelier positive, and resolved, where
    empathy and resolution were met (r ≥ 0.75); the other criteria play no part."""
    met = [(normalised.get(key) or 0.0) >= 0.75 for key in CUSTOMERS_CARE_ABOUT]
    chance = 0.25 + 0.3 * sum(met)
    interaction.csat_score = interaction.csat_positive = interaction.resolved_first_contact = None
    if rng.random() < EVALUATED_CSAT_SHARE:
        positive = rng.random() < chance
        interaction.csat_score = float(rng.choice((4, 5)) if positive else rng.choice((1, 2, 3)))
        interaction.csat_positive = positive
    if rng.random() < EVALUATED_FCR_SHARE:
        interaction.resolved_first_contact = rng.random() < 0.3 + 0.5 * met[-1]


@dataclass
class Outcomes:
    """The customers' answers on evaluated contacts: their generator, and how many contacts
    of each answer (positive, not positive, none) have had the scripted closing so far."""

    rng: random.Random
    said: defaultdict[tuple[str, bool | None], list[int]] = field(
        default_factory=lambda: defaultdict(lambda: [0])
    )


def _script(definition: Mapping[str, Any], answers: dict[str, object], counted: list[int]) -> bool:
    """Set the scripted criteria's answers: met on all but every SCRIPTED_EVERY-th contact of
    the same customer answer. True when an answer changed."""
    changed = False
    for _, criterion in iter_criteria(definition):
        if criterion["key"] not in SCRIPTED or answers.get(criterion["key"]) is None:
            continue
        counted[0] += 1
        low, high = criterion_bounds(criterion)
        met = counted[0] % SCRIPTED_EVERY != 0
        value: object = met if criterion["kind"] == "yes_no" else (high if met else low)
        changed = changed or answers[criterion["key"]] != value
        answers[criterion["key"]] = value
    return changed


def _answer(criterion: Mapping[str, Any], profile: AgentProfile, rng: random.Random) -> object:
    """A plausible answer: the agent's level, minus a weakness, plus noise."""
    if criterion.get("na_allowed") and rng.random() < 0.35:
        return None
    if criterion.get("critical"):
        if profile.careless and rng.random() < 0.12:
            low, _high = criterion_bounds(criterion)
            return False if criterion["kind"] == "yes_no" else low
        level = 0.97
    else:
        level = profile.skill - (0.3 if criterion["key"] in profile.weak_keys else 0)
    ratio = min(1.0, max(0.0, rng.gauss(level, 0.15)))
    if criterion["kind"] == "yes_no":
        return rng.random() < ratio + 0.1
    low, high = criterion_bounds(criterion)
    return int(round(low + ratio * (high - low)))


def _after_coaching(
    definition: Mapping[str, Any],
    answers: dict[str, object],
    profile: AgentProfile,
    coaching: random.Random,
) -> dict[str, object]:
    """The answers of an agent whose coaching worked: the weak criteria answered again at the
    agent's level without the weakness (N/A stays N/A)."""
    recovered = replace(profile, weak_keys=frozenset())
    result = dict(answers)
    for _, criterion in iter_criteria(definition):
        key = criterion["key"]
        if key in profile.weak_keys and answers.get(key) is not None:
            again = _answer(criterion, recovered, coaching)
            result[key] = answers[key] if again is None else again
    return result


def _latest_versions() -> dict[str, ScorecardVersion]:
    versions: dict[str, ScorecardVersion] = {}
    rows = db.session.execute(
        sa.select(Scorecard.slug, ScorecardVersion)
        .join(ScorecardVersion.scorecard)
        .order_by(ScorecardVersion.number)
    )
    for slug, version in rows:
        versions[slug] = version
    return versions


def _scorecard_for(
    channel: str, complaint: bool, versions: dict[str, ScorecardVersion]
) -> ScorecardVersion | None:
    if complaint and "complaint-escalation" in versions:
        return versions["complaint-escalation"]
    slug = "inbound-call" if channel == "phone" else "written-channels"
    return versions.get(slug)


def has_demo_activity() -> bool:
    """True when demo interactions were seeded before."""
    return (
        db.session.scalar(
            sa.select(Interaction.id).where(Interaction.source == DEMO_SOURCE).limit(1)
        )
        is not None
    )


def seed_activity(seed: int, today: date) -> ActivitySummary:  # noqa: C901 - one story told in order
    """Create interactions for every demo agent over six months and evaluate four a month."""
    summary = ActivitySummary()
    versions = _latest_versions()
    if not versions or has_demo_activity():
        return summary
    rng = random.Random(f"activity:{seed}")
    teams = list(db.session.scalars(sa.select(Team).order_by(Team.id)))
    # Agents by name in code-point order, in Python: a database's collation (PostgreSQL's
    # locale, SQLite's bytes) would otherwise give names with accents another order, and with
    # it other profiles, so that the demo differed between databases.
    agents = [
        a
        for team in teams
        for a in sorted(team.agents, key=lambda user: (user.display_name, user.id))
        if a.active and a.role == Role.AGENT
    ]
    profiles = _profiles(agents, rng)
    manager = db.session.scalar(
        sa.select(User).where(User.role == Role.MANAGER, User.active.is_(True)).limit(1)
    )
    start = today - timedelta(days=MONTHS * 30)
    # The customers' answers come from their own generator, so the rest of the demo stays
    # the same whatever they are.
    answers = random.Random(f"outcomes:{seed}")
    outcomes = Outcomes(random.Random(f"evaluated outcomes:{seed}"))
    # Coaching that works (qa_app.demo.training): weak criteria recover from the plan's issue
    # on, drawn from their own generator so that everything else stays as it was.
    recovered_from = coaching_that_works(today)
    coaching = random.Random(f"coaching:{seed}")
    for agent in agents:
        last_customer: str | None = None
        team = next(team for team in teams if team.id == agent.team_id)
        # The team's first supervisor scores; a second one (by id) decides the disputes.
        supervisor = min(team.supervisors, key=lambda user: user.id, default=None)
        profile = profiles[agent.id]
        evaluated: list[Evaluation] = []
        for day_offset in sorted(rng.sample(range(MONTHS * 30), MONTHS * INTERACTIONS_PER_MONTH)):
            day = start + timedelta(days=day_offset)
            if day.weekday() >= 5:
                day -= timedelta(days=day.weekday() - 4)
            channel = rng.choices(["phone", "chat", "email"], [6, 3, 2])[0]
            complaint = rng.random() < 0.12
            occurred = datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), UTC)
            summary.interactions += 1
            interaction = Interaction(
                agent_id=agent.id,
                channel=channel,
                occurred_at=occurred,
                source=DEMO_SOURCE,
                external_ref=f"D{seed}-{agent.id}-{summary.interactions:05d}",
                duration_seconds=max(60, int(rng.gauss(420 if channel == "phone" else 900, 120))),
                queue=("Complaints" if complaint else team.name),
                customer_ref=f"C{rng.randint(100000, 999999)}",
                transcript=_transcript(channel, complaint, rng),
            )
            if last_customer and answers.random() < REPEAT_SHARE:
                interaction.customer_ref = last_customer  # the same customer calls again
            last_customer = interaction.customer_ref
            _customer_answers(interaction, profile, complaint, answers)
            db.session.add(interaction)
            version = _scorecard_for(channel, complaint, versions)
            if (
                supervisor is None
                or version is None
                or rng.random() >= EVALUATIONS_PER_MONTH / INTERACTIONS_PER_MONTH
            ):
                continue
            db.session.flush()
            age = (today - day).days
            if age < 21 and rng.random() < 0.5:
                # Recent contacts wait in the supervisor's queue instead.
                db.session.add(
                    Assignment(
                        interaction_id=interaction.id,
                        evaluator_id=supervisor.id,
                        scorecard_id=version.scorecard_id,
                    )
                )
                continue
            held = team.release_mode == "manual" and age <= HELD_BACK_DAYS
            recovering = agent.id in recovered_from and day >= recovered_from[agent.id]
            _evaluate(
                interaction,
                version,
                supervisor,
                manager,
                profile,
                age,
                rng,
                summary,
                held,
                coaching if recovering else None,
                outcomes,
                evaluated,
            )
        _keep_news(evaluated)
    db.session.flush()
    return summary


def _keep_news(evaluated: list[Evaluation]) -> None:
    """Leave every agent something new to read, whatever the weekday the demo is seeded on.

    Which contacts fall in the last ten days (and so stay unread) moves with the weekday,
    since weekend contacts move to the Friday before: on some days an agent's recent
    contacts all wait in the queue. Then the agent's newest acknowledged evaluation is
    left unread instead. No draw changes, so the rest of the demo stays as it was.
    """
    if any(e.status == EvaluationStatus.RELEASED for e in evaluated):
        return
    read = [e for e in evaluated if e.status == EvaluationStatus.ACKNOWLEDGED]
    if read:
        newest = max(read, key=lambda evaluation: evaluation.created_at)
        newest.status = EvaluationStatus.RELEASED
        newest.acknowledged_at = None


def _evaluate(
    interaction: Interaction,
    version: ScorecardVersion,
    supervisor: User,
    manager: User | None,
    profile: AgentProfile,
    age: int,
    rng: random.Random,
    summary: ActivitySummary,
    held: bool = False,
    coaching: random.Random | None = None,
    outcomes: Outcomes | None = None,
    evaluated: list[Evaluation] | None = None,
) -> EvaluationScore:
    definition = version.definition
    answers = {c["key"]: _answer(c, profile, rng) for _, c in iter_criteria(definition)}
    result = score_evaluation(definition, answers)
    # The main generator's draws below follow the answers as they were before coaching.
    untouched = result.normalised
    if coaching is not None:
        answers = _after_coaching(definition, answers, profile, coaching)
        result = score_evaluation(definition, answers)
    if outcomes is not None:
        _answers_follow_criteria(interaction, result.normalised, outcomes.rng)
        counted = outcomes.said[(definition.get("slug", ""), interaction.csat_positive)]
        if _script(definition, answers, counted):
            result = score_evaluation(definition, answers)
    # Scored one to three days later, but never after the day before `today`: a contact
    # of yesterday was scored the same evening (a later time could lie in the future).
    days_later = rng.randint(1, 3)
    submitted = interaction.occurred_at + (
        timedelta(days=days_later) if days_later < age else timedelta(hours=2)
    )
    evaluation = Evaluation(
        interaction_id=interaction.id,
        agent_id=interaction.agent_id,
        evaluator_id=supervisor.id,
        scorecard_version_id=version.id,
        score=result.score,
        raw_score=result.raw_score,
        auto_failed=result.auto_failed,
        passed=result.passed,
        revision=1,
        created_at=submitted,
        updated_at=submitted,
        submitted_at=submitted,
        released_at=None if held else submitted,
        strengths=rng.choice(STRENGTHS),
        opportunities=OPPORTUNITIES.get(profile.weakness or ""),
        status=EvaluationStatus.SUBMITTED if held else EvaluationStatus.RELEASED,
    )
    for key, value in answers.items():
        ratio = result.normalised.get(key)
        draw = rng.random() if untouched.get(key) == 1 else None
        if ratio == 1 and draw is None and coaching is not None:
            draw = coaching.random()
        comment = None
        if ratio is not None and (ratio < 0.5 or (ratio == 1 and draw is not None and draw < 0.1)):
            comment = CRITERION_COMMENTS["low" if ratio < 0.5 else "high"]
        evaluation.answers.append(
            Answer(
                criterion_key=key,
                value=stored_value(value),
                is_na=value is None,
                normalised=ratio,
                comment=comment,
            )
        )
    db.session.add(evaluation)
    db.session.flush()
    if evaluated is not None:
        evaluated.append(evaluation)
    db.session.add(
        _revision(evaluation.id, 1, result, answers, "submitted", supervisor.id, submitted)
    )
    summary.evaluations += 1
    if age <= 10:
        return result  # still new feedback for the agent (or, held, not released yet)
    roll = rng.random()
    # Auto-failed evaluations are the ones agents challenge most.
    if manager is not None and roll < (0.3 if result.auto_failed else 0.05):
        _dispute(evaluation, definition, manager, summary)
    elif roll < 0.95:
        evaluation.status = EvaluationStatus.ACKNOWLEDGED
        evaluation.acknowledged_at = submitted + timedelta(days=rng.randint(0, 4))
    return result


def _dispute(
    evaluation: Evaluation, definition: dict[str, Any], manager: User, summary: ActivitySummary
) -> None:
    outcome = [DisputeStatus.OPEN, DisputeStatus.UPHELD, DisputeStatus.REJECTED][
        sum(summary.disputes.values()) % 3
    ]
    assert evaluation.released_at is not None  # only released evaluations are disputed
    raised = evaluation.released_at + timedelta(days=1)
    keys = [
        a.criterion_key
        for a in evaluation.answers
        if a.normalised is not None and a.normalised < 0.5
    ][:1]
    dispute = Dispute(
        evaluation_id=evaluation.id,
        raised_by_id=evaluation.agent_id,
        criterion_keys=keys,
        raised_at=raised,
        status=outcome,
        revision_before=1,
        reason="The customer had already been verified by the IVR, and I did "
        "explain the next steps at the end of the call.",
    )
    evaluation.status = EvaluationStatus.DISPUTED
    if outcome != DisputeStatus.OPEN:
        dispute.resolved_by_id = manager.id
        dispute.resolved_at = raised + timedelta(days=2)
        dispute.revision_after = 1
        dispute.resolution_note = (
            "Agreed after listening again; the criterion is re-scored."
            if outcome == DisputeStatus.UPHELD
            else "Listened again: the step was missed, so the score stands."
        )
        evaluation.status = EvaluationStatus.RESOLVED
    if outcome == DisputeStatus.UPHELD and keys:
        _rescore(evaluation, definition, keys, manager, dispute)
    db.session.add(dispute)
    summary.disputes[outcome.value] = summary.disputes.get(outcome.value, 0) + 1


def _rescore(
    evaluation: Evaluation,
    definition: dict[str, Any],
    keys: list[str],
    manager: User,
    dispute: Dispute,
) -> None:
    criteria = {c["key"]: c for _, c in iter_criteria(definition)}
    answers: dict[str, object] = {}
    for row in evaluation.answers:
        criterion = criteria[row.criterion_key]
        if row.criterion_key in keys:
            row.value = float(criterion_bounds(criterion)[1])
        value = (
            None
            if row.is_na or row.value is None  # a value is None only when N/A
            else (row.value >= 1 if criterion["kind"] == "yes_no" else int(row.value))
        )
        answers[row.criterion_key] = value
    result = score_evaluation(definition, answers)
    for row in evaluation.answers:
        row.normalised = result.normalised.get(row.criterion_key)
    evaluation.score, evaluation.raw_score = result.score, result.raw_score
    evaluation.auto_failed, evaluation.passed = result.auto_failed, result.passed
    evaluation.revision = 2
    dispute.revision_after = 2
    db.session.add(
        _revision(
            evaluation.id, 2, result, answers, "dispute upheld", manager.id, dispute.resolved_at
        )
    )


def _revision(
    evaluation_id: int,
    number: int,
    result: EvaluationScore,
    answers: dict[str, object],
    reason: str,
    by: int,
    at: datetime | None,
) -> EvaluationRevision:
    return EvaluationRevision(
        evaluation_id=evaluation_id,
        number=number,
        score=result.score,
        raw_score=result.raw_score,
        auto_failed=result.auto_failed,
        passed=result.passed,
        reason=reason,
        created_by_id=by,
        created_at=at,
        content={"answers": {k: {"value": v, "comment": None} for k, v in answers.items()}},
    )


TRANSCRIPT_LINES = {
    "phone": (
        "Agent: Thank you for calling, you're speaking with the service team, how can I "
        "help?\nCustomer: I was charged twice this month.\nAgent: I'm sorry about that — "
        "let me check. Can I take your postcode and date of birth first?"
    ),
    "chat": (
        "Customer: hi, my router keeps dropping the connection\nAgent: Hello, thanks for "
        "getting in touch! I'm sorry it keeps dropping — how often does it happen?"
    ),
    "email": (
        "Subject: Refund not received\n\nHello, I returned the order three weeks ago and "
        "still have no refund. Please advise."
    ),
}


def _transcript(channel: str, complaint: bool, rng: random.Random) -> str:
    text = TRANSCRIPT_LINES[channel]
    if complaint:
        text += "\nCustomer: This is the third time I've had to contact you. I want to complain."
    return text
