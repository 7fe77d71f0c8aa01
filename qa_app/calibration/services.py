"""The rules of a calibration session: who may run one, who scores, who sees what, closing,
and promoting the benchmark to a real evaluation. Plain functions, no request needed.

Blind scoring: while a session is open a participant sees only their own answers, until they
have submitted every interaction of it; nobody else (not even its organiser) sees answers
before the session closes. A submitted score is final, so that nobody can adjust theirs
after reading the others'.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext

from qa_app.audit.services import record_event
from qa_app.auth.models import EVALUATOR_ROLES, Role, User
from qa_app.calibration.models import (
    TITLE_LENGTH,
    Benchmark,
    CalibrationAnswer,
    CalibrationItem,
    CalibrationParticipant,
    CalibrationScore,
    CalibrationSession,
    SessionStatus,
)
from qa_app.database import utcnow
from qa_app.errors import RuleError
from qa_app.evaluations.answers import engine_value, stored_value
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.notifications import events
from qa_app.scorecards.models import ScorecardVersion
from qa_app.scoring import EvaluationScore, iter_criteria, score_evaluation

MAX_ITEMS = 20
MAX_PARTICIPANTS = 50


class CalibrationError(RuleError, ValueError):
    """A calibration request the rules refuse; the message says why in plain words."""


def can_organise(user: User) -> bool:
    """Managers, and supervisors named as QA leads, run calibration sessions."""
    return user.active and (
        user.role == Role.MANAGER or (user.role == Role.SUPERVISOR and user.qa_lead)
    )


def can_manage(user: User, session: CalibrationSession) -> bool:
    """Closing and changing a session: its organiser, or any manager."""
    return user.role == Role.MANAGER or (can_organise(user) and session.created_by_id == user.id)


def participant(session: CalibrationSession, user: User) -> CalibrationParticipant | None:
    return next((p for p in session.participants if p.user_id == user.id), None)


def visible_sessions(user: User) -> sa.Select[CalibrationSession]:
    """Sessions `user` may open: managers all, others those they organise or take part in;
    agents none (calibration never reaches agents)."""
    query = sa.select(CalibrationSession)
    if user.role == Role.MANAGER:
        return query
    if user.role not in EVALUATOR_ROLES:
        return query.where(sa.false())
    taking_part = sa.select(CalibrationParticipant.session_id).where(
        CalibrationParticipant.user_id == user.id
    )
    return query.where(
        sa.or_(CalibrationSession.created_by_id == user.id, CalibrationSession.id.in_(taking_part))
    )


def can_view(user: User, session: CalibrationSession) -> bool:
    return user.role == Role.MANAGER or (
        user.role in EVALUATOR_ROLES
        and (session.created_by_id == user.id or participant(session, user) is not None)
    )


def sees_others(user: User, session: CalibrationSession) -> bool:
    """Whether `user` may read the other participants' answers: once the session is closed
    (everyone who may open it), or once they have submitted all of theirs."""
    if not can_view(user, session):
        return False
    if not session.is_open:
        return True
    mine = participant(session, user)
    return mine is not None and mine.submitted_at is not None


@dataclass(frozen=True)
class NewSession:
    """What the organiser chose on the form (or a script passed)."""

    title: str
    version: ScorecardVersion
    interactions: Sequence[Interaction]
    participants: Sequence[User]
    expert: User | None = None
    due_on: date | None = None
    tolerance_points: float = 5.0


def create_session(organiser: User, new: NewSession, today: date) -> CalibrationSession:
    """Open a session; the expert, when named, takes part too. All or nothing."""
    if not can_organise(organiser):
        raise CalibrationError(_l("Only managers and QA leads run calibration sessions."))
    _check_new(new, today)
    people = {user.id: user for user in new.participants}
    if new.expert is not None:
        people.setdefault(new.expert.id, new.expert)
    session = CalibrationSession(
        title=new.title.strip(),
        scorecard_version_id=new.version.id,
        benchmark=Benchmark.EXPERT if new.expert is not None else Benchmark.CONSENSUS,
        expert_id=new.expert.id if new.expert is not None else None,
        tolerance_points=new.tolerance_points,
        due_on=new.due_on,
        status=SessionStatus.OPEN,
        created_by_id=organiser.id,
    )
    session.items = [CalibrationItem(interaction_id=i.id) for i in _unique(new.interactions)]
    session.participants = [CalibrationParticipant(user_id=user_id) for user_id in people]
    db.session.add(session)
    db.session.flush()
    record_event(
        "calibration.created",
        "calibration_session",
        session.id,
        after={
            "title": session.title,
            "version_id": new.version.id,
            "interaction_ids": [item.interaction_id for item in session.items],
            "participant_ids": sorted(people),
            "expert_id": session.expert_id,
            "due_on": new.due_on.isoformat() if new.due_on else None,
            "tolerance_points": new.tolerance_points,
        },
        actor_id=organiser.id,
    )
    events.calibration_invited(session)
    return session


def _unique(interactions: Iterable[Interaction]) -> list[Interaction]:
    seen: dict[int, Interaction] = {}
    for interaction in interactions:
        seen.setdefault(interaction.id, interaction)
    return list(seen.values())


def _check_new(new: NewSession, today: date) -> None:
    if not new.title.strip():
        raise CalibrationError(_l("Give the session a title."))
    if len(new.title.strip()) > TITLE_LENGTH:
        raise CalibrationError(
            lazy_ngettext(
                "The title is longer than %(num)d character.",
                "The title is longer than %(num)d characters.",
                TITLE_LENGTH,
            )
        )
    interactions = _unique(new.interactions)
    if not interactions:
        raise CalibrationError(_l("Choose at least one interaction to calibrate on."))
    if len(interactions) > MAX_ITEMS:
        raise CalibrationError(
            lazy_ngettext(
                "A session holds at most %(num)d interaction.",
                "A session holds at most %(num)d interactions.",
                MAX_ITEMS,
            )
        )
    people = {user.id: user for user in new.participants}
    if new.expert is not None:
        people.setdefault(new.expert.id, new.expert)
    if len(people) < 2:
        raise CalibrationError(_l("Invite at least two evaluators (the expert counts)."))
    if len(people) > MAX_PARTICIPANTS:
        raise CalibrationError(
            lazy_ngettext(
                "A session takes at most %(num)d participant.",
                "A session takes at most %(num)d participants.",
                MAX_PARTICIPANTS,
            )
        )
    for user in people.values():
        if not user.active or user.role not in EVALUATOR_ROLES:
            raise CalibrationError(
                _l("%(name)s does not score interactions.", name=user.display_name)
            )
    agents = {interaction.agent_id for interaction in interactions}
    for user_id in agents & set(people):
        raise CalibrationError(
            _l("%(name)s cannot score their own interaction.", name=people[user_id].display_name)
        )
    if new.due_on is not None and new.due_on < today:
        raise CalibrationError(_l("The due date is in the past."))
    if not 0 <= new.tolerance_points <= 100:
        raise CalibrationError(_l("The tolerance is between 0 and 100 points."))


def score_of(item: CalibrationItem, user: User) -> CalibrationScore | None:
    return db.session.scalar(
        sa.select(CalibrationScore).where(
            CalibrationScore.item_id == item.id, CalibrationScore.user_id == user.id
        )
    )


def stored_answers(score: CalibrationScore) -> tuple[dict[str, object], dict[str, str]]:
    """A calibration score's answers as the engine takes them, and its comments."""
    kinds = {c["key"]: c["kind"] for _, c in iter_criteria(score.item.session.version.definition)}
    answers: dict[str, object] = {}
    comments: dict[str, str] = {}
    for row in score.answers:
        if row.is_na or row.value is not None:
            answers[row.criterion_key] = engine_value(
                kinds.get(row.criterion_key, "scale"), row.value, row.is_na
            )
        if row.comment:
            comments[row.criterion_key] = row.comment
    return answers, comments


