"""What `GET /healthz` reports: whether the database answers, and whether it can save.

A database with a full disk, or one that has become read-only, still answers `SELECT 1`;
only a write shows that saves fail. So each check rewrites one row (HealthProbe) and
commits: on SQLite the commit appends to the WAL file, on PostgreSQL to the WAL, so a full
disk under either fails it. This is the one GET that writes, and it writes only that row.
"""

from __future__ import annotations

import sqlalchemy as sa

from qa_app.database import DatabaseSession, storage_failure, utcnow
from qa_app.main.models import HealthProbe

PROBE = "healthz"


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
