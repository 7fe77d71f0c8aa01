"""Fixtures: an app per test on SQLite and on PostgreSQL, clean tables, signed-in clients.

Every test that touches the database runs twice, as `[sqlite]` and `[postgresql]`. The
PostgreSQL run needs TEST_DATABASE_URL; without it those variants skip with a reason,
except under CI=true, where they fail instead (`.ci/run` starts a throw-away cluster).
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
import sqlalchemy as sa
from flask import Flask, has_app_context
from flask.testing import FlaskClient

from config import TestingConfig, normalise_database_url
from qa_app import create_app
from qa_app.auth.models import Role, User
from qa_app.auth.passwords import hash_password
from qa_app.extensions import db
from qa_app.teams.models import Team

PASSWORD = "correct horse battery staple"
# A form's CSRF token input; a prefixed form's is named "<prefix>-csrf_token".
CSRF_INPUT = re.compile(
    r'name="(?:[\w-]+-)?csrf_token" type="hidden" value="([^"]+)"|'
    r'type="hidden" name="(?:[\w-]+-)?csrf_token" value="([^"]+)"'
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
    return fresh_database(url, worker)


def fresh_database(url: str, suffix: str) -> str:
    """An empty database named after `url`'s with `_<suffix>`, on the same server."""
    base = sa.make_url(url)
    name = f"{base.database}_{suffix}"
    engine = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


_PRIVATE_FOLDERS: list[Path] = []


