"""The demo organisation: `flask seed-demo` and `qa_app.demo.organisation.seed_demo`."""

from __future__ import annotations

import random
import re
from collections import Counter
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import Role, User
from qa_app.demo.organisation import TEAM_NAMES, _people, demo_email, seed_demo
from qa_app.extensions import db
from qa_app.teams.models import Team
from tests.conftest import sign_in

DEMO_PASSWORD = "demo1234"  # noqa: S105 - the documented demo login


def seed(runner: Any, *args: str) -> Any:
    """Run `flask seed-demo ARGS`; it must succeed."""
    result = runner.invoke(args=["seed-demo", *args])
    assert result.exit_code == 0, result.output
    return result


def created(output: str) -> dict[str, int]:
    """The counts on the "Demo data: 36 users, 3 teams, … created." line."""
    line = next(line for line in output.splitlines() if line.startswith("Demo data:"))
    return {noun: int(number) for number, noun in re.findall(r"(\d+) (\w+)", line)}


def everyone(app: Flask) -> list[tuple[Any, ...]]:
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                sa.select(
                    User.email, User.display_name, User.role, User.team_id, User.external_id
                ).order_by(User.email)
            )
        ]


def seed_events(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEvent.after).where(AuditEvent.action == "demo.seeded")
            )
        )


def test_seed_demo_creates_the_organisation(app: Flask, runner: Any) -> None:
    result = seed(runner)
    counts = created(result.output)
    assert (counts["users"], counts["teams"]) == (36, 3)
    with app.app_context():
        roles = Counter(db.session.scalars(sa.select(User.role)))
        assert roles == {"admin": 1, "manager": 1, "supervisor": 4, "agent": 30}
        teams = db.session.scalars(sa.select(Team).order_by(Team.id)).all()
        assert [team.name for team in teams] == list(TEAM_NAMES)
        for number, team in enumerate(teams, start=1):
            # Customer Service also has a second supervisor, who decides the first's disputes.
            second = [demo_email(Role.SUPERVISOR, 4)] if team.name == "Customer Service" else []
            assert {user.email for user in team.supervisors} == {
                demo_email(Role.SUPERVISOR, number),
                *second,
            }
            assert team.release_mode == (
                "manual" if team.name == "Technical Support" else "immediate"
            )
            assert len(team.agents) == 10
            assert {user.role for user in team.agents} == {"agent"}
        agents = db.session.scalars(sa.select(User).where(User.role == "agent")).all()
        external_ids = [agent.external_id for agent in agents]
        assert sorted(external_ids) == [str(10000 + n) for n in range(1, 31)]  # unique, set
        others = db.session.scalars(sa.select(User).where(User.role != "agent")).all()
        assert all(user.team_id is None and user.external_id is None for user in others)
        assert all(user.email.endswith("@demo.test") for user in agents + others)
        assert all(user.active and not user.must_change_password for user in agents + others)
        assert len({user.display_name for user in agents + others}) == 36
    events = seed_events(app)
    assert len(events) == 1
    assert (events[0]["users"], events[0]["teams"]) == (36, 3)


def test_seed_demo_prints_the_logins(runner: Any) -> None:
    output = seed(runner).output
    assert "Demo logins (password demo1234):" in output
    for email in (
        "admin@demo.test",
        "manager@demo.test",
        "supervisor@demo.test",
        "supervisor02@demo.test",
        "supervisor03@demo.test",
        "supervisor04@demo.test",
        "agent@demo.test",
        "agent02@demo.test",
    ):
        assert email in output
    assert "… and 28 more agents: agent03@demo.test to agent30@demo.test" in output
    supervisor_line = next(line for line in output.splitlines() if "supervisor@demo.test" in line)
    assert supervisor_line.split()[0] == "supervisor"
    assert "(Customer Service)" in supervisor_line


def test_seed_demo_twice_creates_nothing_new(app: Flask, runner: Any) -> None:
    seed(runner)
    first = everyone(app)
    result = seed(runner, "--seed", "99")  # another seed does not rename existing people
    counts = created(result.output)
    assert counts["users"] == 0
    assert set(counts.values()) == {0}, counts
    assert "supervisor@demo.test" in result.output  # the logins are printed again
    assert everyone(app) == first
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Team.id))) == 3
        assert (
            db.session.scalar(sa.select(sa.func.count()).select_from(sa.table("team_supervisor")))
            == 4
        )
    assert len(seed_events(app)) == 1


def test_seed_demo_fills_in_what_is_missing(app: Flask, make_user: Any) -> None:
    mine = make_user(Role.ADMIN, email="admin@demo.test", display_name="My Own Admin")
    with app.app_context():
        summary = seed_demo()
        db.session.commit()
    assert (summary.created_users, summary.created_teams) == (35, 3)
    with app.app_context():
        admin = db.session.scalar(sa.select(User).where(User.email == "admin@demo.test"))
        assert (admin.id, admin.display_name, admin.password_hash) == (
            mine.id,
            "My Own Admin",
            mine.password_hash,
        )
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 36


