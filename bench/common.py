"""What every benchmark shares: the app on a given database, the machine, the figures file.

Benchmarks write their figures as JSON under `bench/out/` (git-ignored); `bench.report`
turns them into the tables of `bench/RESULTS.md`.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from config import Config, normalise_database_url

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
# BENCH_OUT moves the figures elsewhere: `make bench` keeps its small ones apart.
OUT_DIR = Path(os.environ.get("BENCH_OUT") or BENCH_DIR / "out").resolve()
PASSWORD = "bench-password-2000"  # noqa: S105 - the generated accounts' documented login
SECRET_KEY = "bench-only-secret-key-not-for-production"  # noqa: S105


def database_url(target: str) -> str:
    """A SQLAlchemy URL from a SQLite file path or a PostgreSQL URL."""
    if "://" in target:
        return normalise_database_url(target)
    path = Path(target).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)  # bench/out/ is not in a fresh clone
    return f"sqlite:///{path}"


def dialect_of(url: str) -> str:
    """'sqlite' or 'postgresql'."""
    return "postgresql" if url.startswith("postgresql") else "sqlite"


class BenchConfig(Config):
    """Production settings without the TLS-only cookie (the test client speaks plain HTTP)."""

    ENV_NAME = "bench"

    def __init__(self, url: str) -> None:
        super().__init__({"DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "QA_TIMEZONE": "UTC"})


def make_app(url: str) -> Flask:
    """The real application on `url`, its start-up objects frozen as `run.py` does."""
    from qa_app import create_app

    app = create_app(BenchConfig(url))
    gc.collect()
    gc.freeze()
    return app


def machine() -> dict[str, Any]:
    """What the figures were taken on."""
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": memory,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "load_average": [round(value, 2) for value in load],
        "sqlite": __import__("sqlite3").sqlite_version,
    }


def postgres_version(url: str) -> str | None:
    """The server version, or None for SQLite."""
    if dialect_of(url) != "postgresql":
        return None
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.exec_driver_sql("SHOW server_version").scalar()
    finally:
        engine.dispose()


def write_figures(name: str, url: str, figures: dict[str, Any]) -> Path:
    """Store one benchmark's figures as bench/out/<name>-<dialect>.json and print them."""
    OUT_DIR.mkdir(exist_ok=True)
    record = {
        "benchmark": name,
        "database": dialect_of(url),
        "postgres": postgres_version(url),
        "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["python", "-m", _main_module(), *sys.argv[1:]]),
        "machine": machine(),
        **figures,
    }
    path = OUT_DIR / f"{name}-{dialect_of(url)}.json"
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    print(json.dumps(figures, indent=2, default=str))
    return path


def _main_module() -> str:
    spec = getattr(sys.modules["__main__"], "__spec__", None)
    return spec.name if spec else Path(sys.argv[0]).stem


def percentile(values: list[float], share: float) -> float:
    """The `share` percentile (0..1) by the nearest-rank method."""
    ordered = sorted(values)
    rank = max(1, round(share * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


def summary_ms(values: list[float]) -> dict[str, float]:
    """p50, p95 and mean of durations in seconds, as milliseconds."""
    return {
        "p50_ms": round(statistics.median(values) * 1000, 2),
        "p95_ms": round(percentile(values, 0.95) * 1000, 2),
        "mean_ms": round(statistics.fmean(values) * 1000, 2),
        "n": len(values),
    }


def each_in_a_thread(work: Callable[[Any], None], items: Iterable[Any]) -> float:
    """Run `work(item)` for every item at once, one thread each; the seconds until all end."""
    started = time.perf_counter()
    threads = [threading.Thread(target=work, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def load_figures(
    results: list[tuple[str, float, int]], errors: list[str], elapsed: float
) -> dict[str, Any]:
    """The figures of a load run from its (kind, seconds, status) results and its errors:
    throughput, p50/p95 over all and per kind, and the errors (a few of them spelt out)."""
    by_kind = {
        kind: summary_ms([s for k, s, _ in results if k == kind])
        for kind in sorted({kind for kind, _, _ in results})
    }
    return {
        "requests": len(results),
        "seconds": round(elapsed, 1),
        "requests_per_second": round(len(results) / elapsed, 1),
        **{k: v for k, v in summary_ms([s for _, s, _ in results]).items() if k != "n"},
        "by_kind": by_kind,
        "errors": len(errors),
        "error_samples": errors[:10],
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB.

    VmHWM where Linux has it: getrusage's maxrss survives exec, so a fresh interpreter
    started by a big process would report its parent's peak.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """`with stopwatch() as elapsed:` … `elapsed[0]` holds the seconds afterwards."""
    box: list[float] = []
    start = time.perf_counter()
    try:
        yield box
    finally:
        box.append(time.perf_counter() - start)


def run_in_subprocess(module: str, *args: str) -> dict[str, Any]:
    """Run `python -m module args…` in a fresh interpreter; its last stdout line is JSON."""
    completed = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"{module} {' '.join(args)} failed:\n{completed.stderr[-4000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])
