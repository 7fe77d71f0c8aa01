"""Calibration never touches agents (issue 21, "Done when").

Every surface that shows an agent's figures is read before and after a calibration session
on that agent's own calls (scored, submitted and closed, nothing promoted), and must read
the same: the agent's home, feedback, own statistics and notifications pages, the agent page
a supervisor opens, the team and centre dashboards' figures, agent performance, the training
plan proposal, every cell of the evaluations workbook, `report agent --format json`, and
the API's agent and evaluation endpoints. Promoting the benchmark changes them by exactly
the one new evaluation. And an agent reaches no calibration route and finds nothing of it
in their inbox.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import replace
from datetime import date
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask_babel import get_timezone

from qa_app.auth.models import User
from qa_app.calibration import promotion
from qa_app.calibration.models import CalibrationSession
from qa_app.dashboards.centre import (
    evaluator_consistency,
    monthly_trend_by_team,
    teams_compared,
    weakest_criteria,
)
from qa_app.dashboards.team import heat_map, team_table
from qa_app.evaluations.models import Evaluation
from qa_app.exports.services import export_evaluations
from qa_app.extensions import db
from qa_app.notifications.models import Notification
from qa_app.stats.agent_performance import agent_performance, performance_by_agent
from qa_app.stats.filters import ReportFilters
from qa_app.training.proposals import propose
from tests.calibration.conftest import build_session
from tests.conftest import Organisation, csrf_token

# The agent's real evaluations: greeting yes, empathy 4. The calibration scores them far
# lower (every "no" and the scale's minimum), so any leak would move every figure.
LOW = {"greeting": False, "empathy": 1}
HIGH = {"greeting": True, "empathy": 5}
# The period holds the calls (November 2026) and the evaluations, submitted on the day the
# suite runs.
START, END = date(2026, 9, 1), max(date(2026, 12, 31), date.today())
CSRF = re.compile(r'(name="csrf_token"[^>]*value=|content=)"[^"]*"')
MAIN = re.compile(r"<main.*?</main>", re.S)


@pytest.fixture
def agent_evaluations(org: Organisation, make_evaluation: Any) -> list[int]:
    """Agent A1's two released evaluations, on calls of their own."""
    return [
        make_evaluation("released", ref="REAL-1").id,
        make_evaluation("released", ref="REAL-2", answers={"greeting": True, "empathy": 3}).id,
    ]


def page(browser: Any, path: str) -> str:
    """The page's content (the <main> element) without the per-session CSRF tokens."""
    response = browser.get(path, follow_redirects=True)
    assert response.status_code == 200, (path, response.status_code)
    text = response.get_data(as_text=True)
    found = MAIN.search(text)
    return CSRF.sub(r'\1""', found.group(0) if found else text)


def workbook_cells(filters: ReportFilters) -> dict[str, list[tuple[Any, ...]]]:
    out = io.BytesIO()
    export_evaluations(filters, out, language="en")
    book = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    return {
        sheet.title: list(sheet.iter_rows(values_only=True))
        for sheet in book.worksheets
        if hasattr(sheet, "iter_rows")
    }


def api_json(api_as: Any, user: User, path: str) -> Any:
    client = api_as(user)
    response = client.client.get("/api/v1" + path, headers=client.headers)
    assert response.status_code == 200, (path, response.json)
    return response.json


