"""Fixtures: an app per test on SQLite and on PostgreSQL, clean tables, signed-in clients.

Every test that touches the database runs twice, as `[sqlite]` and `[postgresql]`. The
PostgreSQL run needs TEST_DATABASE_URL; without it those variants skip with a reason,
except under CI=true, where they fail instead (`.ci/run` starts a throw-away cluster).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from config import TestingConfig, normalise_database_url
from qa_app import create_app
from qa_app.auth.models import Role, User
from qa_app.auth.passwords import hash_password
from qa_app.extensions import db
from qa_app.teams.models import Team

PASSWORD = "correct horse battery staple"
CSRF_INPUT = re.compile(
    r'name="csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="csrf_token" value="([^"]+)"'
)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item (`item.report_call`), so that fixtures can
    act on a failure (the browser tests save screenshots)."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of an empty test database of each kind."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'qa_test.sqlite'}"
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        if _in_ci():
            pytest.fail("CI=true but TEST_DATABASE_URL is not set: PostgreSQL tests must run")
        pytest.skip("PostgreSQL variant: set TEST_DATABASE_URL=postgresql+psycopg://… to run it")
    return _worker_database(normalise_database_url(url))


def _worker_database(url: str) -> str:
    """Under pytest-xdist, a database of its own for each worker, next to TEST_DATABASE_URL's."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    base = sa.make_url(url)
    name = f"{base.database}_{worker}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def make_config(database_url: str, **overrides: Any) -> TestingConfig:
    """A TestingConfig pointing at `database_url`."""
    config = TestingConfig({})
    config.SQLALCHEMY_DATABASE_URI = database_url
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


