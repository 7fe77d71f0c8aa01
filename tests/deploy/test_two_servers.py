"""Two real app servers behind one address (issue 22): two gunicorn instances on two ports and
one `flask jobs worker`, on one PostgreSQL database and one Redis, with production settings.
A browser's cookies travel between the instances as they would behind one load balancer.

Signed in on A, the session carries on through B (a page, then a form with its CSRF token);
an export started on A is downloaded from B, and refused there to someone else; failed
sign-ins and failed API tokens count into one total whichever instance they reach; a file
kept after its dry run on A is imported by confirming on B.

PostgreSQL only (SQLite is one machine's file: it cannot back two servers): without
TEST_DATABASE_URL, redis-server or gunicorn it skips, except under CI=true, where it fails.
"""

from __future__ import annotations

import importlib.util
import io
import os
import re
import shutil
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import flask_migrate
import openpyxl
import pytest
import requests
import sqlalchemy as sa

from config import normalise_database_url
from qa_app import create_app
from qa_app.api.tokens import create_token
from qa_app.auth.models import Role, SignInThrottle, User
from qa_app.auth.passwords import hash_password
from qa_app.database import utcnow
from qa_app.extensions import db
from qa_app.stats.models import AgentDailyStat
from qa_app.teams.models import Team
from tests.conftest import (
    CSRF_INPUT,
    PASSWORD,
    SCORECARD_TOML,
    _make_evaluation,
    _publish_scorecard,
    fresh_database,
    make_config,
)
from tests.support.app_servers import AppServers, app_servers, production_environment
from tests.support.redis_server import redis_server

pytestmark = pytest.mark.postgres

# The one address the browser sees; the proxy passes it on in X-Forwarded-Host.
ADDRESS = "qa.example.test"
SECRET_KEY = "two-servers-test-secret-" + os.urandom(8).hex()
EVALUATIONS = 3
SIGN_IN_LIMIT = 5
TOKEN_LIMIT = 3
WRONG = "The e-mail address or the password is wrong."
LOCKED = "Too many failed sign-in attempts"
STATS = "Agent;Date;Calls Handled;AHT;Staffed Time\nA-1;2026-11-02;80;0:05:00;8:00:00\n"
CONTROL_SOCKET = re.compile(r"Control socket listening at (\S+)")
HELD_INPUT = re.compile(r'<input type="hidden" name="held" value="([0-9a-f]{32})">')


