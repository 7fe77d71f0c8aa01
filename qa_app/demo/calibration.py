"""Demo calibration: a dozen closed sessions over the last months and one open session.

The disagreement is the kind a centre finds in its first calibrations: one lenient evaluator
(LENIENT_SUPERVISOR) whose scores run about ten points above the expert's, and one
criterion (READ_DIFFERENTLY, the empathy scale) that each evaluator reads in their own way,
so its agreement is the lowest. The others read it a step below the expert, so they come out
a little harsh, never lenient. The first supervisor is a QA lead and the expert.

Sessions go through the real services (create, score, submit, close); only their dates are
moved into the past. The answers come from a generator of their own, so the rest of the
demo is the same with or without this.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

import sqlalchemy as sa

from qa_app.auth.models import Role, User
from qa_app.calibration import services
from qa_app.calibration.models import (
    CalibrationItem,
    CalibrationScore,
    CalibrationSession,
)
from qa_app.demo.organisation import demo_email
from qa_app.evaluations.models import Evaluation
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.scorecards.models import Scorecard, ScorecardVersion
from qa_app.scoring import criterion_bounds, iter_criteria

SCORECARD = "inbound-call"
CLOSED_SESSIONS = 12
DAYS_BETWEEN = 14
INTERACTIONS_PER_SESSION = 3
READ_DIFFERENTLY = "empathy"
QA_LEAD_SUPERVISOR = 1  # supervisor@demo.test: QA lead, and the expert of every session
LENIENT_SUPERVISOR = 3  # supervisor03@demo.test
# How each evaluator reads the empathy scale, in scale steps from the expert's reading.
EMPATHY_READING = {2: -1, 3: 1, 4: -1, "manager": -1}
# How often an answer the expert would give N/A is N/A.
NOT_APPLICABLE = {"de_escalation": 0.6, "hold_etiquette": 0.5, "transfer_etiquette": 0.4}


@dataclass(frozen=True)
class CalibrationDemo:
    """What seed_calibration created."""

    sessions: int = 0
    scorings: int = 0


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def _people() -> tuple[User, User, list[User]] | None:
    """The manager, the QA lead (the expert) and the other evaluators, by demo login."""
    emails = [demo_email(Role.MANAGER, 1)] + [
        demo_email(Role.SUPERVISOR, number) for number in range(1, 5)
    ]
    users = {
        user.email: user
        for user in db.session.scalars(sa.select(User).where(User.email.in_(emails)))
    }
    if len(users) != len(emails) or not all(user.active for user in users.values()):
        return None
    manager = users[emails[0]]
    lead = users[emails[QA_LEAD_SUPERVISOR]]
    others = [users[email] for email in emails[2:]] + [manager]
    return manager, lead, others


def _reading(user: User, manager: User) -> int:
    if user.id == manager.id:
        return EMPATHY_READING["manager"]
    number = int(user.email.split("@")[0].removeprefix("supervisor") or 1)
    return EMPATHY_READING.get(number, 0)


def _truth(criterion: Mapping[str, Any], rng: random.Random) -> object:
    """The expert's answer on one criterion of one call."""
    key = criterion["key"]
    if criterion.get("na_allowed") and rng.random() < NOT_APPLICABLE.get(key, 0.3):
        return None
    if criterion["kind"] == "yes_no":
        return rng.random() < (0.96 if criterion.get("critical") else 0.7)
    low, high = criterion_bounds(criterion)
    return int(rng.choice([low + (high - low) * share for share in (0.25, 0.5, 0.75, 0.75, 1)]))


def _clamp(value: float, criterion: Mapping[str, Any]) -> int:
    low, high = criterion_bounds(criterion)
    return int(min(high, max(low, round(value))))


def _answer(
    criterion: Mapping[str, Any],
    truth: object,
    reading: int,
    lenient: bool,
    rng: random.Random,
) -> object:
    """A participant's answer: the expert's, with the noise of a human reader, their own
    reading of the empathy scale, and, for the lenient evaluator, the benefit of the doubt."""
    if truth is None:
        return None
    if criterion["kind"] == "yes_no":
        if criterion.get("critical"):
            # Now and then someone misses a failed verification; nobody invents one.
            return True if truth is False and rng.random() < 0.1 else truth
        if lenient and truth is False and rng.random() < 0.6:
            return True
        return truth if rng.random() > 0.04 else not truth
    value = float(cast(int, truth))  # scale and points answers are whole numbers
    if criterion["key"] == READ_DIFFERENTLY:
        value += reading + rng.choice([-1, 0, 0, 1])
    elif rng.random() < 0.2:
        value += rng.choice([-1, 1])
    if lenient and rng.random() < 0.45:
        value += 1
    return _clamp(value, criterion)


