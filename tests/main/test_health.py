"""/healthz and the "could not save" answer when the database cannot save (issue 17,
finding 9): a full disk or a read-only database still answers SELECT 1."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.database import storage_failure
from qa_app.extensions import db
from qa_app.main.models import HealthProbe
from qa_app.teams.models import Team
from tests.conftest import Organisation, post_form

# The tests' app: no cache (QA_CACHE=none); jobs run inside their request (no worker needed).
HEALTHY_PARTS = {"database": "ok", "cache": "not configured", "queue": "ok"}
COULD_NOT_SAVE = "The server could not save: its storage is full or read-only. Nothing was changed."


@contextmanager
def refusing_writes(app: Flask) -> Iterator[None]:
    """Inside the block, the database itself refuses every transaction's writes."""
    with app.app_context():
        engine = db.engine

    def refuse_writes(connection: sa.Connection) -> None:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        else:
            connection.exec_driver_sql("PRAGMA query_only = ON")

    sa.event.listen(engine, "begin", refuse_writes)
    try:
        yield
    finally:
        sa.event.remove(engine, "begin", refuse_writes)
        engine.dispose()  # SQLite's query_only stays on a connection until it is closed


@pytest.fixture
def read_only_database(app: Flask) -> Iterator[None]:
    """The whole test with a database that refuses writes."""
    with refusing_writes(app):
        yield


def test_health_is_ok_and_saves_its_probe(app: Flask, client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert (response.status_code, response.json) == (200, {"status": "ok", **HEALTHY_PARTS})
    first = probe_time(app)
    client.get("/healthz")
    assert probe_time(app) > first


def probe_time(app: Flask) -> Any:
    with app.app_context():
        return db.session.scalar(sa.select(HealthProbe.checked_at))


def test_health_reports_a_database_that_cannot_save(
    client: FlaskClient, read_only_database: None
) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json == {
        "status": "error",
        **HEALTHY_PARTS,
        "database": "unwritable (read-only)",
    }


def test_a_save_that_fails_says_nothing_was_changed(
    app: Flask, org: Organisation, sign_in_as: Any
) -> None:
    admin = sign_in_as(org.admin)
    team = {
        "name": "Collections",
        "supervisor_ids": [org.supervisor_a.id],
        "agent_ids": [org.agent_a1.id],
        "release_mode": "immediate",
        "evaluations_per_agent_month": 4,
    }
    with refusing_writes(app):
        response = post_form(admin, "/admin/teams/new", team, token_from="/admin/teams/new")
    assert response.status_code == 503
    assert COULD_NOT_SAVE in " ".join(response.get_data(as_text=True).split())
    with app.app_context():
        assert db.session.scalar(sa.select(Team).where(Team.name == "Collections")) is None


def test_the_api_says_so_in_json(app: Flask, org: Organisation, api_as: Any) -> None:
    api = api_as(org.supervisor_a)
    call = {
        "agent": org.agent_a1.email,
        "channel": "phone",
        "occurred_at": "2026-11-02T10:15:00+01:00",
        "external_ref": "CALL-1",
    }
    with refusing_writes(app):
        response = api.post("/api/v1/interactions", [call])
    assert response.status_code == 503, response.get_data(as_text=True)
    assert response.json["error"]["code"] == "storage_unavailable"
    assert "Nothing was changed" in response.json["error"]["message"]


def test_a_full_sqlite_database_is_a_storage_failure(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'full.sqlite'}")
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x BLOB)")
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar()
        connection.exec_driver_sql(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(sa.exc.OperationalError) as full, engine.begin() as connection:
        connection.execute(sa.text("INSERT INTO t VALUES (:x)"), {"x": b"x" * 100_000})
    assert isinstance(full.value.orig, sqlite3.OperationalError)
    assert storage_failure(full.value) == "full"
    engine.dispose()


def test_a_full_disk_under_a_file_is_a_storage_failure() -> None:
    with pytest.raises(OSError) as full, open("/dev/full", "wb") as handle:  # noqa: PTH123
        handle.write(b"x")
        handle.flush()
    assert storage_failure(full.value) == "full"


def test_other_errors_are_not_storage_failures() -> None:
    assert storage_failure(ValueError("x")) is None
    assert storage_failure(FileNotFoundError("x")) is None
