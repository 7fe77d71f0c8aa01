"""What the session pages show, computed here so the views stay thin: the lists of a user's
sessions with their progress, the interactions an organiser may pick, the evaluators who may
be invited, and everyone's answers side by side (only where services.sees_others allows)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from qa_app.auth.models import EVALUATOR_ROLES, User
from qa_app.calibration.models import (
    CalibrationItem,
    CalibrationParticipant,
    CalibrationScore,
    CalibrationSession,
    SessionStatus,
)
from qa_app.calibration.services import participant, sees_others, visible_sessions
from qa_app.evaluations.answers import to_form_value
from qa_app.extensions import db
from qa_app.i18n import local_to_utc
from qa_app.interactions.models import Interaction
from qa_app.interactions.services import visible_interactions
from qa_app.scorecards.models import Scorecard, ScorecardVersion
from qa_app.scoring import iter_criteria

CANDIDATES = 100  # interactions listed to pick from at once (the filter narrows them)


def submitted_counts(session_ids: Sequence[int]) -> dict[tuple[int, int], int]:
    """(session id, user id) → interactions that participant has submitted, in one query."""
    if not session_ids:
        return {}
    rows = db.session.execute(
        sa.select(CalibrationItem.session_id, CalibrationScore.user_id, sa.func.count())
        .join(CalibrationItem, CalibrationItem.id == CalibrationScore.item_id)
        .where(
            CalibrationItem.session_id.in_(session_ids),
            CalibrationScore.submitted_at.is_not(None),
        )
        .group_by(CalibrationItem.session_id, CalibrationScore.user_id)
    )
    return {(session_id, user_id): count for session_id, user_id, count in rows}


@dataclass(frozen=True)
class Progress:
    """One participant's progress in a session: submitted interactions of all of them."""

    user: User
    submitted: int
    total: int

    @property
    def done(self) -> bool:
        return self.submitted >= self.total


@dataclass
class SessionRow:
    """A session as the list shows it: the viewer's progress and, for its organiser,
    everyone's (counts only: never answers while it is open)."""

    session: CalibrationSession
    mine: Progress | None
    everyone: list[Progress] = field(default_factory=list)

    def overdue(self, today: date) -> bool:
        """Open, past its due date, and the viewer has not submitted everything."""
        session = self.session
        return (
            session.is_open
            and session.due_on is not None
            and session.due_on < today
            and self.mine is not None
            and not self.mine.done
        )


@dataclass
class SessionLists:
    """The list page: sessions I score, sessions I organise (open), closed sessions."""

    taking_part: list[SessionRow]
    organising: list[SessionRow]
    closed: list[SessionRow]


def session_lists(user: User, *, manages_all: bool) -> SessionLists:
    """The sessions `user` may open, split for the list page. A manager (`manages_all`)
    sees every open session under "organising": they may close any of them."""
    sessions = db.session.scalars(
        visible_sessions(user)
        .options(
            sa.orm.selectinload(CalibrationSession.items),
            sa.orm.selectinload(CalibrationSession.participants).joinedload(
                CalibrationParticipant.user
            ),
            sa.orm.joinedload(CalibrationSession.version),
        )
        .order_by(CalibrationSession.created_at.desc(), CalibrationSession.id.desc())
    ).all()
    counts = submitted_counts([s.id for s in sessions])
    lists = SessionLists([], [], [])
    for session in sessions:
        total = len(session.items)
        everyone = [
            Progress(p.user, counts.get((session.id, p.user_id), 0), total)
            for p in session.participants
        ]
        mine = next((p for p in everyone if p.user.id == user.id), None)
        row = SessionRow(session, mine, everyone)
        if session.status == SessionStatus.CLOSED:
            lists.closed.append(row)
            continue
        if mine is not None:
            lists.taking_part.append(row)
        if session.created_by_id == user.id or manages_all:
            lists.organising.append(row)
    return lists


def evaluators() -> list[User]:
    """Who may be invited: active supervisors and managers, by name."""
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.active.is_(True), User.role.in_(EVALUATOR_ROLES))
            .order_by(User.display_name, User.id)
        )
    )


def latest_versions() -> list[tuple[Scorecard, ScorecardVersion]]:
    """Active scorecards with their latest published version (a draft-only one has none)."""
    latest = (
        sa.select(ScorecardVersion.scorecard_id, sa.func.max(ScorecardVersion.number).label("n"))
        .group_by(ScorecardVersion.scorecard_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Scorecard, ScorecardVersion)
        .join(latest, latest.c.scorecard_id == Scorecard.id)
        .join(
            ScorecardVersion,
            sa.and_(
                ScorecardVersion.scorecard_id == Scorecard.id,
                ScorecardVersion.number == latest.c.n,
            ),
        )
        .where(Scorecard.status == "active")
        .order_by(Scorecard.name)
    ).all()
    return [(scorecard, version) for scorecard, version in rows]