def _drop_everything(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    else:
        metadata = sa.MetaData()
        metadata.reflect(connection)
        metadata.drop_all(connection)


@pytest.fixture(scope="session")
def migrated_schema(database_url: str) -> str:
    """Build the schema once per database with the real migrations (not create_all)."""
    app = create_app(make_config(database_url))
    with app.app_context():
        with db.engine.begin() as connection:
            _drop_everything(connection)
        flask_migrate.upgrade()
        db.engine.dispose()
    return database_url


def _empty_tables() -> None:
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    with db.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            quoted = ", ".join(f'"{name}"' for name in tables)
            connection.exec_driver_sql(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE")
        else:
            # The audit table's triggers refuse DELETE (migration 0008); like PostgreSQL's
            # TRUNCATE, the clean-up goes around them: dropped and re-created in this one
            # transaction, so no other connection ever sees the table unguarded.
            triggers = connection.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"
            ).all()
            for name, _sql in triggers:
                connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
            for name in tables:
                connection.exec_driver_sql(f'DELETE FROM "{name}"')  # noqa: S608 - our table names
            for _name, sql in triggers:
                connection.exec_driver_sql(sql)


@pytest.fixture
def app(migrated_schema: str) -> Iterator[Flask]:
    """A fresh application on the migrated database; every table is emptied afterwards."""
    application = create_app(make_config(migrated_schema))
    yield application
    with application.app_context():
        db.session.remove()
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def app_context(app: Flask) -> Iterator[None]:
    """An application context for tests that call services directly."""
    with app.app_context():
        yield


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """An anonymous browser."""
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    """A runner for the `flask` CLI commands."""
    return app.test_cli_runner()


@pytest.fixture
def make_team(app: Flask) -> Callable[..., Team]:
    """Create a team: make_team("Billing", supervisors=[user], agents=[user])."""
    counter = iter(range(1, 10_000))

    def factory(
        name: str | None = None,
        supervisors: list[User] = (),  # type: ignore[assignment]
        agents: list[User] = (),
    ) -> Team:  # type: ignore[assignment]
        with app.app_context():
            team = Team(name=name or f"Team {next(counter)}")
            db.session.add(team)
            team.supervisors = [db.session.merge(user) for user in supervisors]
            for agent in agents:
                db.session.merge(agent).team = team
            db.session.commit()
            db.session.refresh(team)
            db.session.expunge(team)
            return team

    return factory


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    """Create a user: make_user(role=Role.AGENT, team=team, email=…, active=…)."""
    counter = iter(range(1, 10_000))

    def factory(role: Role = Role.AGENT, team: Team | None = None, **overrides: Any) -> User:
        number = next(counter)
        with app.app_context():
            values: dict[str, Any] = {
                "email": f"{role.value}{number}@example.test",
                "display_name": f"{role.value.title()} {number}",
                "role": role.value,
                "password_hash": hash_password(overrides.pop("password", PASSWORD)),
                "team_id": team.id if team is not None else None,
            }
            values.update(overrides)
            user = User(**values)
            db.session.add(user)
            db.session.commit()
            db.session.refresh(user)
            db.session.expunge(user)
            return user

    return factory


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a page's form."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_INPUT.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    """Post the sign-in form with a valid CSRF token."""
    token = csrf_token(client, "/login")
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def post_form(
    client: FlaskClient,
    path: str,
    data: dict[str, Any] | None = None,
    token_from: str = "/account",  # noqa: S107 - a path
    **kwargs: Any,
) -> Any:
    """POST a form as a signed-in browser would, with the session's CSRF token."""
    payload = dict(data or {})
    payload["csrf_token"] = csrf_token(client, token_from)
    return client.post(path, data=payload, **kwargs)


@pytest.fixture
def sign_in_as(app: Flask) -> Callable[[User], FlaskClient]:
    """A new browser signed in as `user`."""

    def factory(user: User) -> FlaskClient:
        browser = app.test_client()
        response = sign_in(browser, user.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        return browser

    return factory


@pytest.fixture
def org(make_team: Callable[..., Team], make_user: Callable[..., User]) -> dict[str, Any]:
    """A small centre: two teams (A, B), each with a supervisor and two agents, plus an admin,
    a manager and a supervisor without a team."""
    sup_a = make_user(Role.SUPERVISOR, email="sup.a@example.test")
    sup_b = make_user(Role.SUPERVISOR, email="sup.b@example.test")
    team_a = make_team("Team A", supervisors=[sup_a])
    team_b = make_team("Team B", supervisors=[sup_b])
    return {
        "admin": make_user(Role.ADMIN, email="admin@example.test"),
        "manager": make_user(Role.MANAGER, email="manager@example.test"),
        "supervisor_a": sup_a,
        "supervisor_b": sup_b,
        "supervisor_none": make_user(Role.SUPERVISOR, email="sup.none@example.test"),
        "team_a": team_a,
        "team_b": team_b,
        "agent_a1": make_user(Role.AGENT, team_a, email="a1@example.test"),
        "agent_a2": make_user(Role.AGENT, team_a, email="a2@example.test"),
        "agent_b1": make_user(Role.AGENT, team_b, email="b1@example.test"),
        "agent_b2": make_user(Role.AGENT, team_b, email="b2@example.test"),
    }


SCORECARD_TOML = """
name = "Test call"
slug = "test-call"
channels = ["phone"]
pass_mark = 80

[[sections]]
title = "Opening"

[[sections.criteria]]
key = "greeting"
label = "Greeting"
guidance = "Names the brand and themselves."
kind = "yes_no"
training = ["greeting-opening"]

[[sections.criteria]]
key = "empathy"
label = "Empathy"
guidance = "Acknowledges the customer's situation."
kind = "scale"
weight = 2
training = ["empathy-statements"]
"""


@pytest.fixture
def make_scorecard(app: Flask) -> Callable[..., Any]:
    """Publish a scorecard from TOML text (version 1); returns its slug."""
    from qa_app.scorecards.definition import parse_toml
    from qa_app.scorecards.models import Scorecard
    from qa_app.scorecards.services import publish_version

    def factory(text: str = SCORECARD_TOML, *, draft: bool = False) -> str:
        definition = parse_toml(text)
        with app.app_context():
            scorecard = Scorecard(slug=definition["slug"], name=definition["name"])
            db.session.add(scorecard)
            db.session.flush()
            publish_version(scorecard, definition, source="file")
            if draft:
                scorecard.draft = definition
                scorecard.draft_revision = 1
            db.session.commit()
            return scorecard.slug

    return factory


@pytest.fixture
def scorecard_with_draft(make_scorecard: Callable[..., Any]) -> str:
    """A published scorecard with an open draft; returns its slug."""
    return make_scorecard(draft=True)


@pytest.fixture
def records(app: Flask, org: dict[str, Any], make_scorecard: Callable[..., Any]) -> dict[str, int]:
    """Evaluation records in team A, made through the services: an assignment and a draft
    (supervisor A), a submitted and a released evaluation (supervisor A), and a released
    evaluation scored by the manager that agent A1 disputes. Returns their ids."""
    from qa_app.evaluations import services
    from qa_app.evaluations.models import Assignment
    from qa_app.interactions.services import create_interaction
    from qa_app.scorecards.models import Scorecard

    slug = make_scorecard()
    answers = {"greeting": True, "empathy": 4}
    with app.app_context():
        scorecard = db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == slug))
        supervisor = db.session.get(User, org["supervisor_a"].id)
        manager = db.session.get(User, org["manager"].id)
        agent = db.session.get(User, org["agent_a1"].id)
        team = db.session.get(Team, org["team_a"].id)
        ids: dict[str, int] = {"scorecard_id": scorecard.id}

        def interaction(ref: str) -> Any:
            from datetime import UTC, datetime

            return create_interaction(
                agent,
                channel="phone",
                actor=supervisor,
                occurred_at=datetime(2026, 11, 2, 10, tzinfo=UTC),
                external_ref=ref,
                duration_seconds=300,
            )

        def evaluated(ref: str, evaluator: User, *, submit: bool) -> Any:
            evaluation = services.start_evaluation(evaluator, interaction(ref), scorecard)
            if submit:
                edit = services.Edit(answers, {}, {}, evaluation.lock_version)
                services.submit(evaluation, edit, evaluator)
            return evaluation

        first = interaction("CALL-1")
        db.session.add(
            Assignment(
                interaction_id=first.id, evaluator_id=supervisor.id, scorecard_id=scorecard.id
            )
        )
        db.session.flush()
        ids["interaction_id"] = first.id
        ids["assignment_id"] = db.session.scalar(sa.select(Assignment.id))
        ids["draft_id"] = services.start_evaluation(supervisor, first, scorecard).id
        team.release_mode = "manual"
        ids["submitted_id"] = evaluated("CALL-2", supervisor, submit=True).id
        team.release_mode = "immediate"
        ids["released_id"] = evaluated("CALL-3", supervisor, submit=True).id
        disputed = evaluated("CALL-4", manager, submit=True)
        ids["disputed_id"] = disputed.id
        ids["dispute_id"] = services.raise_dispute(
            disputed, agent, [], "I did greet.", window_days=7
        ).id
        ids.update(_training_records(supervisor, agent, disputed))
        db.session.commit()
        return ids


