"""Dispute routing: the time and queries of the list of disputes a user may decide (the
home pages and /disputes/), with many open disputes.

    python -m bench.dispute_routing bench/out/disputes.sqlite --disputes 200 1000 --repeat 5

Builds the demo centre in the given database (emptied first), then opens the number of
disputes asked for on its evaluations, and times `disputes_to_decide` for the manager (who
is a candidate for every dispute) and a supervisor (only their teams'), with the number of
SQL statements each one takes.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import flask_migrate
import sqlalchemy as sa

from bench.common import database_url, dialect_of, make_app, write_figures


def measure(url: str, counts: Sequence[int], repeat: int) -> list[dict[str, Any]]:
    """Open `counts` disputes in turn and time the deciders' lists."""
    from qa_app.auth.models import User
    from qa_app.database import utcnow
    from qa_app.demo.activity import seed_activity
    from qa_app.demo.organisation import seed_demo
    from qa_app.evaluations.models import Dispute, DisputeStatus, Evaluation
    from qa_app.evaluations.summaries import disputes_to_decide
    from qa_app.extensions import db
    from qa_app.scorecards.services import sync_scorecard_files

    app = make_app(url)
    rows = []
    with app.app_context():
        flask_migrate.downgrade(revision="base")
        flask_migrate.upgrade()
        seed_demo(seed=1)
        sync_scorecard_files(Path(app.config["SCORECARDS_DIR"]))
        seed_activity(1, date.today())
        db.session.commit()
        free = db.session.scalars(
            sa.select(Evaluation)
            .where(~Evaluation.disputes.any(), Evaluation.status.in_(["released", "acknowledged"]))
            .order_by(Evaluation.id)
        ).all()
        users = {
            email: db.session.scalar(sa.select(User).where(User.email == email))
            for email in ("manager@demo.test", "supervisor02@demo.test")
        }
        opened = db.session.scalar(
            sa.select(sa.func.count(Dispute.id)).where(Dispute.status == DisputeStatus.OPEN)
        )
        for count in counts:
            for evaluation in free[: max(0, count - opened)]:
                evaluation.status = "disputed"
                db.session.add(
                    Dispute(
                        evaluation_id=evaluation.id,
                        raised_by_id=evaluation.agent_id,
                        criterion_keys=[],
                        reason="Bench",
                        raised_at=utcnow() - timedelta(days=evaluation.id % 9),
                    )
                )
            free = free[max(0, count - opened) :]
            db.session.commit()
            opened = db.session.scalar(
                sa.select(sa.func.count(Dispute.id)).where(Dispute.status == DisputeStatus.OPEN)
            )
            for email, user in users.items():
                statements = []

                def count_statement(*_: Any) -> None:
                    statements.append(1)  # noqa: B023 - reset before each user's runs

                sa.event.listen(db.engine, "before_cursor_execute", count_statement)
                times = []
                for _ in range(repeat):
                    db.session.expire_all()
                    started = time.perf_counter()
                    found = disputes_to_decide(user)
                    times.append(time.perf_counter() - started)
                sa.event.remove(db.engine, "before_cursor_execute", count_statement)
                rows.append(
                    {
                        "open_disputes": opened,
                        "user": email,
                        "to_decide": len(found),
                        "best_ms": round(min(times) * 1000, 1),
                        "statements_per_run": len(statements) // repeat,
                    }
                )
                print(rows[-1], flush=True)
        db.session.remove()
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: one database, one or more dispute counts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", help="a SQLite path or a PostgreSQL URL (emptied)")
    parser.add_argument("--disputes", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    url = database_url(args.database)
    print(f"{args.database} ({dialect_of(url)}):", flush=True)
    figures = {"runs": measure(url, args.disputes, args.repeat), "repeat": args.repeat}
    write_figures("dispute_routing", url, figures)


if __name__ == "__main__":
    main()
