"""The Calibration workbook tab of the Exports page: managers and QA leads only, and a QA
lead's workbook holds only the sessions they organised or took part in."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import openpyxl
from flask import Flask

from qa_app.auth.models import User
from qa_app.extensions import db
from tests.calibration.conftest import build_session
from tests.conftest import Organisation, csrf_token

PERIOD = {"start": "2026-11-01", "end": "2026-11-30"}
ANSWERS = [{"greeting": True, "empathy": 4}]


def session_ids(response: Any) -> list[int]:
    data = response.get_data()
    response.close()
    book = openpyxl.load_workbook(io.BytesIO(data))
    return [row[0] for row in book["Sessions"].iter_rows(min_row=2, values_only=True)]


def make_calibration(app: Flask, org: Organisation, **kwargs: Any) -> int:
    with app.app_context():
        session = build_session(org, **kwargs)
        db.session.commit()
        return session.id


def download(browser: Any, **data: str) -> Any:
    token = csrf_token(browser, "/exports/calibration")
    return browser.post(
        "/exports/calibration", data={**PERIOD, "scorecard": "", **data, "csrf_token": token}
    )


def test_managers_get_every_session_and_qa_leads_their_own(
    app: Flask, org: Organisation, sign_in_as: Any
) -> None:
    closed_at = datetime(2026, 11, 20, 12, tzinfo=UTC)
    two = [org.supervisor_b, org.supervisor_none]
    scores = {user.id: ANSWERS for user in two}
    theirs = make_calibration(app, org, participants=two, scores=scores, interactions=1, close=True,
                              closed_at=closed_at, title="B and none")  # fmt: skip
    scores = {org.supervisor_a.id: ANSWERS, org.supervisor_b.id: ANSWERS}
    with_a = make_calibration(
        app, org, scores=scores, interactions=1, close=True, closed_at=closed_at
    )
    response = download(sign_in_as(org.manager))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert sorted(session_ids(response)) == sorted([theirs, with_a])
    supervisor = sign_in_as(org.supervisor_a)
    assert supervisor.get("/exports/calibration").status_code == 403  # not a QA lead
    assert "/exports/calibration" not in supervisor.get("/exports/").get_data(as_text=True)
    with app.app_context():
        db.session.get_one(User, org.supervisor_a.id).qa_lead = True
        db.session.commit()
    page = supervisor.get("/exports/calibration")
    assert page.status_code == 200 and "Calibration" in page.get_data(as_text=True)
    assert session_ids(download(supervisor)) == [with_a]
    # An unknown scorecard is refused by the form, plainly.
    refused = download(supervisor, scorecard="999999")
    assert refused.status_code == 400
