"""The database's state, to tell whether a request changed anything.

`fingerprint` gives each table's row count and a hash of its content, both read by SQL
(SQLite has no digest function, so the rows are hashed here, in primary-key order). What
signing in and authenticating write on every request is left out: browser sessions, the
sign-in throttle, the user's last sign-in and a token's last use. Take the fingerprint after
signing in, so the sign-in's own audit row is already there.
"""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa
from flask import Flask

from qa_app.extensions import db

IGNORED_TABLES = frozenset({"user_session", "sign_in_throttle"})
IGNORED_COLUMNS = frozenset({("user", "last_sign_in_at"), ("api_token", "last_used_at")})


def _tables() -> list[sa.Table]:
    return [table for table in db.metadata.sorted_tables if table.name not in IGNORED_TABLES]


def _columns(table: sa.Table) -> list[sa.Column]:
    return [column for column in table.columns if (table.name, column.name) not in IGNORED_COLUMNS]


def table_rows(app: Flask) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    """Every row of every table, by primary key: {table: {key: {column: value}}}."""
    result = {}
    with app.app_context(), db.engine.connect() as connection:
        for table in _tables():
            columns = _columns(table)
            keys = list(table.primary_key.columns) or columns
            rows = connection.execute(sa.select(*columns).order_by(*keys)).mappings()
            result[table.name] = {
                tuple(row[key.name] for key in keys if key in columns): dict(row) for row in rows
            }
    return result


def fingerprint(app: Flask) -> dict[str, tuple[int, str]]:
    """{table: (row count, SHA-256 of its rows)}."""
    result = {}
    with app.app_context(), db.engine.connect() as connection:
        for table in _tables():
            columns = _columns(table)
            keys = list(table.primary_key.columns) or columns
            count = connection.scalar(sa.select(sa.func.count()).select_from(table))
            digest = hashlib.sha256()
            for row in connection.execute(sa.select(*columns).order_by(*keys)):
                digest.update(repr(tuple(row)).encode())
            result[table.name] = (count, digest.hexdigest())
    return result


def changed_tables(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """Names of the tables whose fingerprint differs."""
    return sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