def _training_records(supervisor: User, agent: User, evaluation: Any) -> dict[str, int]:
    """Agent A1's issued training plan (one item) and a coaching session about it."""
    from datetime import date

    from qa_app.coaching import sessions
    from qa_app.training import plans
    from qa_app.training.models import TrainingModule

    module = TrainingModule(
        key="empathy-statements",
        title="Empathy statements",
        skill="Empathy",
        description="Acknowledging the customer's situation.",
        expected_minutes=45,
    )
    db.session.add(module)
    db.session.flush()
    plan = plans.create_plan(agent, date(2026, 8, 1), date(2026, 10, 31), supervisor)
    item = plans.add_item(plan, module, date(2026, 12, 15), supervisor, reason="Empathy 55%.")
    plans.issue_plan(plan, supervisor)
    session = sessions.record_session(
        supervisor, agent, date(2026, 11, 3), "We listened to call 4.", None, [evaluation.id]
    )
    return {"plan_id": plan.id, "item_id": item.id, "session_id": session.id}


@pytest.fixture
def make_token(app: Flask) -> Callable[..., str]:
    """Create a personal API token for `user` (by themselves); returns its secret."""
    from qa_app.api.tokens import create_token

    def factory(user: User, name: str = "test token", expires_at: Any = None) -> str:
        with app.app_context():
            owner = db.session.get(User, user.id)
            secret = create_token(owner, name, expires_at, owner).secret
            db.session.commit()
            return secret

    return factory


class ApiClient:
    """A test client that sends a bearer token with every request."""

    def __init__(self, client: FlaskClient, secret: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {secret}"}

    def get(self, path: str, **kwargs: Any) -> Any:
        """GET with the token."""
        return self.client.get(path, headers=self.headers, **kwargs)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        """POST `body` as JSON with the token."""
        return self.client.post(path, json=body, headers=self.headers, **kwargs)


@pytest.fixture
def api_as(app: Flask, make_token: Callable[..., str]) -> Callable[[User], ApiClient]:
    """A JSON API client acting with a new token of `user`."""
    return lambda user: ApiClient(app.test_client(), make_token(user))