def _calls(before: date, rng: random.Random, taken: set[int]) -> list[Interaction]:
    """Phone calls of the demo no one has evaluated, made in the fortnight before `before`."""
    evaluated = sa.select(Evaluation.interaction_id)
    candidates = list(
        db.session.scalars(
            sa.select(Interaction)
            .where(
                Interaction.channel == "phone",
                Interaction.queue != "Complaints",
                Interaction.occurred_at < _at(before, 0),
                Interaction.occurred_at >= _at(before - timedelta(days=DAYS_BETWEEN), 0),
                Interaction.id.not_in(evaluated),
            )
            .order_by(Interaction.id)
        )
    )
    free = [call for call in candidates if call.id not in taken]
    chosen = rng.sample(free, min(INTERACTIONS_PER_SESSION, len(free)))
    taken.update(call.id for call in chosen)
    return sorted(chosen, key=lambda call: call.id)


def _score(
    session: CalibrationSession,
    participants: Sequence[User],
    lenient: User,
    manager: User,
    rng: random.Random,
    *,
    final: Mapping[int, int],
) -> int:
    """Participants answer the session's calls; `final` says how many of them each user
    submits (by user id, every one when absent). The number of scorings submitted."""
    criteria = [criterion for _section, criterion in iter_criteria(session.version.definition)]
    submitted = 0
    for index, item in enumerate(session.items):
        truths = {criterion["key"]: _truth(criterion, rng) for criterion in criteria}
        for user in participants:
            expert = user.id == session.expert_id
            answers = {
                c["key"]: truths[c["key"]]
                if expert
                else _answer(c, truths[c["key"]], _reading(user, manager), user == lenient, rng)
                for c in criteria
            }
            count = final.get(user.id, len(session.items))
            if index > count:
                continue
            services.save_score(item, user, answers, {}, None, final=index < count)
            submitted += index < count
    return submitted


def _backdate(session: CalibrationSession, opened: date, scored: date) -> None:
    """Move the session's times into the past: opened, scored (and submitted), closed."""
    session.created_at = _at(opened, 9)
    for participant in session.participants:
        participant.invited_at = _at(opened, 9)
        if participant.submitted_at is not None:
            participant.submitted_at = _at(scored, 16)
    scores = db.session.scalars(
        sa.select(CalibrationScore)
        .join(CalibrationItem, CalibrationItem.id == CalibrationScore.item_id)
        .where(CalibrationItem.session_id == session.id)
    )
    for score in scores:
        score.created_at = score.updated_at = _at(scored, 11)
        if score.submitted_at is not None:
            score.submitted_at = _at(scored, 15)


def seed_calibration(seed: int, today: date) -> CalibrationDemo:
    """The demo's calibration sessions, unless there are calibration sessions already."""
    if db.session.scalar(sa.select(CalibrationSession.id).limit(1)) is not None:
        return CalibrationDemo()
    people = _people()
    version = db.session.scalar(
        sa.select(ScorecardVersion)
        .join(Scorecard, Scorecard.id == ScorecardVersion.scorecard_id)
        .where(Scorecard.slug == SCORECARD)
        .order_by(ScorecardVersion.number.desc())
        .limit(1)
    )
    if people is None or version is None:
        return CalibrationDemo()
    manager, lead, others = people
    lead.qa_lead = True
    lenient = next(u for u in others if u.email == demo_email(Role.SUPERVISOR, LENIENT_SUPERVISOR))
    rng = random.Random(f"calibration:{seed}")
    # The calls are picked with a generator of their own: which calls a fortnight holds
    # moves with the day the demo is seeded on, and the answers (drawn from `rng`) must not,
    # or the lenient evaluator and the criterion read differently would change with it.
    picks = random.Random(f"calibration calls:{seed}")
    taken: set[int] = set()
    sessions = scorings = 0
    # Six months of demo calls: the first session takes calls of its first fortnight.
    first = today - timedelta(days=DAYS_BETWEEN * CLOSED_SESSIONS - 2)
    for number in range(CLOSED_SESSIONS + 1):
        is_open = number == CLOSED_SESSIONS
        opened = today - timedelta(days=5) if is_open else first + timedelta(DAYS_BETWEEN * number)
        calls = _calls(opened, picks, taken)
        if not calls:
            continue
        organiser = manager if number % 3 else lead
        session = services.create_session(
            organiser,
            services.NewSession(
                title=_title(opened, is_open),
                version=version,
                interactions=calls,
                participants=others,
                expert=lead,
                due_on=opened + timedelta(days=9 if is_open else 7),
            ),
            opened,
        )
        participants = [lead, *others]
        # The open session: the expert and one supervisor have submitted everything, the
        # lenient one a single call (and a draft of the next), the rest nothing yet.
        final = {lenient.id: 1, others[2].id: -1, manager.id: -1} if is_open else {}
        scorings += _score(session, participants, lenient, manager, rng, final=final)
        scored = opened + timedelta(days=2 if is_open else 4)
        if not is_open:
            services.close_session(session, organiser)
            session.closed_at = _at(opened + timedelta(days=6), 14)
            session.closed_by_id = organiser.id
        _backdate(session, opened, scored)
        sessions += 1
    db.session.flush()
    return CalibrationDemo(sessions, scorings)


def _title(opened: date, is_open: bool) -> str:
    week = opened.isocalendar().week
    return f"Inbound calls, week {week}" + (" (this week)" if is_open else "")
