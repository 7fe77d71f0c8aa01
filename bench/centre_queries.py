"""Each query of the centre dashboard timed alone, with its plan: where the page's time goes.

    python -m bench.centre_queries bench/out/b1m.sqlite --repeat 3 [--explain]

The four functions the page calls (`reports/centre.py`) run one after the other in an app
context, on the default view (the last 90 days, the whole centre, UTC), `--repeat` times
each; the figures are each one's median and fastest wall time and its median CPU time (on
SQLite the database's work is in this process, on PostgreSQL it is the server's).
`--explain` prints each statement's plan: EXPLAIN QUERY PLAN on SQLite, EXPLAIN (ANALYZE,
BUFFERS) on PostgreSQL (which runs the statement once more).
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from bench.common import database_url, dialect_of, make_app, write_figures

DEFAULT_DAYS = 90


def cpu_seconds() -> float:
    """User and system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def explain(engine: sa.Engine, statement: str, parameters: Any) -> list[str]:
    """The plan of one captured statement, as the database prints it."""
    postgresql = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgresql else "EXPLAIN QUERY PLAN "
    with engine.connect() as connection:
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.execute(prefix + statement, parameters)
            return [row[0] if postgresql else row[3] for row in cursor.fetchall()]
        finally:
            cursor.close()


def measure(url: str, repeat: int, show_plans: bool) -> dict[str, Any]:
    """Every centre query's timings on one database."""
    from qa_app.dashboards import centre
    from qa_app.extensions import db
    from qa_app.stats.filters import ReportFilters

    app = make_app(url)
    end = datetime.now(UTC).date()
    filters = ReportFilters(end - timedelta(days=DEFAULT_DAYS - 1), end, UTC)
    functions: dict[str, Callable[[], object]] = {
        "teams_compared": lambda: centre.teams_compared(filters),
        "monthly_trend_by_team": lambda: centre.monthly_trend_by_team(filters),
        "weakest_criteria": lambda: centre.weakest_criteria(filters),
        "evaluator_consistency": lambda: centre.evaluator_consistency(filters),
    }
    captured: list[tuple[str, Any]] = []
    figures: dict[str, Any] = {}
    with app.app_context():
        engine = db.engine

        @sa.event.listens_for(engine, "before_cursor_execute")
        def _capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                captured.append((statement, parameters))

        for name, function in functions.items():
            walls, cpus = [], []
            for _ in range(repeat):
                captured.clear()
                cpu, started = cpu_seconds(), time.perf_counter()
                function()
                walls.append(time.perf_counter() - started)
                cpus.append(cpu_seconds() - cpu)
                db.session.rollback()
            figures[name] = {
                "median_s": round(statistics.median(walls), 3),
                "fastest_s": round(min(walls), 3),
                "cpu_median_s": round(statistics.median(cpus), 3),
                "queries": len(captured),
            }
            print(f"  {name:<22} {figures[name]}", flush=True)
            if show_plans:
                for statement, parameters in list(captured):
                    for line in explain(engine, statement, parameters):
                        print(f"      {line}")
        db.session.remove()
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: one database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="a SQLite path or a PostgreSQL URL")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--explain", action="store_true", help="print each statement's plan")
    args = parser.parse_args(argv)
    url = database_url(args.database)
    print(f"{args.database} ({dialect_of(url)}):", flush=True)
    figures = {"queries": measure(url, args.repeat, args.explain), "repeat": args.repeat}
    write_figures("centre_queries", url, figures)


if __name__ == "__main__":
    main()
