"""The criterion validity figures timed on a generated centre: the one query, the repeat
contacts and the statistics, as the page computes them.

    python -m bench.validity bench/out/b100k.sqlite --repeat 3 [--customers 5000]

`validity.report.validity_report` runs on the default view (the last 90 days, the whole
centre, UTC) `--repeat` times. The generator writes no customer outcomes, so first each
evaluated interaction in the period is given CSAT, FCR and one of `--customers` customer
references (seeded), so that the relations, the correlations and the repeat contacts have
work to do; the figures are the median and fastest wall time, the median CPU time, the
statements run, the rows read and the peak memory.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from bench.common import database_url, dialect_of, make_app, peak_rss_mb, write_figures
from qa_app.stats.filters import default_start


def cpu_seconds() -> float:
    """User and system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def give_outcomes(filters: Any, customers: int) -> int:
    """Seeded outcomes and customer references on the period's evaluated interactions."""
    from qa_app.evaluations.models import Evaluation
    from qa_app.extensions import db
    from qa_app.interactions.models import Interaction

    ids = db.session.scalars(
        sa.select(Evaluation.interaction_id).where(*filters.evaluation_conditions())
    ).all()
    rng = random.Random(20261207)
    for start in range(0, len(ids), 5000):
        db.session.execute(
            sa.update(Interaction),
            [
                {
                    "id": interaction_id,
                    "csat_positive": rng.random() < 0.7,
                    "csat_score": float(rng.randint(1, 5)),
                    "resolved_first_contact": rng.random() < 0.6,
                    "customer_ref": f"B{rng.randrange(customers)}",
                }
                for interaction_id in ids[start : start + 5000]
            ],
        )
    db.session.commit()
    return len(ids)


def measure(url: str, repeat: int, customers: int) -> dict[str, Any]:
    """validity_report's timings on one database."""
    from qa_app.extensions import db
    from qa_app.stats.filters import ReportFilters
    from qa_app.validity.report import validity_report

    app = make_app(url)
    end = datetime.now(UTC).date()
    filters = ReportFilters(default_start(end), end, UTC)
    statements = 0
    with app.app_context():
        interactions = give_outcomes(filters, customers)

        @sa.event.listens_for(db.engine, "before_cursor_execute")
        def _count(*_: Any) -> None:
            nonlocal statements
            statements += 1

        walls, cpus = [], []
        for _ in range(repeat):
            statements = 0
            cpu, started = cpu_seconds(), time.perf_counter()
            report = validity_report(filters)
            walls.append(time.perf_counter() - started)
            cpus.append(cpu_seconds() - cpu)
            db.session.rollback()
        db.session.remove()
    return {
        "evaluated_interactions": interactions,
        "relations": len(report.relations),
        "evaluations": report.overall.evaluations,
        "median_s": round(statistics.median(walls), 3),
        "fastest_s": round(min(walls), 3),
        "cpu_median_s": round(statistics.median(cpus), 3),
        "statements": statements,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: one database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="a SQLite path or a PostgreSQL URL")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--customers", type=int, default=5000)
    args = parser.parse_args(argv)
    url = database_url(args.database)
    print(f"{args.database} ({dialect_of(url)}):", flush=True)
    figures = {**measure(url, args.repeat, args.customers), "repeat": args.repeat}
    write_figures("validity", url, figures)


if __name__ == "__main__":
    main()
