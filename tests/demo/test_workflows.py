"""The demo centre shows every workflow (issue 19, item 16): nothing in it happens in the
future, one team holds evaluations back for release, one team has two supervisors, every
open dispute has someone who may decide it, and coaching worked for some focus areas only."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.auth.models import User
from qa_app.database import UTCDateTime, utcnow
from qa_app.demo.activity import seed_activity
from qa_app.demo.organisation import seed_demo
from qa_app.evaluations.models import Dispute, DisputeStatus, Evaluation, EvaluationStatus
from qa_app.evaluations.permissions import can_resolve
from qa_app.extensions import db
from qa_app.teams.models import Team
from qa_app.training.catalogue import sync_library
from tests.conftest import sign_in

# Columns that hold a deadline or an expiry, which lie ahead by design.
AHEAD_BY_DESIGN = {"due_on", "expires_at", "locked_until"}


@pytest.fixture
def demo(app: Flask) -> Flask:
    """The whole demo centre, seeded by the command `make run` uses."""
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    return app


def _past_columns() -> list[sa.Column[Any]]:
    return [
        column
        for table in db.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.Date | sa.DateTime | UTCDateTime)
        and column.name not in AHEAD_BY_DESIGN
    ]


def test_nothing_seeded_is_dated_after_now(demo: Flask) -> None:
    now = utcnow()
    today = now.date()
    with demo.app_context():
        columns = _past_columns()
        assert len(columns) > 30  # the sweep reaches every table
        late = {}
        for column in columns:
            latest = db.session.scalar(sa.select(sa.func.max(column)))
            if latest is None:
                continue
            if isinstance(latest, datetime):
                if latest.tzinfo is None:  # SQLite hands back naive UTC in raw selects
                    latest = latest.replace(tzinfo=UTC)
                if latest > now:
                    late[f"{column.table.name}.{column.name}"] = latest.isoformat()
            elif latest > today:
                late[f"{column.table.name}.{column.name}"] = latest.isoformat()
    assert late == {}, f"dated after {now.isoformat()}"


def test_one_team_releases_by_hand_with_evaluations_waiting(demo: Flask) -> None:
    with demo.app_context():
        manual = db.session.scalars(sa.select(Team).where(Team.release_mode == "manual")).all()
        assert [team.name for team in manual] == ["Technical Support"]
        waiting = db.session.execute(
            sa.select(User.team_id, Evaluation.released_at)
            .join(User, User.id == Evaluation.agent_id)
            .where(Evaluation.status == EvaluationStatus.SUBMITTED)
        ).all()
        assert waiting, "no evaluation waits for release"
        assert {(team_id, released) for team_id, released in waiting} == {(manual[0].id, None)}
        # The team's older evaluations were released, so its agents have feedback too.
        released = db.session.scalar(
            sa.select(sa.func.count(Evaluation.id))
            .join(User, User.id == Evaluation.agent_id)
            .where(User.team_id == manual[0].id, Evaluation.released_at.is_not(None))
        )
        assert released > 0


def test_a_team_has_two_supervisors_and_each_open_dispute_a_decider(demo: Flask) -> None:
    with demo.app_context():
        team = db.session.scalar(sa.select(Team).where(Team.name == "Customer Service"))
        assert [s.email for s in team.supervisors] == [
            "supervisor@demo.test",
            "supervisor04@demo.test",
        ]
        people = db.session.scalars(
            sa.select(User).where(User.role.in_(["supervisor", "manager"]))
        ).all()
        disputes = db.session.scalars(
            sa.select(Dispute).where(Dispute.status == DisputeStatus.OPEN)
        ).all()
        assert disputes
        for dispute in disputes:
            deciders = {user.email for user in people if can_resolve(user, dispute)}
            assert deciders, dispute.id
            if dispute.evaluation.agent.team_id == team.id:
                # The evaluator may not decide; the team's other supervisor may.
                assert "supervisor04@demo.test" in deciders
                assert "supervisor@demo.test" not in deciders
        assert any(d.evaluation.agent.team_id == team.id for d in disputes)


def test_did_coaching_work_shows_a_change_no_change_and_too_few(demo: Flask) -> None:
    """Coaching worked for some focus areas and not for others (issue 23): the manager's
    follow-up page reads "better", "no clear change" and "too few … to tell"."""
    browser = demo.test_client()
    assert sign_in(browser, "manager@demo.test", demo.config["DEMO_PASSWORD"]).status_code == 302
    page = browser.get("/training/follow-up").get_data(as_text=True)
    for verdict, words in (
        ("better", ">better (+"),
        ("no_clear_change", ">no clear change (interval "),
        ("too_few", ">too few evaluations "),
    ):
        assert f'data-verdict="{verdict}"' in page, verdict
        assert words in page, verdict


def test_every_agent_has_new_feedback_whatever_the_weekday(app: Flask) -> None:
    """Which contacts fall in the last ten days moves with the weekday the demo is seeded
    on; on every day of a week each agent with released feedback still has some unread,
    so the agent's first page always has something new to read."""
    with app.app_context():
        seed_demo()
        sync_library(Path(app.config["SCORECARDS_DIR"]))
        db.session.commit()
        for offset in range(7):
            today = date(2026, 12, 7) + timedelta(days=offset)
            attempt = db.session.begin_nested()
            seed_activity(1, today)
            per_agent = db.session.execute(
                sa.select(User.email, Evaluation.status)
                .join(Evaluation, Evaluation.agent_id == User.id)
                .where(Evaluation.released_at.is_not(None))
            ).all()
            attempt.rollback()
            statuses: dict[str, set[str]] = {}
            for email, status in per_agent:
                statuses.setdefault(email, set()).add(status)
            assert len(statuses) >= 25, today  # nearly every agent has released feedback
            unread = {
                email for email, seen in statuses.items() if EvaluationStatus.RELEASED in seen
            }
            assert "agent@demo.test" in unread, today
            assert unread == set(statuses), (today, sorted(set(statuses) - unread))
