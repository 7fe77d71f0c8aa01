"""The calibration API: sessions the token owner may open, results only once they may see
everyone's answers (the blind rule), the α table, and nothing at all for agents."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from qa_app.auth.models import User
from qa_app.calibration import services
from qa_app.calibration.models import CalibrationSession
from qa_app.calibration.results import agreement_table, session_results
from qa_app.extensions import db
from tests.calibration.conftest import build_session
from tests.conftest import Organisation

EXPERT = [{"greeting": True, "empathy": 4}, {"greeting": False, "empathy": 2}]
CLOSE = [{"greeting": True, "empathy": 4}, {"greeting": False, "empathy": 3}]
FAR = [{"greeting": False, "empathy": 5}, {"greeting": True, "empathy": 5}]
CLOSED_AT = datetime(2026, 11, 20, 12, tzinfo=UTC)


def make_session(app: Flask, org: Organisation, *, close: bool, far_submits: bool = True) -> int:
    """The manager the expert; supervisor A submits both calls, B only when asked."""
    scores = {org.manager.id: EXPERT, org.supervisor_a.id: CLOSE}
    if far_submits:
        scores[org.supervisor_b.id] = FAR
    with app.app_context():
        session = build_session(
            org, expert=org.manager, scores=scores, close=close, closed_at=CLOSED_AT
        )
        if not far_submits:  # a draft: saved, not submitted
            far = db.session.get_one(User, org.supervisor_b.id)
            services.save_score(session.items[0], far, FAR[0], {}, None, final=False)
        db.session.commit()
        return session.id


def get(api_as: Any, user: Any, path: str) -> Any:
    client = api_as(user)
    return client.client.get("/api/v1" + path, headers=client.headers)


def test_a_closed_sessions_results_equal_results_py(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    session_id = make_session(app, org, close=True)
    listed = get(api_as, org.supervisor_a, "/calibration/sessions")
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json["data"]] == [session_id]
    assert listed.json["data"][0]["status"] == "closed"
    answer = get(api_as, org.supervisor_a, f"/calibration/sessions/{session_id}")
    assert answer.status_code == 200
    body = answer.json
    assert body["benchmark"] == "expert" and body["expert"]["id"] == org.manager.id
    progress = {p["participant"]["id"]: (p["submitted"], p["of"]) for p in
                body["participant_progress"]}  # fmt: skip
    assert progress == {org.manager.id: (2, 2), org.supervisor_a.id: (2, 2),
                        org.supervisor_b.id: (2, 2)}  # fmt: skip
    with app.app_context():
        expected = session_results(db.session.get_one(CalibrationSession, session_id))
    figures = {p["user_id"]: p for p in body["results"]["participants"]}
    for person in expected.participants:
        got = figures[person.user_id]
        assert got["alignment"] == pytest.approx(person.alignment)
        assert got["within_tolerance"] == pytest.approx(person.within_tolerance)
        assert got["critical_agreement"] == pytest.approx(person.critical_agreement)
        assert got["score_deviation"] == pytest.approx(person.score_deviation)
    rows = body["results"]["criteria"]
    assert len(rows) == len(expected.criteria) == 4
    for got, row in zip(rows, expected.criteria, strict=True):
        assert got["criterion"] == row.key
        assert got["benchmark"] == pytest.approx(row.benchmark)
        assert {a["user_id"]: a["r"] for a in got["answers"]} == pytest.approx(row.answers)
        assert {d["user_id"]: d["points"] for d in got["deviations"]} == pytest.approx(
            row.deviations
        )
        assert got["flagged"] is row.flagged


def test_results_stay_blind_until_the_reader_submitted_everything(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    session_id = make_session(app, org, close=False, far_submits=False)
    path = f"/calibration/sessions/{session_id}"
    submitted = get(api_as, org.supervisor_a, path)
    assert submitted.status_code == 200 and submitted.json["results"] is not None
    # B saved a draft only: they see their progress, nobody's answers.
    drafting = get(api_as, org.supervisor_b, path).json
    assert drafting["results"] is None
    progress = {p["participant"]["id"]: p["submitted"] for p in drafting["participant_progress"]}
    assert progress[org.supervisor_b.id] == 0
    # The organiser (a manager, and the expert here) sees results: they submitted all theirs.
    assert get(api_as, org.manager, path).json["results"] is not None
    # supervisor_none neither runs nor takes part: not found, like a session that is not there.
    assert get(api_as, org.supervisor_none, path).status_code == 404
    assert get(api_as, org.supervisor_none, "/calibration/sessions").json["data"] == []


def test_agents_never_see_calibration(app: Flask, org: Organisation, api_as: Any) -> None:
    session_id = make_session(app, org, close=True)
    for user in (org.agent_a1, org.admin):  # A1's calls were calibrated
        assert get(api_as, user, "/calibration/sessions").json == {"data": [], "next": None}
        missing = get(api_as, user, f"/calibration/sessions/{session_id}")
        assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
        table = get(api_as, user, "/calibration/agreement?scorecard=test-call")
        assert table.status_code == 200
        assert table.json == {"scorecard": "test-call", "sessions": 0, "data": []}


def test_the_agreement_table_is_results_agreement_table(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    session_id = make_session(app, org, close=True)
    answer = get(api_as, org.manager, "/calibration/agreement?scorecard=test-call")
    assert answer.status_code == 200 and answer.json["sessions"] == 1
    with app.app_context():
        table = agreement_table([db.session.get_one(CalibrationSession, session_id)])
    assert [line["criterion"] for line in answer.json["data"]] == [line.key for line in table]
    for got, line in zip(answer.json["data"], table, strict=True):
        assert got["level"] == line.level.value
        assert got["alpha"] == pytest.approx(line.alpha)
        assert (got["low"], got["high"]) == pytest.approx((line.low, line.high))
        assert got["units"] == line.units
    outside = get(api_as, org.manager, "/calibration/agreement?scorecard=test-call&to=2026-11-19")
    assert outside.json["sessions"] == 0
    for query, parameter in (("", "scorecard"), ("?scorecard=nope", "scorecard"),
                             ("?scorecard=test-call&from=2026-13-01", "from")):  # fmt: skip
        refused = get(api_as, org.manager, "/calibration/agreement" + query)
        assert refused.status_code == 400
        assert refused.json["error"]["details"][0]["field"] == parameter


def test_list_filters(app: Flask, org: Organisation, api_as: Any) -> None:
    closed = make_session(app, org, close=True)
    with app.app_context():
        still_open = build_session(org, title="Open one").id
        db.session.commit()

    def ids(query: str) -> list[int]:
        answer = get(api_as, org.manager, "/calibration/sessions" + query)
        assert answer.status_code == 200, answer.json
        return [s["id"] for s in answer.json["data"]]

    assert ids("") == [closed, still_open]
    assert ids("?status=open") == [still_open]
    assert ids("?status=closed&scorecard=test-call&from=2026-11-20&to=2026-11-20") == [closed]
    assert ids("?from=2026-11-21") == []
    assert ids("?limit=1") == [closed]
    assert get(api_as, org.manager, "/calibration/sessions?status=x").status_code == 400
    assert get(api_as, org.manager, "/calibration/sessions?scorecard=nope").status_code == 400