@dataclass(frozen=True)
class InteractionFilter:
    """The new-session form's filter of the interactions to pick from."""

    team_id: int | None = None
    agent_id: int | None = None
    start: date | None = None
    end: date | None = None
    channel: str | None = None


def candidate_interactions(
    user: User, chosen: InteractionFilter, keep: Sequence[int] = ()
) -> list[Interaction]:
    """The interactions `user` may see that pass the filter, newest first (at most
    CANDIDATES), followed by those of `keep` (ticked before) the filter left out."""
    query = visible_interactions(user).options(sa.orm.joinedload(Interaction.agent))
    if chosen.team_id:
        team_agents = sa.select(User.id).where(User.team_id == chosen.team_id)
        query = query.where(Interaction.agent_id.in_(team_agents))
    if chosen.agent_id:
        query = query.where(Interaction.agent_id == chosen.agent_id)
    if chosen.start is not None:
        query = query.where(Interaction.occurred_at >= local_to_utc(_midnight(chosen.start)))
    if chosen.end is not None:
        next_day = _midnight(chosen.end + timedelta(days=1))
        query = query.where(Interaction.occurred_at < local_to_utc(next_day))
    if chosen.channel:
        query = query.where(Interaction.channel == chosen.channel)
    listed = list(
        db.session.scalars(
            query.order_by(Interaction.occurred_at.desc(), Interaction.id.desc()).limit(CANDIDATES)
        )
    )
    missing = set(keep) - {interaction.id for interaction in listed}
    if missing:
        listed += db.session.scalars(
            visible_interactions(user)
            .options(sa.orm.joinedload(Interaction.agent))
            .where(Interaction.id.in_(missing))
            .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        )
    return listed


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min)


@dataclass(frozen=True)
class OthersAnswers:
    """One participant's submitted scoring of one interaction, as the form writes its
    values ("yes", "4", "na"), for the side-by-side table."""

    user: User
    values: dict[str, str]
    comments: dict[str, str]
    score: float | None
    auto_failed: bool
    overall_comment: str | None


def side_by_side(session: CalibrationSession, viewer: User) -> dict[int, list[OthersAnswers]]:
    """Item id → every participant's submitted scoring of it; empty unless `viewer` may see
    the others' answers (services.sees_others: the blind rule is decided there alone)."""
    if not sees_others(viewer, session):
        return {}
    kinds = {c["key"]: c["kind"] for _, c in iter_criteria(session.version.definition)}
    scores = db.session.scalars(
        sa.select(CalibrationScore)
        .join(CalibrationItem, CalibrationItem.id == CalibrationScore.item_id)
        .where(CalibrationItem.session_id == session.id, CalibrationScore.submitted_at.is_not(None))
        .options(
            sa.orm.selectinload(CalibrationScore.answers),
            sa.orm.joinedload(CalibrationScore.user),
        )
        .order_by(CalibrationScore.item_id, CalibrationScore.user_id)
    )
    table: dict[int, list[OthersAnswers]] = defaultdict(list)
    for score in scores:
        values = {
            row.criterion_key: to_form_value(
                kinds.get(row.criterion_key, "scale"), row.value, row.is_na
            )
            for row in score.answers
        }
        comments = {row.criterion_key: row.comment for row in score.answers if row.comment}
        table[score.item_id].append(
            OthersAnswers(
                score.user,
                values,
                comments,
                score.score,
                score.auto_failed,
                score.overall_comment,
            )
        )
    return dict(table)


def session_for_page(session_id: int) -> CalibrationSession | None:
    """A session with what its page shows loaded at once: interactions with their agents,
    participants with their users (the page's queries do not grow with them)."""
    return db.session.scalar(
        sa.select(CalibrationSession)
        .where(CalibrationSession.id == session_id)
        .options(
            sa.orm.selectinload(CalibrationSession.items)
            .joinedload(CalibrationItem.interaction)
            .joinedload(Interaction.agent),
            sa.orm.selectinload(CalibrationSession.participants).joinedload(
                CalibrationParticipant.user
            ),
            sa.orm.joinedload(CalibrationSession.version),
            sa.orm.joinedload(CalibrationSession.expert),
            sa.orm.joinedload(CalibrationSession.created_by),
        )
    )


def my_scores(session: CalibrationSession, user: User) -> dict[int, CalibrationScore]:
    """Item id → the user's scoring (draft or submitted) in the session, in one query."""
    scores = db.session.scalars(
        sa.select(CalibrationScore)
        .join(CalibrationItem, CalibrationItem.id == CalibrationScore.item_id)
        .where(CalibrationItem.session_id == session.id, CalibrationScore.user_id == user.id)
    )
    return {score.item_id: score for score in scores}


def my_progress(session: CalibrationSession, user: User) -> Progress | None:
    """The viewer's own progress in the session (None when not taking part)."""
    if participant(session, user) is None:
        return None
    counts = submitted_counts([session.id])
    return Progress(user, counts.get((session.id, user.id), 0), len(session.items))
