"""`flask --app run jobs worker`: the process that runs the jobs the web starts (beside
the web server under `make run`, as its own service in production); `jobs expire` tidies
once — deletes expired results and fails the running jobs whose worker is gone — as the
worker does when it starts and every five minutes."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from qa_app.jobs.queue import job_queue, note_worker_seen
from qa_app.jobs.services import tidy

jobs_group = AppGroup("jobs", help="The job queue: its worker and its results.")


@jobs_group.command("worker")
@click.option("--workers", default=2, show_default=True, help="Jobs run at the same time.")
def worker_command(workers: int) -> None:
    """Run the jobs the web starts, until stopped: Ctrl-C (SIGINT) lets the running jobs
    finish first; SIGTERM stops at once, and a job cut off is marked failed within minutes."""
    if workers < 1:
        raise click.BadParameter("at least 1", param_hint="--workers")
    backend = current_app.config["JOBS_BACKEND"]
    if backend == "immediate":
        raise click.ClickException(
            "JOBS_BACKEND=immediate runs every job inside its request: no worker is needed."
        )
    expired, abandoned = tidy()
    click.echo(
        f"Job worker ({backend}, {workers} at a time); {expired} expired results deleted, "
        f"{abandoned} jobs of a stopped worker marked failed."
    )
    note_worker_seen(job_queue().huey)
    consumer = job_queue().huey.create_consumer(
        workers=workers, worker_type="thread", periodic=True, check_worker_health=True
    )
    consumer.run()


@jobs_group.command("expire")
def expire_command() -> None:
    """Delete the job results whose time is up; fail the jobs whose worker is gone."""
    expired, abandoned = tidy()
    click.echo(
        f"{expired} expired results deleted, {abandoned} jobs of a stopped worker marked failed."
    )