def private_folder() -> Path:
    """This test process's own folder for what the app keeps on disk (removed at exit).

    Without it every pytest-xdist worker (and `make run`'s demo) shares instance/, and one
    worker's running export shows up in another's check that an export leaves nothing behind.
    """
    if not _PRIVATE_FOLDERS:
        folder = Path(tempfile.mkdtemp(prefix="qa-tests-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _PRIVATE_FOLDERS.append(folder)
    return _PRIVATE_FOLDERS[0]


def make_config(database_url: str, **overrides: Any) -> TestingConfig:
    """A TestingConfig pointing at `database_url`, keeping its files in `private_folder()`."""
    config = TestingConfig({})
    config.SQLALCHEMY_DATABASE_URI = database_url
    folder = private_folder()
    config.SCRATCH_DIR = str(folder / "scratch")
    config.CACHE_DIR = str(folder / "cache")
    config.JOB_RESULTS_DIR = str(folder / "job-results")
    config.JOBS_SQLITE_PATH = str(folder / "jobs.sqlite")
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


@dataclass(frozen=True)
class Organisation:
    """A small centre: two teams (A, B), each with a supervisor and two agents, plus an admin,
    a manager and a supervisor without a team. The users and teams are detached copies."""

    admin: User
    manager: User
    supervisor_a: User
    supervisor_b: User
    supervisor_none: User
    team_a: Team
    team_b: Team
    agent_a1: User
    agent_a2: User
    agent_b1: User
    agent_b2: User

    def member(self, key: str) -> Any:
        """The user or team named `key` ("agent_a1", "team_b" …), for parametrised tests."""
        if key not in self.members():
            raise KeyError(key)
        return getattr(self, key)

    def members(self) -> dict[str, Any]:
        """Every user and team by name."""
        return {field.name: getattr(self, field.name) for field in fields(self)}


@pytest.fixture
def org(make_team: Callable[..., Team], make_user: Callable[..., User]) -> Organisation:
    """The `Organisation` centre, made afresh for each test."""
    sup_a = make_user(Role.SUPERVISOR, email="sup.a@example.test")
    sup_b = make_user(Role.SUPERVISOR, email="sup.b@example.test")
    team_a = make_team("Team A", supervisors=[sup_a])
    team_b = make_team("Team B", supervisors=[sup_b])
    return Organisation(
        admin=make_user(Role.ADMIN, email="admin@example.test"),
        manager=make_user(Role.MANAGER, email="manager@example.test"),
        supervisor_a=sup_a,
        supervisor_b=sup_b,
        supervisor_none=make_user(Role.SUPERVISOR, email="sup.none@example.test"),
        team_a=team_a,
        team_b=team_b,
        agent_a1=make_user(Role.AGENT, team_a, email="a1@example.test"),
        agent_a2=make_user(Role.AGENT, team_a, email="a2@example.test"),
        agent_b1=make_user(Role.AGENT, team_b, email="b1@example.test"),
        agent_b2=make_user(Role.AGENT, team_b, email="b2@example.test"),
    )


DATA = Path(__file__).resolve().parent / "data"


def scorecard_text(name: str) -> str:
    """The text of the scorecard fixture tests/data/<name>.toml."""
    return (DATA / f"{name}.toml").read_text("utf-8")


# The scorecard most tests use: "Test call", a yes/no greeting and an empathy scale (weight 2).
SCORECARD_TOML = scorecard_text("test-call")


@pytest.fixture
def make_scorecard(app: Flask) -> Callable[..., Any]:
    """Publish a scorecard from TOML text (version 1); returns its slug."""

    def factory(text: str = SCORECARD_TOML, *, draft: bool = False) -> str:
        with app.app_context():
            slug = _publish_scorecard(text, draft=draft)
            db.session.commit()
            return slug

    return factory


def _publish_scorecard(text: str, *, draft: bool = False) -> str:
    """Publish a scorecard from TOML text in the current session (flushed, not committed)."""
    from qa_app.scorecards.definition import parse_toml
    from qa_app.scorecards.models import Scorecard
    from qa_app.scorecards.services import publish_version

    definition = parse_toml(text)
    scorecard = Scorecard(slug=definition["slug"], name=definition["name"])
    db.session.add(scorecard)
    db.session.flush()
    publish_version(scorecard, definition, source="file")
    if draft:
        scorecard.draft = definition
        scorecard.draft_revision = 1
    db.session.flush()
    return scorecard.slug


@pytest.fixture
def scorecard_with_draft(make_scorecard: Callable[..., Any]) -> str:
    """A published scorecard with an open draft; returns its slug."""
    return make_scorecard(draft=True)


# The answers of the evaluation records: greeting = yes, empathy = 4 on the "Test call" card.
RECORD_ANSWERS: dict[str, object] = {"greeting": True, "empathy": 4}
# When the records' calls took place.
RECORD_CALL_AT = datetime(2026, 11, 2, 10, tzinfo=UTC)
EVALUATION_STATUSES = ("draft", "submitted", "released", "disputed")


@pytest.fixture
def make_evaluation(app: Flask, org: Organisation) -> Callable[..., Any]:
    """Make an evaluation through the services (start, submit, release, raise a dispute):
    make_evaluation(status="released", agent=…, evaluator=…, scorecard=slug, answers=…).

    Defaults: agent A1's phone call of 2 November 2026, evaluated by supervisor A on the
    "Test call" scorecard (published on first use) with RECORD_ANSWERS. `status` is the one
    to reach: "draft", "submitted" (the agent's team must hold evaluations back: set its
    release_mode to "manual" first), "released" or "disputed" (by the agent, overall, with
    `dispute_reason`). The call is made by `created_by` (default: the evaluator) unless an
    existing `interaction` (or its id) is given. The evaluation is committed in an application
    context of its own and returned detached; with commit=False it is made in the current
    context's session and only flushed, for a caller building more in the same transaction.
    """

    def factory(status: str = "released", *, commit: bool = True, **overrides: Any) -> Any:
        if status not in EVALUATION_STATUSES:
            raise ValueError(f"status must be one of {EVALUATION_STATUSES}, not {status!r}")
        if not commit:
            if not has_app_context():
                raise RuntimeError("commit=False works in the current application context")
            evaluation = _make_evaluation(org, status, **overrides)
            db.session.flush()
            return evaluation
        with app.app_context():
            evaluation = _make_evaluation(org, status, **overrides)
            db.session.commit()
            db.session.refresh(evaluation)
            db.session.expunge(evaluation)
            return evaluation

    return factory


def _make_evaluation(
    org: Organisation,
    status: str,
    *,
    agent: User | None = None,
    evaluator: User | None = None,
    scorecard: str = "test-call",
    answers: dict[str, object] | None = None,
    comments: dict[str, str] | None = None,
    texts: dict[str, str | None] | None = None,
    interaction: Any = None,
    occurred_at: datetime = RECORD_CALL_AT,
    channel: str = "phone",
    ref: str | None = None,
    duration_seconds: int | None = 300,
    transcript: str | None = None,
    created_by: User | None = None,
    dispute_reason: str = "I did greet.",
) -> Any:
    """The work of `make_evaluation`, in the current session."""
    from qa_app.evaluations import services
    from qa_app.evaluations.models import EvaluationStatus
    from qa_app.interactions.models import Interaction
    from qa_app.interactions.services import create_interaction
    from qa_app.scorecards.models import Scorecard

    agent = db.session.get(User, (agent or org.agent_a1).id)
    evaluator = db.session.get(User, (evaluator or org.supervisor_a).id)
    card = db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == scorecard))
    if card is None and scorecard == "test-call":
        _publish_scorecard(SCORECARD_TOML)
        card = db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == scorecard))
    if isinstance(interaction, int):
        interaction = db.session.get(Interaction, interaction)
    elif interaction is None:
        details = {
            "external_ref": ref,
            "duration_seconds": duration_seconds,
            "transcript": transcript,
        }
        interaction = create_interaction(
            agent,
            channel=channel,
            occurred_at=occurred_at,
            actor=db.session.get(User, (created_by or evaluator).id),
            **{key: value for key, value in details.items() if value is not None},
        )
    evaluation = services.start_evaluation(evaluator, interaction, card)
    if status == "draft":
        return evaluation
    edit = services.Edit(
        RECORD_ANSWERS if answers is None else answers,
        comments or {},
        texts or {},
        evaluation.lock_version,
    )
    services.submit(evaluation, edit, evaluator)
    if status == "submitted":
        if evaluation.status != EvaluationStatus.SUBMITTED:
            raise AssertionError("the agent's team released it: set release_mode = 'manual'")
        return evaluation
    if evaluation.status == EvaluationStatus.SUBMITTED:
        services.release(evaluation, evaluator)
    if status == "disputed":
        services.raise_dispute(evaluation, agent, {}, dispute_reason, window_days=7)
    return evaluation