def test_if_empty_seeds_an_empty_database(app: Flask, runner: Any) -> None:
    result = seed(runner, "--if-empty")
    assert created(result.output)["users"] == 36
    assert len(everyone(app)) == 36


def test_if_empty_leaves_a_real_centre_alone(app: Flask, runner: Any, make_user: Any) -> None:
    make_user(Role.ADMIN, email="boss@example.test")
    result = seed(runner, "--if-empty")
    assert result.output.strip() == "The database already has users; demo data not seeded."
    assert [row[0] for row in everyone(app)] == ["boss@example.test"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Team.id))) == 0
    assert seed_events(app) == []


def test_if_empty_after_a_demo_seed_changes_nothing(app: Flask, runner: Any) -> None:
    seed(runner)
    before = everyone(app)
    result = seed(runner, "--if-empty")
    assert set(created(result.output).values()) == {0}
    assert everyone(app) == before


@pytest.mark.parametrize(
    "email", ["supervisor@demo.test", "agent@demo.test", "admin@demo.test", "manager@demo.test"]
)
def test_demo_logins_sign_in(app: Flask, email: str) -> None:
    with app.app_context():
        seed_demo(password=DEMO_PASSWORD)
        db.session.commit()
    browser = app.test_client()
    assert sign_in(browser, email, DEMO_PASSWORD).status_code == 302
    assert browser.get("/").status_code == 200


def test_demo_password_comes_from_the_config(app: Flask, runner: Any) -> None:
    app.config["DEMO_PASSWORD"] = "another demo phrase"  # noqa: S105
    assert "(password another demo phrase)" in seed(runner).output
    assert (
        sign_in(app.test_client(), "supervisor@demo.test", "another demo phrase").status_code == 302
    )
    assert sign_in(app.test_client(), "manager@demo.test", DEMO_PASSWORD).status_code == 401


def test_supervisor_sees_their_demo_team(app: Flask, runner: Any) -> None:
    seed(runner)
    browser = app.test_client()
    sign_in(browser, "supervisor@demo.test", DEMO_PASSWORD)
    html = browser.get("/").get_data(as_text=True)
    assert "Customer Service" in html
    assert "Technical Support" not in html


# --- names: deterministic per seed ----------------------------------------------------------


def test_people_are_deterministic_and_unique() -> None:
    first = _people(random.Random(5), 35)
    assert first == _people(random.Random(5), 35)
    assert first != _people(random.Random(6), 35)
    assert len(set(first)) == 35


def names_for(seed_value: int) -> list[tuple[str, str]]:
    """(email, name) of every demo person `seed_demo(seed_value)` would create (rolled back)."""
    summary = seed_demo(seed=seed_value)
    names = [(login.email, login.name) for login in summary.logins]
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0
    return names


def test_seed_chooses_the_names(app_context: None) -> None:
    seven = names_for(7)
    assert len(seven) == 36
    assert names_for(7) == seven
    eight = names_for(8)
    assert [email for email, _ in eight] == [email for email, _ in seven]
    assert [name for _, name in eight] != [name for _, name in seven]


def test_seed_option_sets_the_names(app: Flask, runner: Any) -> None:
    with app.app_context():
        expected = dict(names_for(3))
    seed(runner, "--seed", "3")
    assert {email: name for email, name, *_ in everyone(app)} == expected


def test_seed_demo_only_flushes(app: Flask) -> None:
    """The CLI command owns the commit: seed_demo leaves the transaction to its caller."""
    with app.app_context():
        summary = seed_demo()
        assert (summary.created_users, summary.created_teams) == (36, 3)
        db.session.rollback()
    assert everyone(app) == []


def test_seed_demo_adds_training_plans_in_every_state(app: Flask, runner: Any) -> None:
    from qa_app.coaching.models import CoachingSession
    from qa_app.training.models import TrainingPlan

    counts = created(seed(runner).output)
    assert (counts["training"], counts["coaching"]) == (8, 4)
    with app.app_context():
        states = dict(
            db.session.execute(
                sa.select(TrainingPlan.status, sa.func.count()).group_by(TrainingPlan.status)
            ).all()
        )
        assert states == {"draft": 2, "issued": 2, "acknowledged": 2, "closed": 2}
        closed = db.session.scalars(sa.select(TrainingPlan).where(TrainingPlan.status == "closed"))
        assert all(plan.issued_on < plan.closed_on for plan in closed)
        assert all(plan.items for plan in db.session.scalars(sa.select(TrainingPlan)))
        sessions = db.session.scalars(sa.select(CoachingSession)).all()
        assert sum(1 for s in sessions if s.acknowledged_at) == 2
        assert all(s.evaluations and s.items for s in sessions)
    assert created(seed(runner).output)["training"] == 0
