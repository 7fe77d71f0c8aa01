"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from qa_app.extensions import db


def _differences() -> list[object]:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_models_and_migrations_agree(app: Flask, app_context: None) -> None:
    # The test schema was built by `flask db upgrade`, so any difference is a missing migration.
    assert _differences() == []


def test_downgrade_to_nothing_and_back(app: Flask, app_context: None) -> None:
    flask_migrate.downgrade(revision="base")
    tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
    assert tables == set()
    flask_migrate.upgrade()
    assert _differences() == []
