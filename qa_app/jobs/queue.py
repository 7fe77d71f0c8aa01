"""The job queue: Huey, with its storage in a SQLite file under instance/ (the embedded
default, no server) or in Redis (REDIS_URL: several app servers share one queue).

The queue carries job ids only; everything a job needs is in its `Job` row, and its result
in JOB_RESULTS_DIR, so any worker of any server can run it and any web server can show it.
Each feature registers the kinds of job it runs (`register_kind`) when the app is created.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from flask import Flask, current_app
from flask_babel import ngettext
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from qa_app.database import utcnow
from qa_app.jobs.models import Job
from qa_app.web.health import OK, register_health_check

log = logging.getLogger(__name__)

# The names of the backends JOBS_BACKEND accepts. "immediate" runs each job inside the
# request that starts it (the test suite's default; never for a real server).
BACKENDS = ("sqlite", "redis", "immediate")
EXTENSION = "qa_jobs"
# How often the worker tidies (it also does so when it starts): deletes expired results, and
# fails the running jobs whose worker is gone (so one is seen within 5 + 5 minutes).
EXPIRY_SCHEDULE = {"minute": "*/5"}
# The worker says it is alive every minute (and when it starts) in the queue's own storage,
# which every app server reads; /healthz calls the queue down when none spoke for longer.
WORKER_SEEN_KEY = "worker-seen"
WORKER_SILENT_MINUTES = 3
# Each running job is noted in the same storage every HEARTBEAT_SECONDS (a thread beside the
# job: the app's database may be locked by the job's own writes); a running job not noted
# for JOB_SILENT_MINUTES lost its worker (killed, machine gone) and is marked failed.
JOB_SEEN_PREFIX = "job-seen-"
HEARTBEAT_SECONDS = 30
JOB_SILENT_MINUTES = 5


@dataclass(frozen=True)
class JobOutcome:
    """What a finished job hands back: the name its result file is downloaded as (None: the
    job made no file), and what it did in words (for its page)."""

    download_name: str | None = None
    message: str | None = None


# A kind of job: reads its Job row, writes its result (if any) to the open file, reports
# progress in rows as it goes, records its audit event in the session, and says what it made.
Runner = Callable[[Job, IO[bytes], Callable[[int], None]], JobOutcome]


# How a kind counts its progress on its page: (done, total) already written the reader's way
# and the total as a number for the plural → "120 of 400 evaluations".
ProgressWords = Callable[[str, str, int], str]


def rows_words(done: str, total: str, count: int) -> str:
    """Progress in rows of a file (imports): the default."""
    return ngettext(
        "%(done)s of %(total)s row", "%(done)s of %(total)s rows", count, done=done, total=total
    )


def evaluations_words(done: str, total: str, count: int) -> str:
    """Progress in evaluations (workbooks, checks)."""
    return ngettext(
        "%(done)s of %(total)s evaluation",
        "%(done)s of %(total)s evaluations",
        count,
        done=done,
        total=total,
    )


@dataclass(frozen=True)
class JobKind:
    """A registered kind: its runner, its title (lazily translated), the suffix of its
    result file, whether only its starter may see it (administrators too, otherwise), and
    the words of its progress."""

    run: Runner
    title: Any
    suffix: str = ""
    starter_only: bool = False
    progress_words: ProgressWords = rows_words


KINDS: dict[str, JobKind] = {}


def register_kind(
    name: str,
    run: Runner,
    title: Any,
    suffix: str = "",
    *,
    starter_only: bool = False,
    progress_words: ProgressWords = rows_words,
) -> None:
    """Make a kind of job known to the web (which starts it) and the worker (which runs it)."""
    KINDS[name] = JobKind(run, title, suffix, starter_only, progress_words)


def kind_title(name: str) -> str:
    """A kind of job as the pages name it."""
    kind = KINDS.get(name)
    return str(kind.title) if kind else name


def progress_words(name: str, done: str, total: str, count: int) -> str:
    """A kind of job's progress in its own words (rows for a kind no longer known)."""
    kind = KINDS.get(name)
    return (kind.progress_words if kind else rows_words)(done, total, count)


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
    app: Flask, execute_job: Callable[[int], None], tidy: Callable[[], tuple[int, int]]
) -> None:
    """Create the queue for `app` and its tasks (running a job by its id; tidying: deleting
    expired results and failing jobs whose worker is gone, jobs.services), each run in an
    app context."""
    if not app.config.get("JOB_RESULTS_DIR"):
        app.config["JOB_RESULTS_DIR"] = str(Path(app.instance_path) / "job-results")
    huey = make_huey(app.config, app.instance_path)

    def run_job(job_id: int) -> None:
        with app.app_context():
            execute_job(job_id)

    def expire_job_results() -> None:
        with app.app_context():
            expired, abandoned = tidy()
            if expired:
                log.info("deleted %d expired job results", expired)
            if abandoned:
                log.warning("%d running jobs had lost their worker: marked failed", abandoned)

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


def note_job_seen(huey: Huey, job_id: int, now: datetime | None = None) -> None:
    """Record that the job `job_id` is being run right now."""
    huey.put(f"{JOB_SEEN_PREFIX}{job_id}", (now or utcnow()).isoformat())


def job_last_seen(huey: Huey, job_id: int) -> datetime | None:
    """When the job was last noted running (None: never, or no longer)."""
    seen = huey.get(f"{JOB_SEEN_PREFIX}{job_id}", peek=True)
    return None if seen is None else datetime.fromisoformat(seen)


def forget_job(huey: Huey, job_id: int) -> None:
    """The job has ended: its note goes."""
    huey.delete(f"{JOB_SEEN_PREFIX}{job_id}")


@contextmanager
def heartbeat(huey: Huey, job_id: int, every: float = HEARTBEAT_SECONDS) -> Iterator[None]:
    """Note the job as running now and every `every` seconds until the block ends (from a
    thread of its own, so that a job busy in one long statement is still seen)."""
    stop = threading.Event()

    def beat() -> None:
        while True:
            try:
                note_job_seen(huey, job_id)
            except Exception as error:  # noqa: BLE001 - a missed beat is retried, never fatal
                log.warning("job %s: heartbeat not written: %s", job_id, error)
            if stop.wait(every):
                return

    note_job_seen(huey, job_id)
    thread = threading.Thread(target=beat, name=f"job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        with contextlib.suppress(Exception):
            forget_job(huey, job_id)


def queue_health(app: Flask, now: datetime | None = None) -> str:
    """ "ok" when a worker spoke within WORKER_SILENT_MINUTES (always, when jobs run inside
    their request), else what is wrong in a few words."""
    queue = job_queue(app)
    if app.config["JOBS_BACKEND"] == "immediate":
        return OK
    try:
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