def _missing(what: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but {what}: the two-server test must run")
    pytest.skip(f"two app servers: {what}")


@pytest.fixture(scope="module")
def seeded() -> tuple[str, str]:
    """A PostgreSQL database of this module's own (per xdist worker), migrated and seeded;
    its URL and the agent's API token."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        _missing("TEST_DATABASE_URL is not set (PostgreSQL)")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    own = fresh_database(normalise_database_url(url), f"two_servers_{worker}")
    app = create_app(make_config(own))
    with app.app_context():
        flask_migrate.upgrade()
        secret = _seed()
        db.session.commit()
        db.engine.dispose()
    return own, secret


def _seed() -> str:
    """A manager, a supervisor and an agent (A-1) in one team, EVALUATIONS released
    evaluations of yesterday's calls; the agent's API token."""
    team = Team(name="Team A")
    db.session.add(team)
    db.session.flush()
    users = {}
    for key, role in (("manager", Role.MANAGER), ("sup", Role.SUPERVISOR), ("a1", Role.AGENT)):
        users[key] = User(
            email=f"{key}@example.test",
            display_name=key.title(),
            role=role.value,
            password_hash=hash_password(PASSWORD),
            team_id=team.id if role is Role.AGENT else None,
            external_id="A-1" if role is Role.AGENT else None,
        )
        db.session.add(users[key])
    db.session.flush()
    team.supervisors = [users["sup"]]
    _publish_scorecard(SCORECARD_TOML)
    yesterday = utcnow() - timedelta(days=1)
    for number in range(EVALUATIONS):
        _make_evaluation(
            None,  # type: ignore[arg-type]  # agent and evaluator given: no defaults needed
            "released",
            agent=users["a1"],
            evaluator=users["sup"],
            occurred_at=yesterday,
            ref=f"CALL-{number}",
        )
    return create_token(users["a1"], "script", None, users["a1"]).secret


@pytest.fixture(scope="module")
def servers(
    seeded: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppServers]:
    """A and B, and a job worker, on the seeded database and a Redis of this module's own."""
    if importlib.util.find_spec("gunicorn") is None:
        _missing("gunicorn is not installed")
    if shutil.which("redis-server") is None:
        _missing("redis-server is not installed (apt-get install redis-server)")
    folder = tmp_path_factory.mktemp("two-servers")
    with redis_server(folder) as redis:
        env = production_environment(
            seeded[0], redis, folder, SECRET_KEY,
            EXPORT_JOB_MIN_EVALUATIONS="1",
            SIGN_IN_MAX_FAILURES=str(SIGN_IN_LIMIT),
            API_TOKEN_MAX_FAILURES=str(TOKEN_LIMIT),
        )  # fmt: skip
        with app_servers(env, folder) as running:
            yield running


class Browser:
    """One browser behind the one address: its cookies go to whichever instance a request
    reaches (both listen on 127.0.0.1, and cookies do not care for ports), and every request
    arrives as the TLS proxy forwards it: for https://ADDRESS, from the browser's address."""

    def __init__(self, address: str) -> None:
        self.session = requests.Session()
        self.session.headers.update(
            {"X-Forwarded-Proto": "https", "X-Forwarded-Host": ADDRESS, "X-Forwarded-For": address}
        )

    def get(self, base: str, path: str, **kwargs: Any) -> requests.Response:
        """GET `path` on the instance at `base`."""
        return self._sent(self.session.get(base + path, allow_redirects=False, timeout=30,
                                           **kwargs))  # fmt: skip

    def _sent(self, response: requests.Response) -> requests.Response:
        """The browser speaks HTTPS to the proxy, so it sends its Secure cookies back; this
        client speaks HTTP to the instances, so it is told that they may travel on it."""
        for cookie in self.session.cookies:
            cookie.secure = False
        return response

    def post(
        self, base: str, path: str, data: dict[str, Any], token_from: str, **kwargs: Any
    ) -> requests.Response:
        """POST a form to `path` on `base`, with the CSRF token of the page `token_from`
        (read from the same instance)."""
        page = self.get(base, token_from)
        match = CSRF_INPUT.search(page.text)
        assert match, f"no CSRF token on {token_from}: {page.status_code}"
        payload = {**data, "csrf_token": match.group(1) or match.group(2)}
        # Over HTTPS, Flask-WTF wants the form to come from a page of the same address.
        referrer = {"Referer": f"https://{ADDRESS}{token_from}"}
        return self._sent(self.session.post(
            base + path, data=payload, headers=referrer, allow_redirects=False, timeout=30,
            **kwargs,
        ))  # fmt: skip

    def sign_in(self, base: str, email: str, password: str = PASSWORD) -> requests.Response:
        """Post the sign-in form on `base`."""
        return self.post(base, "/login", {"email": email, "password": password}, "/login")


def test_a_session_started_on_one_instance_continues_on_the_other(
    servers: AppServers, seeded: tuple[str, str]
) -> None:
    a, b = servers.urls
    browser = Browser("198.51.100.1")
    signed_in = browser.sign_in(a, "manager@example.test")
    assert signed_in.status_code == 302, signed_in.text[-2500:]
    assert "Secure" in signed_in.headers["Set-Cookie"]  # production's cookie, sent back

    account = browser.get(b, "/account")
    assert account.status_code == 200, account.headers.get("Location")
    assert "manager@example.test" in account.text

    saved = browser.post(b, "/account/language", {"locale": "en_GB"}, token_from="/account")
    assert saved.status_code == 302, saved.text[:500]
    assert _user(seeded[0], "manager@example.test").locale == "en_GB"


def test_an_export_started_on_one_instance_is_downloaded_from_the_other(
    servers: AppServers,
) -> None:
    a, b = servers.urls
    manager = Browser("198.51.100.2")
    assert manager.sign_in(a, "manager@example.test").status_code == 302
    today = utcnow().date()
    form = {
        "start": (today - timedelta(days=7)).isoformat(),
        "end": today.isoformat(),
        **{"team_id": "0", "agent_id": "0", "scorecard": "", "channel": "", "language": "en"},
    }
    started = manager.post(a, "/exports/", form, token_from="/exports/")
    assert started.status_code == 303, started.text[:500]
    job = re.search(r"/jobs/(\d+)$", started.headers["Location"])
    assert job, started.headers["Location"]
    path = f"/jobs/{job.group(1)}"

    status = _wait_for_job(manager, b, path)
    assert status["status"] == "done", status
    assert status["rows_done"] == status["rows_total"] == EVALUATIONS

    download = manager.get(b, f"{path}/download")
    assert download.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(download.content))
    assert "Evaluations" in workbook.sheetnames
    # A header row, then one row per evaluation.
    assert workbook["Evaluations"].max_row == EVALUATIONS + 1

    supervisor = Browser("198.51.100.3")
    assert supervisor.sign_in(b, "sup@example.test").status_code == 302
    assert supervisor.get(b, f"{path}/download").status_code == 404
    assert supervisor.get(a, path).status_code == 404


