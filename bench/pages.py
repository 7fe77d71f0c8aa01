"""p50/p95 latency and SQL query count of the heaviest pages, at two database sizes.

    python -m bench.pages bench/out/b10k.sqlite bench/out/b1m.sqlite --requests 30

Each page is requested through the Flask test client by a signed-in user of the generated
centre: the agent page `/stats/agents/<id>` and `/dashboard/team` as the first team's
supervisor, `/dashboard/centre` as the manager, the evaluation form `/evaluations/<id>/edit`
of one of that supervisor's drafts, and how many evaluations are enough (`/stats/needed`)
for the supervisor's first team over all its evaluations. A few warm-up requests, then
`--requests` timed ones; SQL statements are counted with a `before_cursor_execute`
listener. Scaling ratio = p95 on the largest database / p95 on the smallest.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from bench.common import PASSWORD, database_url, make_app, summary_ms, write_figures

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
WARM_UP = 3


def signed_in(app: Flask, email: str) -> FlaskClient:
    """A test client signed in as `email` (the generated accounts share PASSWORD)."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    match = CSRF_INPUT.search(page)
    assert match, "no CSRF token on /login"
    response = client.post(
        "/login", data={"email": email, "password": PASSWORD, "csrf_token": match.group(1)}
    )
    assert response.status_code == 302, f"sign-in as {email} failed: {response.status_code}"
    return client


def targets(app: Flask) -> dict[str, tuple[str, str]]:
    """Page name → (user e-mail, path), picked from the generated data."""
    from qa_app.auth.models import User
    from qa_app.evaluations.models import Evaluation
    from qa_app.extensions import db

    with app.app_context():
        supervisor = db.session.scalar(
            sa.select(User).where(User.email == "supervisor001@bench.test")
        )
        agent_id = db.session.scalar(
            sa.select(sa.func.min(User.id)).where(User.role == "agent", User.team_id == 1)
        )
        draft_id = db.session.scalar(
            sa.select(sa.func.min(Evaluation.id)).where(
                Evaluation.evaluator_id == supervisor.id, Evaluation.status == "draft"
            )
        )
        db.session.remove()
    return {
        "agent page": (supervisor.email, f"/stats/agents/{agent_id}"),
        "team dashboard": (supervisor.email, "/dashboard/team"),
        "centre dashboard": ("manager@bench.test", "/dashboard/centre"),
        # Every evaluation the first team ever had: the heaviest period the page can ask for.
        "evaluations needed": (supervisor.email, "/stats/needed?start=2000-01-01"),
        "evaluation form": (supervisor.email, f"/evaluations/{draft_id}/edit"),
    }


def measure(url: str, requests: int) -> dict[str, Any]:
    """Every page's latency and query count on one database."""
    from qa_app.extensions import db

    app = make_app(url)
    statements: list[str] = []
    with app.app_context():
        engine = db.engine

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    pages: dict[str, Any] = {}
    clients: dict[str, FlaskClient] = {}
    for name, (email, path) in targets(app).items():
        client = clients.get(email) or clients.setdefault(email, signed_in(app, email))
        for _ in range(WARM_UP):
            assert client.get(path).status_code == 200, f"{path} did not answer 200"
        durations, counts = [], []
        for _ in range(requests):
            statements.clear()
            started = time.perf_counter()
            response = client.get(path)
            durations.append(time.perf_counter() - started)
            assert response.status_code == 200, f"{path}: {response.status_code}"
            counts.append(len(statements))
        pages[name] = {"path": path, **summary_ms(durations), "queries": max(counts)}
        print(f"  {name:<18} {pages[name]}", flush=True)
    with app.app_context():
        from qa_app.evaluations.models import Evaluation

        evaluations = db.session.scalar(sa.select(sa.func.count(Evaluation.id)))
        db.session.remove()
    return {"evaluations": evaluations, "pages": pages}


def main(argv: Sequence[str] | None = None) -> None:
    """Command line: two or more databases, smallest first."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("databases", nargs="+", help="SQLite paths or PostgreSQL URLs")
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args(argv)
    runs = []
    for target in args.databases:
        print(f"{target}:", flush=True)
        runs.append(measure(database_url(target), args.requests))
    figures: dict[str, Any] = {"runs": runs, "p95_target": 1.5, "queries_target": 15}
    if len(runs) > 1:
        small, large = runs[0]["pages"], runs[-1]["pages"]
        figures["p95_ratio"] = {
            name: round(large[name]["p95_ms"] / small[name]["p95_ms"], 2) for name in small
        }
    write_figures("pages", database_url(args.databases[-1]), figures)


if __name__ == "__main__":
    main(sys.argv[1:])
