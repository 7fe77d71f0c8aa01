"""Calibration fixtures: `make_calibration` opens a session on the "Test call" scorecard
(a yes/no greeting, weight 1; an empathy scale 1–5, weight 2) and can have participants
score and submit it, and close it."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.auth.models import User
from qa_app.calibration import services
from qa_app.calibration.models import CalibrationSession
from qa_app.extensions import db
from qa_app.interactions.services import create_interaction
from qa_app.scorecards.models import Scorecard, ScorecardVersion
from tests.conftest import RECORD_CALL_AT, SCORECARD_TOML, Organisation, _publish_scorecard

TODAY = date(2026, 12, 7)
Answers = Mapping[str, object]


def build_session(
    org: Organisation,
    *,
    participants: Sequence[User] | None = None,
    expert: User | None = None,
    interactions: int = 2,
    scores: Mapping[int, Sequence[Answers]] | None = None,
    close: bool = False,
    closed_at: datetime | None = None,
    title: str = "November calibration",
    tolerance: float = 5.0,
) -> CalibrationSession:
    """A session in the current application context (flushed): agent A1's calls, scored by
    `scores` = {user id: [answers per interaction]} and submitted, then closed if asked."""
    card = db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == "test-call"))
    if card is None:
        _publish_scorecard(SCORECARD_TOML)
        card = db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == "test-call"))
    version = db.session.scalar(
        sa.select(ScorecardVersion).where(ScorecardVersion.scorecard_id == card.id)
    )
    manager = db.session.get_one(User, org.manager.id)
    agent = db.session.get_one(User, org.agent_a1.id)
    calls = [
        create_interaction(
            agent,
            channel="phone",
            occurred_at=RECORD_CALL_AT,
            actor=manager,
            external_ref=f"{title}-{i}",
        )
        for i in range(interactions)
    ]
    people = [
        db.session.get_one(User, user.id)
        for user in (participants or (org.supervisor_a, org.supervisor_b))
    ]
    session = services.create_session(
        manager,
        services.NewSession(
            title=title,
            version=version,
            interactions=calls,
            participants=people,
            expert=db.session.get_one(User, expert.id) if expert else None,
            tolerance_points=tolerance,
        ),
        TODAY,
    )
    for user_id, per_item in (scores or {}).items():
        user = db.session.get_one(User, user_id)
        for item, answers in zip(session.items, per_item, strict=True):
            services.save_score(item, user, answers, {}, None, final=True)
    if close:
        services.close_session(session, manager)
        if closed_at is not None:
            session.closed_at = closed_at
    db.session.flush()
    return session


@pytest.fixture
def make_calibration(app: Flask, org: Organisation) -> Callable[..., int]:
    """build_session in an application context of its own, committed; returns its id."""

    def factory(**kwargs: Any) -> int:
        with app.app_context():
            session = build_session(org, **kwargs)
            db.session.commit()
            return session.id

    return factory