@pytest.fixture
def scorecard_id(make_scorecard: Callable[..., Any], app: Flask) -> int:
    """The id of the published "Test call" scorecard the evaluation records are made on."""
    from qa_app.scorecards.models import Scorecard

    slug = make_scorecard()
    with app.app_context():
        return db.session.scalar(sa.select(Scorecard.id).where(Scorecard.slug == slug))


@pytest.fixture
def assignment(app: Flask, org: Organisation, scorecard_id: int) -> Any:
    """Agent A1's call CALL-1 in supervisor A's queue (detached Assignment)."""
    from qa_app.evaluations.models import Assignment
    from qa_app.interactions.services import create_interaction

    with app.app_context():
        supervisor = db.session.get(User, org.supervisor_a.id)
        call = create_interaction(
            db.session.get(User, org.agent_a1.id),
            channel="phone",
            actor=supervisor,
            occurred_at=RECORD_CALL_AT,
            external_ref="CALL-1",
            duration_seconds=300,
        )
        row = Assignment(
            interaction_id=call.id, evaluator_id=supervisor.id, scorecard_id=scorecard_id
        )
        db.session.add(row)
        db.session.commit()
        db.session.refresh(row)
        db.session.expunge(row)
        return row


@pytest.fixture
def draft_evaluation(assignment: Any, make_evaluation: Callable[..., Any]) -> Any:
    """Supervisor A's draft on the assigned call CALL-1 (detached Evaluation)."""
    return make_evaluation("draft", interaction=assignment.interaction_id)


@pytest.fixture
def submitted_evaluation(app: Flask, org: Organisation, make_evaluation: Callable[..., Any]) -> Any:
    """Supervisor A's evaluation of CALL-2, submitted but held back: team A releases by hand
    while it is submitted, and immediately again afterwards (detached Evaluation)."""
    _set_release_mode(app, org.team_a, "manual")
    evaluation = make_evaluation("submitted", ref="CALL-2")
    _set_release_mode(app, org.team_a, "immediate")
    return evaluation


def _set_release_mode(app: Flask, team: Team, mode: str) -> None:
    with app.app_context():
        db.session.get(Team, team.id).release_mode = mode
        db.session.commit()


@pytest.fixture
def released_evaluation(make_evaluation: Callable[..., Any]) -> Any:
    """Supervisor A's evaluation of CALL-3, released to agent A1 (detached Evaluation)."""
    return make_evaluation("released", ref="CALL-3")


@pytest.fixture
def disputed_evaluation(org: Organisation, make_evaluation: Callable[..., Any]) -> Any:
    """The manager's evaluation of CALL-4 (a call supervisor A recorded), which agent A1
    disputes: "I did greet." (detached Evaluation)."""
    return make_evaluation(
        "disputed", evaluator=org.manager, created_by=org.supervisor_a, ref="CALL-4"
    )


