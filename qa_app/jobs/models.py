"""A job: one piece of long work started from the web, run by the worker, with its
progress, its outcome and (for exports) its result file."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column

from qa_app.database import UTCDateTime, utcnow
from qa_app.extensions import Model
from qa_app.labels import TitledEnum


class JobStatus(TitledEnum):
    """Where a job is: waiting for the worker, running, finished, or stopped by an error."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    __titles__ = {
        "queued": _l("waiting"),
        "running": _l("running"),
        "done": _l("done"),
        "failed": _l("failed"),
    }


FINISHED = (JobStatus.DONE, JobStatus.FAILED)


def _in(column: str, values: Any) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Job(Model):
    """One job. `rows_done` only grows and equals `rows_total` when the job is done; the
    result file (a random name in JOB_RESULTS_DIR, never a user's path) exists from `done`
    until `expires_at`; `error_message` says why a failed job stopped, in the starter's
    language (the job runs in it)."""

    __tablename__ = "job"
    __table_args__ = (
        sa.CheckConstraint(_in("status", JobStatus), name="status"),
        sa.CheckConstraint("rows_done >= 0 AND rows_total >= 0", name="rows"),
        # "My recent jobs" reads this index alone.
        sa.Index("ix_job_started_by_created", "started_by_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    started_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(
        sa.String(16), default=JobStatus.QUEUED, server_default=JobStatus.QUEUED.value
    )
    # What to do, as the job's kind reads it (filters, ids, a language), JSON-safe.
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    language: Mapped[str] = mapped_column(sa.String(8))
    rows_done: Mapped[int] = mapped_column(default=0, server_default="0")
    rows_total: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # How long the job ran (started to finished), for /metrics on every app server alike.
    run_seconds: Mapped[float | None] = mapped_column(sa.Float)
    error_message: Mapped[str | None] = mapped_column(sa.Text)
    # What a job that made no file did ("Imported 120 agent-days …"), in the starter's language.
    result_message: Mapped[str | None] = mapped_column(sa.Text)
    # The result: a file name inside JOB_RESULTS_DIR, and the name it is downloaded as.
    result_file: Mapped[str | None] = mapped_column(sa.String(64))
    result_name: Mapped[str | None] = mapped_column(sa.String(255))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    # Set when the expired result file was deleted: the page says so.
    expired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.status}>"
