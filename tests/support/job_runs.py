"""Running a recorded job (and what may befall its starter before it runs), and following
its progress as its page does, row by row."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.jobs import services
from qa_app.jobs.models import Job
from qa_app.teams.models import team_supervisor


def record_progress(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The rows done of every progress write from now on, written at each row and read back
    on a connection of its own, as the page's JSON would see it."""
    seen: list[int] = []
    write = services.write_progress

    def recording(job_id: int, done: int) -> None:
        write(job_id, done)
        with db.engine.connect() as connection:
            seen.append(connection.scalar(sa.select(Job.rows_done).where(Job.id == job_id)) or 0)

    monkeypatch.setattr(services, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(services, "write_progress", recording)
    return seen


def run_recorded(app: Flask, job_id: int) -> Job:
    """Run a job recorded but not handed to the queue (as a worker would, later); the job
    afterwards, detached."""
    with app.app_context():
        services.execute_job(job_id)
        job = db.session.get_one(Job, job_id)
        db.session.expunge(job)
        return job


def take_teams_from(app: Flask, supervisor_id: int) -> None:
    """The supervisor supervises no team any more (what may befall a job's starter between
    the click and the run)."""
    with app.app_context():
        db.session.execute(
            sa.delete(team_supervisor).where(team_supervisor.c.user_id == supervisor_id)
        )
        db.session.commit()


def change_user(app: Flask, user_id: int, changes: dict[str, Any]) -> None:
    """Set the user's attributes (a job's starter deactivated, or given another role,
    between the click and the run)."""
    with app.app_context():
        user = db.session.get_one(User, user_id)
        for name, value in changes.items():
            setattr(user, name, value)
        db.session.commit()