def surfaces(app: Flask, org: Organisation, sign_in_as: Any, api_as: Any, runner: Any) -> dict:
    """Every surface's figures of agent A1 (and their team and centre), as plain data."""
    a1 = org.agent_a1
    found: dict[str, Any] = {}
    agent = sign_in_as(a1)
    for path in ("/", "/feedback/", "/stats/me", "/notifications/"):
        found[f"agent {path}"] = page(agent, path)
    found["supervisor's agent page"] = page(sign_in_as(org.supervisor_a), f"/stats/agents/{a1.id}")
    found["team dashboard"] = page(sign_in_as(org.supervisor_a), "/dashboard/team")
    with app.test_request_context():
        tz = get_timezone()
        centre = ReportFilters(START, END, tz)
        own = replace(centre, agent_id=a1.id)
        team = replace(centre, team_id=org.team_a.id)
        found["agent performance"] = repr(agent_performance(own))
        found["all agents' performance"] = repr(performance_by_agent(centre))
        found["team table"] = repr(team_table(team, "qa", False))
        found["heat map"] = repr(heat_map(team))
        found["teams compared"] = repr(teams_compared(centre))
        found["monthly trends"] = repr(monthly_trend_by_team(centre))
        found["weakest criteria"] = repr(weakest_criteria(centre))
        # The evaluators' rows gain their calibration drift (an evaluator's figure, which a
        # session is meant to change); the agents' scores behind them must not move.
        centre_qa, evaluators = evaluator_consistency(centre)
        found["evaluator consistency"] = repr(
            (centre_qa, [replace(row, calibration=None) for row in evaluators])
        )
        proposal = propose(db.session.get_one(User, a1.id), START, END, END, tz)
        found["training proposal"] = repr((proposal.areas, proposal.items))
        found["evaluations workbook"] = workbook_cells(centre)
        found["agent's notifications"] = sorted(
            (n.id, n.kind, json.dumps(n.params, sort_keys=True), n.link_endpoint, n.read_at)
            for n in db.session.scalars(
                sa.select(Notification).where(Notification.recipient_id == a1.id)
            )
        )
    report = runner.invoke(
        args=["report", "agent", a1.email, "--from", str(START), "--to", str(END)]
    )
    assert report.exit_code == 0, report.output
    found["report agent"] = json.loads(report.output)
    found["API performance"] = api_json(
        api_as, org.manager, f"/agents/{a1.id}/performance?from={START}&to={END}"
    )
    found["API evaluations (agent)"] = api_json(api_as, a1, "/evaluations")
    found["API evaluations (manager)"] = api_json(
        api_as, org.manager, f"/evaluations?agent={a1.id}"
    )
    found["API agents"] = api_json(api_as, org.supervisor_a, "/agents")
    for evaluation in found["API evaluations (agent)"]["data"]:
        found[f"API evaluation {evaluation['id']}"] = api_json(
            api_as, a1, f"/evaluations/{evaluation['id']}"
        )
    return found


def calibrate(app: Flask, org: Organisation) -> int:
    """A session on two of A1's calls: the manager the expert, both supervisors scoring
    every call far below the agent's real scores, all submitted, then closed."""
    with app.app_context():
        session = build_session(
            org,
            expert=org.manager,
            scores={
                org.manager.id: [LOW, LOW],
                org.supervisor_a.id: [LOW, HIGH],
                org.supervisor_b.id: [LOW, LOW],
            },
            close=True,
            title="Isolation",
        )
        db.session.commit()
        return session.id


def test_a_calibration_session_changes_no_agent_figure(
    app: Flask,
    org: Organisation,
    agent_evaluations: list[int],
    sign_in_as: Any,
    api_as: Any,
    runner: Any,
) -> None:
    before = surfaces(app, org, sign_in_as, api_as, runner)
    assert before["report agent"]["qa_n"] == 2  # the figures are there to be changed
    calibrate(app, org)
    after = surfaces(app, org, sign_in_as, api_as, runner)
    assert set(after) == set(before)
    for surface, figures in before.items():
        assert after[surface] == figures, surface