def _wait_for_job(browser: Browser, base: str, path: str) -> dict[str, Any]:
    """The job's status once it has finished (the worker runs it), at most about 30 s."""
    for _ in range(150):
        answer = browser.get(base, f"{path}/status")
        assert answer.status_code == 200, answer.text[:500]
        status: dict[str, Any] = answer.json()
        if status["finished"]:
            return status
        time.sleep(0.2)
    raise AssertionError(f"the job did not finish: {status}")


def test_failed_sign_ins_count_across_instances(
    servers: AppServers, seeded: tuple[str, str]
) -> None:
    a, b = servers.urls
    guesser = Browser("198.51.100.4")
    answers = [
        guesser.sign_in((a, b)[attempt % 2], "a1@example.test", "a wrong guess")
        for attempt in range(SIGN_IN_LIMIT)
    ]
    assert [answer.status_code for answer in answers] == [401] * SIGN_IN_LIMIT
    # Each instance saw fewer than the limit, yet the total locks the account on the last.
    assert all(WRONG in answer.text for answer in answers[:-1])
    assert LOCKED in answers[-1].text
    throttle = _throttle(seeded[0], "a1@example.test")
    assert throttle.failures == SIGN_IN_LIMIT
    assert throttle.locked_until is not None
    # The right password is refused too, on either instance.
    for base in (a, b):
        refused = Browser("198.51.100.5").sign_in(base, "a1@example.test")
        assert refused.status_code == 401
        assert LOCKED in refused.text


def test_failed_api_tokens_count_across_instances(
    servers: AppServers, seeded: tuple[str, str]
) -> None:
    a, b = servers.urls
    bad = {"Authorization": "Bearer not-a-real-token"}
    script = Browser("198.51.100.6")
    answers = [
        script.get((a, b)[attempt % 2], "/api/v1/agents", headers=bad).status_code
        for attempt in range(TOKEN_LIMIT)
    ]
    assert answers == [401] * TOKEN_LIMIT
    other = b if TOKEN_LIMIT % 2 else a  # the instance the last failure did not reach
    refused = script.get(other, "/api/v1/agents", headers=bad)
    assert refused.status_code == 429, refused.text[:500]
    assert int(refused.headers["Retry-After"]) >= 1
    # The limit is the address's: a good token from elsewhere is served on both.
    good = {"Authorization": f"Bearer {seeded[1]}"}
    for base in (a, b):
        assert Browser("198.51.100.7").get(base, "/api/v1/agents", headers=good).status_code == 200


def test_a_file_checked_on_one_instance_is_imported_on_the_other(
    servers: AppServers, seeded: tuple[str, str]
) -> None:
    a, b = servers.urls
    manager = Browser("198.51.100.8")
    assert manager.sign_in(a, "manager@example.test").status_code == 302
    checked = manager.post(
        a, "/stats/import", {"source": "pbx", "date_order": "", "dry_run": "y"},
        token_from="/stats/import", files={"file": ("daily.csv", STATS.encode())},
    )  # fmt: skip
    assert checked.status_code == 200, checked.text[:500]
    held = HELD_INPUT.search(checked.text)
    assert held, "no kept file on the page"
    assert _statistics_rows(seeded[0]) == 0

    confirmed = manager.post(
        b, "/stats/import", {"held": held.group(1), "source": "pbx", "date_order": ""},
        token_from="/stats/import", files={"file": ("", b"")},
    )  # fmt: skip
    assert confirmed.status_code == 302, confirmed.text[:800]
    assert _statistics_rows(seeded[0]) == 1


def test_each_instance_keeps_a_control_socket_of_its_own(servers: AppServers) -> None:
    """gunicornc reaches each instance on one machine (deploy/gunicorn.conf.py names the
    socket after the address; gunicorn's default path is one for all)."""
    sockets = []
    for log in servers.log_files[:2]:
        found = CONTROL_SOCKET.search(log.read_text("utf-8"))
        assert found, f"no control socket in {log.name}"
        sockets.append(Path(found.group(1)))
    assert sockets[0] != sockets[1]
    assert all(socket.is_socket() for socket in sockets)


def _engine(url: str) -> sa.Engine:
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def _user(url: str, email: str) -> Any:
    with _engine(url).connect() as connection:
        return connection.execute(sa.select(User.__table__).where(User.email == email)).one()


def _throttle(url: str, key: str) -> Any:
    table = SignInThrottle.__table__
    with _engine(url).connect() as connection:
        return connection.execute(sa.select(table).where(table.c.email == key)).one()


def _statistics_rows(url: str) -> int:
    with _engine(url).connect() as connection:
        count = connection.scalar(sa.select(sa.func.count()).select_from(AgentDailyStat))
        return int(count or 0)
