"""Counting the SQL statements a page costs, for tests that a page's queries do not grow
with its rows (no N+1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.extensions import db


def statements_run(app: Flask, action: Callable[[], object]) -> int:
    """How many SQL statements `action()` runs on the app's database."""
    count = 0

    def counter(*_: Any) -> None:
        nonlocal count
        count += 1

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", counter)
    try:
        action()
    finally:
        sa.event.remove(engine, "before_cursor_execute", counter)
    return count


def page_queries(app: Flask, client: FlaskClient, path: str) -> int:
    """How many statements GET `path` runs; the page must answer 200."""

    def get() -> None:
        assert client.get(path).status_code == 200

    return statements_run(app, get)
