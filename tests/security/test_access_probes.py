"""IDOR probes: agent A1 and supervisor A walk every id of every record kind, one after the
other, and only what they may see answers 200; everything else is 404 (or 403 where the
role itself is refused), and no answer names or quotes another agent out of their sight.

The records are those of tests/security/access_world.py (agents A1, A2 and B1); what each prober may
see is written down here from the records' owners, not asked of the app's own scoping.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.api.models import ApiToken
from qa_app.auth.models import User
from qa_app.coaching.models import CoachingSession
from qa_app.evaluations.models import Dispute, Evaluation
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.training.models import TrainingPlan, TrainingPlanItem
from tests.conftest import Organisation, csrf_token, sign_in
from tests.security.access_world import build_world, marker

EVALUATIONS = ("draft", "submitted", "released", "disputed")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TABLES = {
    "evaluation": Evaluation,
    "dispute": Dispute,
    "plan": TrainingPlan,
    "session": CoachingSession,
    "interaction": Interaction,
}
# What each prober may open: agent A1 their own released feedback (the disputed evaluation
# included), plan and session; supervisor A everything of their team's agents A1 and A2.
SIGHT = {
    "agent_a1": {
        "evaluation": {("agent_a1", "released"), ("agent_a1", "disputed")},
        "agents": {"agent_a1"},
    },
    "supervisor_a": {
        "evaluation": {(a, kind) for a in ("agent_a1", "agent_a2") for kind in EVALUATIONS},
        "agents": {"agent_a1", "agent_a2"},
    },
}
OUT_OF_SIGHT = {
    "agent_a1": ("agent_a2", "agent_b1", "agent_b2"),
    "supervisor_a": ("agent_b1", "agent_b2"),
}


@pytest.fixture
def world(
    app: Flask, org: Organisation, make_scorecard: Any, make_evaluation: Any, job_results: Any
) -> dict[str, Any]:
    """A1's, A2's and B1's records (tests/security/access_world.py)."""
    return build_world(app, org, make_scorecard, make_evaluation)


def _visible(
    app: Flask, org: Organisation, world: dict[str, Any], prober: str, kind: str
) -> set[int]:
    """Ids of `kind` the prober may open."""
    if kind == "evaluation":
        return {world[agent][k] for agent, k in SIGHT[prober]["evaluation"]}
    agents = SIGHT[prober]["agents"]
    if kind == "interaction":  # every interaction of the agents in sight
        with app.app_context():
            return set(
                db.session.scalars(
                    sa.select(Interaction.id).where(
                        Interaction.agent_id.in_([org.member(agent).id for agent in agents])
                    )
                )
            )
    return {world[agent][kind] for agent in agents}


def _all_ids(app: Flask, kind: str) -> range:
    """1 .. the highest id of the kind's table + 2 (ids that do not exist are probed too)."""
    with app.app_context():
        highest = db.session.scalar(sa.select(sa.func.max(TABLES[kind].id)))
    return range(1, highest + 3)


def _forbidden_texts(app: Flask, org: Organisation, prober: str) -> list[str]:
    """Names, e-mail addresses and the free-text marker of the agents out of sight."""
    with app.app_context():
        users = {key: db.session.get(User, org.member(key).id) for key in OUT_OF_SIGHT[prober]}
        return [
            text
            for key, user in users.items()
            for text in (user.display_name, user.email, marker(key))
        ]


def _leaks(body: str, forbidden: list[str]) -> list[str]:
    return [text for text in forbidden if text in body]


def _browser(app: Flask, org: Organisation, prober: str) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client, org.member(prober).email).status_code == 302
    return client


def _walk(
    call: Any, ids: Iterable[int], visible: set[int], refused: int, forbidden: list[str]
) -> list[str]:
    """Call every id; a line for every answer that is not 200-if-visible-else-`refused`, and
    for every body that mentions an agent out of sight."""
    wrong = []
    for record_id in ids:
        response = call(record_id)
        body = response.get_data()
        response.close()  # a workbook's temporary file
        expected = 200 if record_id in visible else refused
        if response.status_code != expected:
            wrong.append(f"{response.request.path}: {response.status_code}, not {expected}")
        workbook = response.mimetype == XLSX  # zipped: read by the test itself
        if not workbook and (leaked := _leaks(body.decode(), forbidden)):
            wrong.append(f"{response.request.path} #{record_id} shows {leaked}")
    return wrong


