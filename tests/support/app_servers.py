"""Several real app servers behind one address, as production runs them: gunicorn instances
(deploy/gunicorn.conf.py) on free loopback ports and one `flask jobs worker`, all on one
database and one Redis, each in a process group of its own with its output in a log file.

Used by tests/deploy/test_two_servers.py and bench/two_servers.py. The processes are always
stopped when the block ends, however it ends; `AppServers.logs()` gives what they wrote, for
a failure's message.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
# Long enough for three interpreters importing the app at once on a busy 2-core machine.
START_SECONDS = 45
LOG_TAIL = 4000


def free_port() -> int:
    """An unused loopback port."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def production_environment(
    database_url: str, redis_url: str, folder: Path, secret_key: str, **overrides: str
) -> dict[str, str]:
    """The environment of every instance and the worker: production settings, one database,
    one Redis for the cache, the limits and the queue, and the folders that several servers
    must share (job results, kept uploads) in `folder`. Behind the TLS proxy the instances
    trust one hop of X-Forwarded-* (PROXY_FIX_HOPS=1), as behind deploy/'s nginx."""
    environment = {
        **os.environ,
        "QA_CONFIG": "production",
        "SECRET_KEY": secret_key,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "QA_CACHE": "redis",
        "JOBS_BACKEND": "redis",
        "JOB_RESULTS_DIR": str(folder / "job-results"),
        "QA_SCRATCH_DIR": str(folder / "scratch"),
        "PROXY_FIX_HOPS": "1",
        "QA_TIMEZONE": "UTC",
        "PYTHONPATH": str(ROOT),
    }
    environment.update(overrides)
    return environment


@dataclass
class AppServers:
    """The running instances' base URLs, and their log files (the worker's last)."""

    urls: list[str]
    log_files: list[Path] = field(default_factory=list)

    def logs(self) -> str:
        """The end of every process's log, for a failure's message."""
        parts = []
        for path in self.log_files:
            text = path.read_text("utf-8", errors="replace") if path.exists() else ""
            parts.append(f"--- {path.name} ---\n{text[-LOG_TAIL:]}")
        return "\n".join(parts)


@contextmanager
def app_servers(
    environment: Mapping[str, str], folder: Path, *, instances: int = 2, web_workers: int = 1
) -> Iterator[AppServers]:
    """Start `instances` gunicorn servers and one job worker; yield once each answers
    /healthz with 200 (database, cache and a worker seen); stop them all afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    ports = [free_port() for _ in range(instances)]
    servers = AppServers([f"http://127.0.0.1:{port}" for port in ports])
    with ExitStack() as stack:
        processes = []
        for number, port in enumerate(ports):
            env = {**environment, "QA_BIND": f"127.0.0.1:{port}",
                   "WEB_CONCURRENCY": str(web_workers)}  # fmt: skip
            command = [sys.executable, "-m", "gunicorn", "-c", str(GUNICORN_CONF), "run:app"]
            log = folder / f"instance-{'ABCDEFGH'[number]}.log"
            processes.append(stack.enter_context(_process(command, env, log)))
            servers.log_files.append(log)
        worker_command = [sys.executable, "-m", "flask", "--app", "run", "jobs", "worker",
                          "--workers", "1"]  # fmt: skip
        worker_log = folder / "worker.log"
        processes.append(stack.enter_context(_process(worker_command, environment, worker_log)))
        servers.log_files.append(worker_log)
        _wait_until_healthy(servers, processes)
        yield servers


@contextmanager
def _process(command: list[str], env: Mapping[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """A process in a new session (its own process group), stopped with its children."""
    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our interpreter running gunicorn or flask
            command, cwd=ROOT, env=dict(env), stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            yield process
        finally:
            _stop(process)


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the process group (gunicorn's workers, the worker's threads), then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=wait)
            break
        except subprocess.TimeoutExpired:
            continue
    # The group may outlive its leader for a moment (a gunicorn worker finishing its exit).
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _wait_until_healthy(servers: AppServers, processes: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + START_SECONDS
    waiting = list(servers.urls)
    last = ""
    while waiting:
        for process in processes:
            if process.poll() is not None:
                raise RuntimeError(
                    f"{process.args[2:4]} exited with {process.returncode} while starting:\n"
                    f"{servers.logs()}"
                )
        url = waiting[0]
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=5) as answer:  # noqa: S310
                if answer.status == 200:
                    waiting.pop(0)
                    continue
        except urllib.error.HTTPError as error:  # 503 until the worker has said it is alive
            last = f"{url}/healthz: {error.code} {error.read()[:300]!r}"
        except OSError as error:
            last = f"{url}/healthz: {error}"
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"the app servers were not healthy within {START_SECONDS} s ({last}):\n"
                f"{servers.logs()}"
            )
        time.sleep(0.2)