@pytest.fixture
def open_dispute(app: Flask, disputed_evaluation: Any) -> Any:
    """Agent A1's open dispute of `disputed_evaluation` (detached Dispute)."""
    from qa_app.evaluations.models import Dispute

    with app.app_context():
        dispute = db.session.scalar(
            sa.select(Dispute).where(Dispute.evaluation_id == disputed_evaluation.id)
        )
        db.session.expunge(dispute)
        return dispute


@pytest.fixture
def issued_plan(app: Flask, org: Organisation) -> Any:
    """Agent A1's issued training plan (August to October 2026) with one item, the module
    "Empathy statements" due on 15 December 2026 (detached TrainingPlan; `plan_item`)."""
    from qa_app.training import plans
    from qa_app.training.models import TrainingModule

    with app.app_context():
        supervisor = db.session.get(User, org.supervisor_a.id)
        agent = db.session.get(User, org.agent_a1.id)
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
        plans.add_item(plan, module, date(2026, 12, 15), supervisor, reason="Empathy 55%.")
        plans.issue_plan(plan, supervisor)
        db.session.commit()
        db.session.refresh(plan)
        db.session.expunge(plan)
        return plan


@pytest.fixture
def plan_item(app: Flask, issued_plan: Any) -> Any:
    """The one item of `issued_plan` (detached TrainingPlanItem)."""
    from qa_app.training.models import TrainingPlanItem

    with app.app_context():
        item = db.session.scalar(
            sa.select(TrainingPlanItem).where(TrainingPlanItem.plan_id == issued_plan.id)
        )
        db.session.expunge(item)
        return item


@pytest.fixture
def coaching_session(app: Flask, org: Organisation, disputed_evaluation: Any) -> Any:
    """Supervisor A's coaching session with agent A1 on 3 November 2026 about the disputed
    evaluation (detached CoachingSession)."""
    from qa_app.coaching import sessions

    with app.app_context():
        session = sessions.record_session(
            db.session.get(User, org.supervisor_a.id),
            db.session.get(User, org.agent_a1.id),
            date(2026, 11, 3),
            "We listened to call 4.",
            None,
            [disputed_evaluation.id],
        )
        db.session.commit()
        db.session.refresh(session)
        db.session.expunge(session)
        return session


def finished_job(starter_id: int, result_file: str) -> Any:
    """A finished export job of `starter_id` with a result file (in JOB_RESULTS_DIR), added
    and flushed."""
    from qa_app.database import utcnow
    from qa_app.jobs.models import Job
    from qa_app.jobs.services import results_dir

    (results_dir() / result_file).write_bytes(b"PK")
    job = Job(
        kind="evaluations_workbook",
        started_by_id=starter_id,
        params={},
        language="en",
        status="done",
        result_file=result_file,
        result_name="qa-evaluations.xlsx",
        finished_at=utcnow(),
        expires_at=utcnow(),
    )
    db.session.add(job)
    db.session.flush()
    return job


@pytest.fixture
def job_results(app: Flask, tmp_path: Path) -> Path:
    """Job results of this test in a folder of its own."""
    app.config["JOB_RESULTS_DIR"] = str(tmp_path / "job-results")
    return tmp_path / "job-results"


@pytest.fixture
def manager_job(app: Flask, org: Organisation, job_results: Path) -> int:
    """The id of a finished export job of the manager, with its result file."""
    with app.app_context():
        job_id = int(finished_job(org.manager.id, "manager.xlsx").id)
        db.session.commit()
        return job_id


@pytest.fixture
def records(
    scorecard_id: int,
    assignment: Any,
    draft_evaluation: Any,
    submitted_evaluation: Any,
    released_evaluation: Any,
    open_dispute: Any,
    plan_item: Any,
    coaching_session: Any,
    manager_job: int,
) -> dict[str, int]:
    """Every evaluation record at once, by id, for the tests that walk all of them (the
    route matrix, the record kinds of a parametrised rule). Made in the order the ids
    are numbered in: assignment, draft, submitted, released, disputed, plan, session."""
    return {
        "scorecard_id": scorecard_id,
        "interaction_id": assignment.interaction_id,
        "assignment_id": assignment.id,
        "draft_id": draft_evaluation.id,
        "submitted_id": submitted_evaluation.id,
        "released_id": released_evaluation.id,
        "disputed_id": open_dispute.evaluation_id,
        "dispute_id": open_dispute.id,
        "plan_id": plan_item.plan_id,
        "item_id": plan_item.id,
        "session_id": coaching_session.id,
        "job_id": manager_job,
    }


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
