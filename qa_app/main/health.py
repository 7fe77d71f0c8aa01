"""What `GET /healthz` reports: whether the database answers and can save, whether the
cache answers, and the job queue's state (registered by the queue where it is set up; "not
configured" until then). The registry is qa_app.web.health.

A database with a full disk, or one that has become read-only, still answers `SELECT 1`;
only a write shows that saves fail. So each check rewrites one row (HealthProbe) and
commits: on SQLite the commit appends to the WAL file, on PostgreSQL to the WAL, so a full
disk under either fails it. This is the one GET that writes, and it writes only that row.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask import Flask
from redis.exceptions import RedisError

from qa_app.database import DatabaseSession, storage_failure, utcnow
from qa_app.extensions import cache, db
from qa_app.main.models import HealthProbe
from qa_app.web.health import NOT_CONFIGURED, OK, register_health_check

PROBE = "healthz"


def register_health_checks(app: Flask) -> None:
    """The database's and the cache's checks, and the queue's place until it has a check."""
    register_health_check(app, "database", lambda: database_health(db.session))
    register_health_check(app, "cache", lambda: cache_health(app))
    register_health_check(app, "queue", lambda: NOT_CONFIGURED, replace=False)


def cache_health(app: Flask) -> str:
    """ "ok", "not configured" (QA_CACHE=none), "unreachable" or "unwritable": the cache
    writes and reads back one short-lived value."""
    if app.config["CACHE_TYPE"] == "NullCache":
        return NOT_CONFIGURED
    # A key of its own for each check: two servers checking at once never read each other's.
    value = secrets.token_hex(8)
    key = f"healthz:{value}"
    try:
        if not cache.set(key, value, timeout=60) or cache.get(key) != value:
            return "unwritable"
        cache.delete(key)
    except (RedisError, OSError):
        return "unreachable"
    return OK


def database_health(session: DatabaseSession) -> str:
    """ "ok", "unreachable", or "unwritable (<why>)": the database's state for a load balancer."""
    try:
        session.execute(sa.text("SELECT 1"))
    except sa.exc.DBAPIError:
        session.rollback()
        return "unreachable"
    try:
        now = utcnow()
        saved = session.execute(
            sa.update(HealthProbe).where(HealthProbe.name == PROBE).values(checked_at=now)
        )
        if not saved.rowcount:  # type: ignore[attr-defined]  # an UPDATE's CursorResult
            session.add(HealthProbe(name=PROBE, checked_at=now))
        session.commit()
    except sa.exc.IntegrityError:
        session.rollback()  # another check inserted the row first: it could save
    except sa.exc.DBAPIError as error:
        session.rollback()
        return f"unwritable ({storage_failure(error) or 'error'})"
    return "ok"