def test_promoting_the_benchmark_adds_exactly_that_evaluation(
    app: Flask,
    org: Organisation,
    agent_evaluations: list[int],
    sign_in_as: Any,
    api_as: Any,
    runner: Any,
) -> None:
    session_id = calibrate(app, org)
    before = surfaces(app, org, sign_in_as, api_as, runner)
    with app.app_context():
        session = db.session.get_one(CalibrationSession, session_id)
        promoted = promotion.promote_benchmark(
            session.items[0], db.session.get_one(User, org.manager.id)
        )
        db.session.commit()
        promoted_id, score = promoted.id, promoted.score
        real = list(
            db.session.scalars(
                sa.select(Evaluation.score).where(Evaluation.id.in_(agent_evaluations))
            )
        )
    after = surfaces(app, org, sign_in_as, api_as, runner)
    assert score == 0  # the expert's LOW scoring: greeting no, empathy 1
    old, new = before["report agent"], after["report agent"]
    assert new["qa_n"] == old["qa_n"] + 1
    assert new["qa_score"] == pytest.approx((sum(real) + score) / 3)
    ids = {e["id"] for e in after["API evaluations (manager)"]["data"]}
    assert ids - {e["id"] for e in before["API evaluations (manager)"]["data"]} == {promoted_id}
    rows = after["evaluations workbook"]["Evaluations"]
    assert [row[0] for row in rows[1:]] == sorted(
        [row[0] for row in before["evaluations workbook"]["Evaluations"][1:]] + [promoted_id]
    )
    # Released to the agent (the team's release setting), so the agent sees it too.
    agent_ids = {e["id"] for e in after["API evaluations (agent)"]["data"]}
    assert promoted_id in agent_ids
    # Every surface of the first test moves with one real evaluation (so that test would see
    # a leak), except those that hold no figure of it: the agent list and the old evaluations.
    unchanged = {surface for surface, figures in before.items() if after[surface] == figures}
    assert unchanged == {"API agents", *(f"API evaluation {i}" for i in agent_evaluations)}


def calibration_paths(app: Flask, session_id: int, item_id: int) -> list[tuple[str, str]]:
    """Every calibration URL of the app (pages and API), filled with the session's ids."""
    values = {"session_id": session_id, "item_id": item_id, "interaction_id": item_id}
    found = []
    for rule in app.url_map.iter_rules():
        if not (rule.endpoint.startswith("calibration.") or "/calibration" in rule.rule):
            continue
        if rule.endpoint == "exports.calibration":
            continue  # a role-refused form (403), checked below
        path = rule.rule
        for name in rule.arguments:
            path = re.sub(rf"<(?:[^:<>]+:)?{name}>", str(values.get(name, session_id)), path)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, path))
    return found


def test_an_agent_reaches_no_calibration_route(
    app: Flask, org: Organisation, sign_in_as: Any, api_as: Any
) -> None:
    session_id = calibrate(app, org)
    with app.app_context():
        item_id = db.session.get_one(CalibrationSession, session_id).items[0].id
    agent = sign_in_as(org.agent_a1)
    token = api_as(org.agent_a1)
    paths = calibration_paths(app, session_id, item_id)
    form_token = csrf_token(agent, "/notifications/")
    assert ("GET", f"/api/v1/calibration/sessions/{session_id}") in paths
    for method, path in paths:
        if path.startswith("/api/"):
            response = token.client.open(path, method=method, headers=token.headers)
            body = response.get_data(as_text=True)
            if path.endswith("/sessions") or "agreement" in path:
                assert response.status_code in (200, 400), (method, path)
                assert "Isolation" not in body and '"id"' not in body, (method, path)
                continue
        else:
            # Posts carry a valid CSRF token, so that the refusal is the route's own.
            data = {"csrf_token": form_token} if method == "POST" else None
            response = agent.open(path, method=method, data=data)
            body = response.get_data(as_text=True)
        assert response.status_code in (403, 404), (method, path, response.status_code)
        assert "Isolation" not in body, (method, path)
    assert agent.get("/exports/calibration").status_code == 403
    with app.app_context():
        kinds = db.session.scalars(
            sa.select(Notification.kind).where(Notification.recipient_id == org.agent_a1.id)
        ).all()
    assert not [kind for kind in kinds if "calibration" in kind]
    inbox = agent.get("/notifications/").get_data(as_text=True)
    assert "Isolation" not in inbox and "alibration" not in inbox