# Browser pages about one record: (path, record kind walked, answer for the agent's
# refused ids, answer for the supervisor's).
PAGES = [
    ("/evaluations/{}", "evaluation", 404, 404),
    ("/evaluations/{}/history", "evaluation", 404, 404),
    ("/feedback/{}/acknowledge", "evaluation", 404, 403),
    ("/feedback/{}/dispute", "evaluation", 404, 403),
    ("/disputes/{}", "dispute", 403, 404),
    ("/training/plans/{}", "plan", 404, 404),
    ("/coaching/{}", "session", 404, 404),
    ("/interactions/{}", "interaction", 403, 404),
]


@pytest.mark.parametrize("prober", ["agent_a1", "supervisor_a"])
def test_walking_the_ids_of_every_record_page(
    prober: str, app: Flask, org: Organisation, world: dict[str, Any]
) -> None:
    """Every page of PAGES, every id of its kind (these are GETs: they change nothing)."""
    client = _browser(app, org, prober)
    forbidden = _forbidden_texts(app, org, prober)
    wrong = []
    for path, kind, agent_refused, supervisor_refused in PAGES:
        refused = agent_refused if prober == "agent_a1" else supervisor_refused
        # A role refused the page gets 403 whatever the id.
        visible = set() if refused == 403 else _visible(app, org, world, prober, kind)
        ids = _all_ids(app, kind)
        page = path.format
        wrong += _walk(lambda i, page=page: client.get(page(i)), ids, visible, refused, forbidden)
    assert wrong == [], "\n".join(wrong)


def _user_ids(app: Flask) -> range:
    with app.app_context():
        return range(1, db.session.scalar(sa.select(sa.func.max(User.id))) + 3)


@pytest.mark.parametrize("prober", ["agent_a1", "supervisor_a"])
def test_walking_the_agent_pages(
    prober: str, app: Flask, org: Organisation, world: dict[str, Any]
) -> None:
    """Every user id, agents or not: only the agents in sight have a page."""
    client = _browser(app, org, prober)
    visible = {org.member(agent).id for agent in SIGHT[prober]["agents"]}
    forbidden = _forbidden_texts(app, org, prober)
    wrong = _walk(
        lambda i: client.get(f"/stats/agents/{i}"), _user_ids(app), visible, 404, forbidden
    )
    assert wrong == [], "\n".join(wrong)


def _feedback_export(client: FlaskClient, token: str, agent_id: int) -> Any:
    # The world's evaluations are submitted today: the period ends tomorrow (UTC) so that it
    # holds them in any site time zone.
    today = date.today()
    return client.post(
        "/exports/feedback",
        data={
            "csrf_token": token,
            "agent_id": agent_id,
            "start": (today - timedelta(days=120)).isoformat(),
            "end": (today + timedelta(days=1)).isoformat(),
        },
    )


