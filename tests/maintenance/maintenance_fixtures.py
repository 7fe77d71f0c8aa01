"""Helpers shared by the backup and integrity-check tests: run a command, change rows by
SQL behind the app's back, read the evaluations' scores."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import flask_migrate
import sqlalchemy as sa
from flask import Flask

from qa_app import create_app
from qa_app.extensions import db
from tests.conftest import make_config


@contextmanager
def own_sqlite_app(path: Path) -> Iterator[Flask]:
    """An app on its own migrated SQLite file at `path`, whatever database the suite runs on
    (backups need a file)."""
    application = create_app(make_config(f"sqlite:///{path}"))
    with application.app_context():
        flask_migrate.upgrade()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def run_command(app: Flask, *args: str) -> Any:
    """Invoke `flask --app run ARGS…` on `app`."""
    return app.test_cli_runner().invoke(args=list(args))


def execute_sql(app: Flask, statement: str, **params: Any) -> None:
    """Run one statement in its own committed transaction (tampering, as an intruder would)."""
    with app.app_context(), db.engine.begin() as connection:
        connection.execute(sa.text(statement), params)


def evaluation_scores(app: Flask) -> list[tuple[int, str, float | None]]:
    """(id, status, score) of every evaluation, by id."""
    with app.app_context():
        rows = db.session.execute(
            sa.text("SELECT id, status, score FROM evaluation ORDER BY id")
        ).all()
        db.session.remove()
    return [(row[0], row[1], row[2]) for row in rows]