def save_score(
    item: CalibrationItem,
    user: User,
    answers: Mapping[str, object],
    comments: Mapping[str, str],
    overall_comment: str | None,
    *,
    final: bool,
) -> EvaluationScore:
    """Save the participant's answers on one interaction; `final` submits them (every
    criterion answered, AnswerError otherwise) and they cannot change any more."""
    session = item.session
    mine = participant(session, user)
    if mine is None:
        raise CalibrationError(_l("You are not taking part in this calibration session."))
    if not session.is_open:
        raise CalibrationError(_l("This calibration session is closed."))
    score = score_of(item, user)
    if score is not None and score.submitted_at is not None:
        raise CalibrationError(
            _l("You have submitted your scoring of this interaction; it cannot change.")
        )
    definition = session.version.definition
    result = score_evaluation(definition, answers, partial=not final)
    if score is None:
        score = CalibrationScore(item_id=item.id, user_id=user.id)
        db.session.add(score)
    _write_answers(score, definition, answers, comments, result)
    score.overall_comment = (overall_comment or "").strip() or None
    score.score = result.score
    score.raw_score = result.raw_score
    score.auto_failed = result.auto_failed
    score.passed = result.passed
    score.updated_at = utcnow()
    if final:
        score.submitted_at = utcnow()
        db.session.flush()
        if _submitted_all(session, user):
            mine.submitted_at = utcnow()
        record_event(
            "calibration.scored",
            "calibration_session",
            session.id,
            after={"interaction_id": item.interaction_id, "score": result.score},
            actor_id=user.id,
        )
    return result


def _write_answers(
    score: CalibrationScore,
    definition: Mapping[str, object],
    answers: Mapping[str, object],
    comments: Mapping[str, str],
    result: EvaluationScore,
) -> None:
    rows = {row.criterion_key: row for row in score.answers}
    for _section, criterion in iter_criteria(definition):
        key = criterion["key"]
        answered = key in answers
        comment = (comments.get(key) or "").strip() or None
        row = rows.get(key)
        if not answered and comment is None:
            if row is not None:
                score.answers.remove(row)
            continue
        if row is None:
            row = CalibrationAnswer(criterion_key=key)
            score.answers.append(row)
        value = answers.get(key)
        row.is_na = answered and value is None
        row.value = stored_value(value)
        row.normalised = result.normalised.get(key)
        row.comment = comment


def _submitted_all(session: CalibrationSession, user: User) -> bool:
    submitted = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CalibrationScore)
        .join(CalibrationItem, CalibrationItem.id == CalibrationScore.item_id)
        .where(
            CalibrationItem.session_id == session.id,
            CalibrationScore.user_id == user.id,
            CalibrationScore.submitted_at.is_not(None),
        )
    )
    return submitted == len(session.items)


def close_session(session: CalibrationSession, actor: User) -> None:
    """Close: results for everyone who may open the session. Drafts never submitted stay out
    of every figure (they are missing answers, as a participant who never scored)."""
    if not can_manage(actor, session):
        raise CalibrationError(_l("Only the organiser or a manager closes this session."))
    if not session.is_open:
        raise CalibrationError(_l("This calibration session is closed."))
    session.status = SessionStatus.CLOSED
    session.closed_at = utcnow()
    session.closed_by_id = actor.id
    record_event(
        "calibration.closed",
        "calibration_session",
        session.id,
        before={"status": SessionStatus.OPEN.value},
        after={"status": SessionStatus.CLOSED.value},
        actor_id=actor.id,
    )
    events.calibration_closed(session)
