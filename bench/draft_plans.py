"""Draft plans for many agents (`training generate`, and its job from the training list): the
time per agent of the proposal, evidence read to drafts flushed.

    python -m bench.draft_plans bench/out/small.sqlite [--repeat 3]

On the database as it is (upgraded to the current schema by the caller): every active agent
proposed for over the default period, as the command does and as the job does (with a
progress callback counting agents), rolled back after each run so that every run proposes
the same drafts; best of `--repeat`. Agents with an open plan already are skipped quickly,
so the figure per proposed draft is the one to read.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime

import sqlalchemy as sa

from bench.common import database_url, make_app, summary_ms, write_figures


def main() -> None:
    """Print and store the figures."""
    from flask_babel import get_timezone

    from qa_app.auth.models import Role, User
    from qa_app.extensions import db
    from qa_app.training.proposals import propose_plans

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("database", help="SQLite file or PostgreSQL URL")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    url = database_url(args.database)
    app = make_app(url)
    runs: dict[str, list[float]] = {"command": [], "job": []}
    agents = drafts = 0
    with app.test_request_context():
        tz = get_timezone()
        today = datetime.now(tz).date()
        for _ in range(args.repeat):
            for way in runs:
                people = db.session.scalars(
                    sa.select(User)
                    .where(User.role == Role.AGENT, User.active.is_(True))
                    .order_by(User.display_name)
                ).all()
                counted: list[int] = []
                started = time.perf_counter()
                outcomes = propose_plans(
                    people, today, None, tz, progress=counted.append if way == "job" else None
                )
                db.session.flush()
                runs[way].append(time.perf_counter() - started)
                db.session.rollback()
                agents = len(people)
                drafts = sum(1 for outcome in outcomes if outcome.result == "created")
    best = {way: min(times) for way, times in runs.items()}
    figures = {
        "agents": agents,
        "drafts": drafts,
        **{f"{way}_ms": summary_ms(times) for way, times in runs.items()},
        "ms_per_agent_job": round(best["job"] / max(agents, 1) * 1000, 1),
        "ms_per_draft_job": round(best["job"] / max(drafts, 1) * 1000, 1),
        "job_over_command": round(best["job"] / best["command"], 3),
    }
    write_figures("draft_plans", url, figures)


if __name__ == "__main__":
    main()
