"""`make bench`: a small version of every benchmark, in a few minutes.

    python -m bench.small                       # SQLite files under bench/out/small/
    BENCH_DATABASE_URL=postgresql://…/bench python -m bench.small   # and PostgreSQL

Generates a 2,000- and a 10,000-evaluation centre, then runs the page benchmark on both
(scaling ratio), the export (2k; memory at 2k and 10k), a 100,000-row statistics import
and 200 actions of load; figures and their tables go to bench/out/small/ (RESULTS.md
there), leaving the full-size figures of bench/out/ and bench/RESULTS.md alone. With
BENCH_DATABASE_URL the same runs on PostgreSQL, in that database and one named
`<name>_large` beside it (created when missing). The full sizes: bench/README.md.
"""

from __future__ import annotations

import os
import subprocess
import sys

import sqlalchemy as sa

from bench.common import ROOT
from config import normalise_database_url

SMALL, LARGE = 2_000, 10_000


SMALL_OUT = ROOT / "bench" / "out" / "small"


def _run(*args: str) -> None:
    print("+ python -m", " ".join(args), flush=True)
    env = {**os.environ, "BENCH_OUT": str(SMALL_OUT)}
    subprocess.run([sys.executable, "-m", *args], cwd=ROOT, check=True, env=env)  # noqa: S603


def _sibling(url: str, suffix: str) -> str:
    """The URL of a database named like `url`'s with `suffix`, created when missing."""
    parsed = sa.make_url(url)
    name = f"{parsed.database}{suffix}"
    engine = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).scalar()
        if not exists:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


def suite(small: str, large: str) -> None:
    """Every benchmark, small, on one kind of database."""
    _run("bench.generate", small, "--evaluations", str(SMALL), "--reset")
    _run("bench.generate", large, "--evaluations", str(LARGE), "--reset")
    _run("bench.pages", small, large, "--requests", "10")
    _run("bench.export", small, "--memory", small, large, "--repeat", "1")
    _run("bench.stats_import", large, "--rows", "100000")
    _run("bench.load", large, "--requests", "200", "--users", "6")


def main() -> None:
    """SQLite always; PostgreSQL when BENCH_DATABASE_URL is set."""
    SMALL_OUT.mkdir(parents=True, exist_ok=True)
    suite(str(SMALL_OUT / "small.sqlite"), str(SMALL_OUT / "large.sqlite"))
    url = os.environ.get("BENCH_DATABASE_URL")
    if url:
        url = normalise_database_url(url)
        suite(url, _sibling(url, "_large"))
    _run("bench.report")


if __name__ == "__main__":
    main()
