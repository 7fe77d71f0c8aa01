"""The centre dashboard's evaluator consistency: calibration drift where closed sessions of
the period compared an evaluator with a benchmark, the centre's mean elsewhere, and which
method each row uses."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import User
from qa_app.calibration.models import CalibrationSession
from qa_app.calibration.results import evaluator_drift
from qa_app.dashboards.centre import evaluator_consistency
from qa_app.extensions import db
from qa_app.stats.filters import ReportFilters
from tests.calibration.test_results_pages import expert_session
from tests.conftest import Organisation
from tests.support.exports_data import WEEK, seed_export_data
from tests.support.queries import page_queries

SignIn = Callable[[User], FlaskClient]


@pytest.fixture
def data(
    app: Flask, org: Organisation, make_scorecard: Any, make_evaluation: Any
) -> dict[str, Any]:
    return seed_export_data(app, org, make_scorecard, make_evaluation)


def methods(page: str, *user_ids: int) -> list[str]:
    """The method of each row named, in order."""
    found = dict(re.findall(r'data-evaluator="(\d+)" data-method="(\w+)"', page))
    return [found[str(user_id)] for user_id in user_ids]


def test_rows_say_which_method_they_use(
    app: Flask,
    org: Organisation,
    data: dict[str, Any],
    sign_in_as: SignIn,
) -> None:
    client = sign_in_as(org.manager)
    a, b = org.supervisor_a.id, org.supervisor_b.id
    before = client.get("/dashboard/centre").get_data(True)
    assert methods(before, a, b) == ["centre", "centre"]
    assert "from calibration: same interactions as the benchmark" not in before
    # A session closed long before the period changes nothing.
    expert_session(app, org, close=True, closed_at=datetime.now(UTC) - timedelta(days=200))
    assert methods(client.get("/dashboard/centre").get_data(True), a, b) == ["centre"] * 2
    expert_session(app, org, close=True, title="This week")
    after = client.get("/dashboard/centre").get_data(True)
    assert methods(after, a, b) == ["calibration", "calibration"]
    assert "from calibration: same interactions as the benchmark" in after
    # A: 0 and +16.7 on the two calls → +8.3 (2 calls, so an interval); B: +33.3.
    row = re.search(rf'data-evaluator="{a}".*?</tr>', after, re.S).group(0)
    assert "+8.3" in row and "n=2" in row and "in line with the benchmark" in row
    assert "from calibration" in row and "confounded by the teams scored" not in row
    old_row = re.search(rf'data-evaluator="{a}".*?</tr>', before, re.S).group(0)
    assert "confounded by the teams scored" in old_row


def test_row_figures_are_evaluator_drift(
    app: Flask,
    org: Organisation,
    data: dict[str, Any],
) -> None:
    session_id = expert_session(app, org, close=True)
    with app.test_request_context():
        _centre, rows = evaluator_consistency(ReportFilters(WEEK[0], WEEK[1]))
        expected = evaluator_drift([db.session.get_one(CalibrationSession, session_id)])
        by_id = {row.evaluator_id: row for row in rows}
        for user in (org.supervisor_a, org.supervisor_b):
            assert by_id[user.id].calibration == expected[user.id]
            assert by_id[user.id].method == "calibration"
        assert expected[org.supervisor_a.id].deviation.mean == pytest.approx(100 / 12)


def test_query_count_does_not_grow_with_sessions(
    app: Flask,
    org: Organisation,
    data: dict[str, Any],
    sign_in_as: SignIn,
) -> None:
    client = sign_in_as(org.manager)
    expert_session(app, org, close=True)
    one = page_queries(app, client, "/dashboard/centre")
    for number in range(3):
        expert_session(app, org, close=True, title=f"More {number}")
    assert page_queries(app, client, "/dashboard/centre") == one
