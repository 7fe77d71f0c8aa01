"""The job queue: Huey, with its storage in a SQLite file under instance/ (the embedded
default, no server) or in Redis (REDIS_URL: several app servers share one queue).

The queue carries job ids only; everything a job needs is in its `Job` row, and its result
in JOB_RESULTS_DIR, so any worker of any server can run it and any web server can show it.
Each feature registers the kinds of job it runs (`register_kind`) when the app is created.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from qa_app.database import utcnow
from qa_app.jobs.models import Job
from qa_app.web.health import OK, register_health_check
from qa_app.web.metrics import QUEUE_DEPTH

log = logging.getLogger(__name__)

# The names of the backends JOBS_BACKEND accepts. "immediate" runs each job inside the
# request that starts it (the test suite's default; never for a real server).
BACKENDS = ("sqlite", "redis", "immediate")
EXTENSION = "qa_jobs"
# How often the worker deletes expired results (it also does so when it starts).
EXPIRY_SCHEDULE = {"minute": "*/10"}
# The worker says it is alive every minute (and when it starts) in the queue's own storage,
# which every app server reads; /healthz calls the queue down when none spoke for longer.
WORKER_SEEN_KEY = "worker-seen"
WORKER_SILENT_MINUTES = 3


@dataclass(frozen=True)
class JobOutcome:
    """What a finished job hands back: the name its result file is downloaded as (None: the
    job made no file), and what it did in words (for its page)."""

    download_name: str | None = None
    message: str | None = None


# A kind of job: reads its Job row, writes its result (if any) to the open file, reports
# progress in rows as it goes, records its audit event in the session, and says what it made.
Runner = Callable[[Job, IO[bytes], Callable[[int], None]], JobOutcome]


@dataclass(frozen=True)
class JobKind:
    """A registered kind: its runner, its title (lazily translated), the suffix of its
    result file, and whether only its starter may see it (administrators too, otherwise)."""

    run: Runner
    title: Any
    suffix: str = ""
    starter_only: bool = False


KINDS: dict[str, JobKind] = {}


def register_kind(
    name: str, run: Runner, title: Any, suffix: str = "", *, starter_only: bool = False
) -> None:
    """Make a kind of job known to the web (which starts it) and the worker (which runs it)."""
    KINDS[name] = JobKind(run, title, suffix, starter_only)


def kind_title(name: str) -> str:
    """A kind of job as the pages name it."""
    kind = KINDS.get(name)
    return str(kind.title) if kind else name


@dataclass
class JobQueue:
    """The app's Huey instance and the two tasks it runs."""

    huey: Huey
    run_job: Any
    expire_results: Any
    heartbeat: Any = None


def make_huey(config: dict[str, Any], instance_path: str) -> Huey:
    """The Huey instance the configuration names."""
    backend = config["JOBS_BACKEND"]
    options: dict[str, Any] = {"name": "qa-coach", "results": False, "utc": True}
    if backend == "redis":
        return RedisHuey(url=config["REDIS_URL"], **options)
    if backend == "immediate":
        return MemoryHuey(immediate=True, **options)
    path = config.get("JOBS_SQLITE_PATH") or str(Path(instance_path) / "jobs.sqlite")
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(filename=path, **options)


def init_app(
    app: Flask, execute_job: Callable[[int], None], expire_results: Callable[[], int]
) -> None:
    """Create the queue for `app` and its two tasks (running a job by its id, deleting
    expired results: jobs.services), each run in an app context."""
    if not app.config.get("JOB_RESULTS_DIR"):
        app.config["JOB_RESULTS_DIR"] = str(Path(app.instance_path) / "job-results")
    huey = make_huey(app.config, app.instance_path)

    def run_job(job_id: int) -> None:
        with app.app_context():
            execute_job(job_id)

    def expire_job_results() -> None:
        with app.app_context():
            expired = expire_results()
            if expired:
                log.info("deleted %d expired job results", expired)

    app.extensions[EXTENSION] = JobQueue(
        huey=huey,
        run_job=huey.task(name="run_job")(run_job),
        expire_results=huey.periodic_task(crontab(**EXPIRY_SCHEDULE), name="expire_results")(
            expire_job_results
        ),
        heartbeat=huey.periodic_task(crontab(minute="*"), name="worker_seen")(
            lambda: note_worker_seen(huey)
        ),
    )
    register_health_check(app, "queue", lambda: queue_health(app))


def note_worker_seen(huey: Huey, now: datetime | None = None) -> None:
    """Record that a worker is running (the periodic heartbeat, and the worker's start)."""
    huey.put(WORKER_SEEN_KEY, (now or utcnow()).isoformat())


def queue_health(app: Flask, now: datetime | None = None) -> str:
    """ "ok" when a worker spoke within WORKER_SILENT_MINUTES (always, when jobs run inside
    their request), else what is wrong in a few words; the queue's depth goes to /metrics."""
    queue = job_queue(app)
    if app.config["JOBS_BACKEND"] == "immediate":
        return OK
    try:
        QUEUE_DEPTH.set(queue.huey.pending_count())
        seen = queue.huey.get(WORKER_SEEN_KEY, peek=True)
    except Exception as error:  # noqa: BLE001 - a storage that fails is a queue that is down
        log.warning("job queue storage unreachable: %s", error)
        return "unreachable"
    if seen is None:
        return "no worker seen"
    silent = (now or utcnow()) - datetime.fromisoformat(seen)
    if silent > timedelta(minutes=WORKER_SILENT_MINUTES):
        return f"no worker seen for {int(silent.total_seconds() // 60)} minutes"
    return OK


def job_queue(app: Flask | None = None) -> JobQueue:
    """The queue of `app` (default: the current one)."""
    queue: JobQueue = (app or current_app).extensions[EXTENSION]
    return queue


def enqueue(job_id: int) -> None:
    """Hand a committed job to the worker (in immediate mode: run it now)."""
    job_queue().run_job(job_id)