def test_walking_the_feedback_exports_as_the_supervisor(
    app: Flask, org: Organisation, world: dict[str, Any]
) -> None:
    """Only the team's agents can be chosen: any other id is not a valid choice (400), and
    neither the refusal nor the workbooks of A1 and A2 name anyone of team B."""
    client = _browser(app, org, "supervisor_a")
    token = csrf_token(client, "/exports/feedback")
    visible = {org.member(agent).id for agent in SIGHT["supervisor_a"]["agents"]}
    forbidden = _forbidden_texts(app, org, "supervisor_a")
    wrong = _walk(
        lambda i: _feedback_export(client, token, i), _user_ids(app), visible, 400, forbidden
    )
    assert wrong == [], "\n".join(wrong)
    for agent in SIGHT["supervisor_a"]["agents"]:
        response = _feedback_export(client, token, org.member(agent).id)
        data = response.get_data()
        response.close()
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        cells = " ".join(
            str(value)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
        book.close()
        assert marker(agent) in cells  # the workbook is the agent's …
        assert _leaks(cells, forbidden) == []  # … and nobody else's
        assert _leaks(cells, [marker("agent_a2" if agent == "agent_a1" else "agent_a1")]) == []
    # The form preselecting an agent out of sight shows nothing about them either.
    for agent in ("agent_b1", "agent_b2"):
        page = client.get(f"/exports/feedback?agent={org.member(agent).id}")
        assert page.status_code == 200
        assert _leaks(page.get_data(as_text=True), forbidden) == []


def test_agents_cannot_export_anyones_feedback(
    app: Flask, org: Organisation, world: dict[str, Any]
) -> None:
    client = _browser(app, org, "agent_a1")
    token = csrf_token(client, "/account")
    forbidden = _forbidden_texts(app, org, "agent_a1")
    wrong = _walk(
        lambda i: _feedback_export(client, token, i), _user_ids(app), set(), 403, forbidden
    )
    assert wrong == [], "\n".join(wrong)


@pytest.mark.parametrize("prober", ["agent_a1", "supervisor_a"])
def test_walking_the_api(prober: str, app: Flask, org: Organisation, world: dict[str, Any]) -> None:
    client = app.test_client()
    headers = {"Authorization": "Bearer " + world["secrets"][prober]}
    forbidden = _forbidden_texts(app, org, prober)
    wrong = _walk(
        lambda i: client.get(f"/api/v1/evaluations/{i}", headers=headers),
        _all_ids(app, "evaluation"),
        _visible(app, org, world, prober, "evaluation"),
        404,
        forbidden,
    )
    wrong += _walk(
        lambda i: client.get(f"/api/v1/agents/{i}/performance", headers=headers),
        _user_ids(app),
        {org.member(agent).id for agent in SIGHT[prober]["agents"]},
        404,
        forbidden,
    )
    assert wrong == [], "\n".join(wrong)


def test_a_record_of_ones_own_cannot_carry_someone_elses(
    app: Flask, org: Organisation, world: dict[str, Any]
) -> None:
    """Paths with two ids: the second must belong to the first."""
    own, other = world["agent_a1"], world["agent_a2"]
    agent = _browser(app, org, "agent_a1")
    token = csrf_token(agent, "/account")
    status = agent.post(
        f"/training/plans/{own['plan']}/items/{other['item']}/status",
        data={"csrf_token": token, "status": "done"},
    )
    assert status.status_code == 404
    supervisor = _browser(app, org, "supervisor_a")
    token = csrf_token(supervisor, "/account")
    own_b = world["agent_b1"]
    for path in (
        f"/training/plans/{own['plan']}/items/{own_b['item']}",
        f"/training/plans/{own['plan']}/items/{other['item']}",
    ):
        assert supervisor.get(path).status_code == 404, path
        assert supervisor.post(path + "/remove", data={"csrf_token": token}).status_code == 404
    admin = _browser(app, org, "admin")
    token = csrf_token(admin, "/account")
    revoke = admin.post(
        f"/admin/users/{org.agent_a1.id}/tokens/{world['tokens']['agent_b1']}/revoke",
        data={"csrf_token": token},
    )
    assert revoke.status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, world["tokens"]["agent_b1"]).revoked_at is None
        items = db.session.scalars(sa.select(TrainingPlanItem.status)).all()
        assert set(items) == {"assigned"}


# Lists filtered by an id in the query string: another team's or agent's id narrows the
# prober's own scope (to nothing), it never widens it. {team}/{agent}: team B, agent B1;
# {year_ago}/{tomorrow}: a period around today.
FILTERED_LISTS = [
    "/evaluations/?agent={agent}",
    "/interactions/?agent={agent}",
    "/training/?team={team}&status=issued",
    "/training/follow-up?team={team}&days=730",
    "/dashboard/team?team_id={team}&start={year_ago}&end={tomorrow}",
    "/exports/?team_id={team}&agent_id={agent}",
    "/api/v1/evaluations?agent={agent}",
    "/api/v1/evaluations?team={team}",
    "/api/v1/interactions?agent={agent}",
    "/api/v1/agents?team={team}",
    "/api/v1/training-plans?agent={agent}",
]


@pytest.mark.parametrize("prober", ["agent_a1", "supervisor_a"])
def test_filters_naming_another_team_show_nothing_of_it(
    prober: str, app: Flask, org: Organisation, world: dict[str, Any]
) -> None:
    client = _browser(app, org, prober)
    headers = {"Authorization": "Bearer " + world["secrets"][prober]}
    forbidden = _forbidden_texts(app, org, prober)
    wrong = []
    for template in FILTERED_LISTS:
        path = template.format(
            team=org.team_b.id,
            agent=org.agent_b1.id,
            year_ago=date.today() - timedelta(days=365),  # a period holding the world's
            tomorrow=date.today() + timedelta(days=1),  # evaluations, submitted today
        )
        response = client.get(path, headers=headers if path.startswith("/api/") else {})
        # 403: a role without the list; 400/422: an id out of scope is refused as unknown.
        if response.status_code not in (200, 400, 403, 422):
            wrong.append(f"{path}: {response.status_code}")
        if leaked := _leaks(response.get_data(as_text=True), forbidden):
            wrong.append(f"{path} shows {leaked}")
    assert wrong == [], "\n".join(wrong)
