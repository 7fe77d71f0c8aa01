"""The record dimension of the access matrix: every route with a record id in its path, for
every kind of viewer, on the viewer's own record, a record of the same team and one of
another team.

`tests/security/test_routes.py` decides who may call each route at all; here each route is called on
three records of the same kind (see tests/security/access_world.py): agent A1's ("own"), agent A2's
("same" team) and agent B1's ("other" team). From supervisor A's side A1 and A2 are both
their team's; supervisor_none supervises nobody and sees none of them; the manager and the
admin see the whole centre. For API tokens "own" is the viewer's own token.

Expected answers: OK (the route did its work or refused the empty form: 200, a redirect
that is not to the sign-in page, or 400), LOGIN (302 to sign-in; 401 from the JSON API),
403 (the role, or a rule about this record) or 404 (outside the viewer's scope, exactly as
if the record did not exist). A route with a path parameter and no entry here — for each
method it accepts — fails `test_every_route_with_a_parameter_has_a_record_entry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import Organisation, csrf_token, sign_in
from tests.security.access_world import RECORD_AGENTS, RELATIONS, VIEWERS, build_world
from tests.security.test_routes import STATIC_ENDPOINTS

OK, LOGIN, FORBIDDEN, MISSING = "OK", "LOGIN", 403, 404
Expected = tuple[Any, Any, Any]  # own, same team, other team
CENTRE: Expected = (OK, OK, OK)
TEAM: Expected = (OK, OK, MISSING)
OWN: Expected = (OK, MISSING, MISSING)
NONE: Expected = (MISSING, MISSING, MISSING)
DENIED: Expected = (FORBIDDEN, FORBIDDEN, FORBIDDEN)


def expect(**answers: Expected) -> dict[str, Expected]:
    """Expected answers per signed-in viewer; viewers not named are refused by their role."""
    unknown = set(answers) - set(VIEWERS)
    assert not unknown, unknown
    return {viewer: answers.get(viewer, DENIED) for viewer in VIEWERS[1:]}


READ_ALL = expect(
    admin=CENTRE, manager=CENTRE, supervisor_a=TEAM, supervisor_none=NONE, agent_a1=OWN
)
COACHED = expect(manager=CENTRE, supervisor_a=TEAM, supervisor_none=NONE, agent_a1=OWN)
COACHES = expect(manager=CENTRE, supervisor_a=TEAM, supervisor_none=NONE)
AGENT_OWN = expect(agent_a1=OWN)
ADMIN_ONLY = expect(admin=CENTRE)
NOBODY_ELSES = expect(
    admin=NONE, manager=NONE, supervisor_a=NONE, supervisor_none=NONE, agent_a1=OWN
)
# A job is its starter's, and the admin's to look into.
STARTER_AND_ADMIN = expect(
    admin=CENTRE, manager=NONE, supervisor_a=NONE, supervisor_none=NONE, agent_a1=OWN
)


@dataclass(frozen=True)
class RecordRoute:
    """A route called on a record: its path (with the record kinds of tests/security/access_world.py
    in braces) and the answers each viewer gets for (own, same team, other team)."""

    path: str
    expected: dict[str, Expected]
    auth: str = "session"  # or "token": the JSON API with the viewer's bearer token
    # An allowed call uses its record up (releases, deletes or removes it): a second viewer
    # allowed to make it needs records of their own.
    consumes: bool = False


PLAN = "/training/plans/{plan}"
ITEM = PLAN + "/items/{item}"
# Keyed by (endpoint, method): a route accepting GET and POST has an entry for each.
RECORD_ROUTES: dict[tuple[str, str], RecordRoute] = {
    ("evaluations.detail", "GET"): RecordRoute("/evaluations/{released}", READ_ALL),
    ("evaluations.history", "GET"): RecordRoute("/evaluations/{released}/history", READ_ALL),
    # Drafts are their evaluator's and a manager's to edit; supervisor A scored A1's and A2's.
    ("evaluations.edit", "GET"): RecordRoute("/evaluations/{draft}/edit", COACHES),
    ("evaluations.edit", "POST"): RecordRoute("/evaluations/{draft}/edit", COACHES),
    ("evaluations.live_score", "POST"): RecordRoute("/evaluations/{draft}/score", COACHES),
    ("evaluations.release_view", "POST"): RecordRoute(
        "/evaluations/{submitted}/release", COACHES, consumes=True
    ),
    ("evaluations.delete", "POST"): RecordRoute(
        "/evaluations/{draft}/delete", COACHES, consumes=True
    ),
    # An assignment is started only by the evaluator it is assigned to (supervisor A: A1, A2).
    ("evaluations.start_assignment", "POST"): RecordRoute(
        "/evaluations/start/assignment/{assignment}",
        expect(manager=NONE, supervisor_a=TEAM, supervisor_none=NONE),
    ),
    # Reassigned by managers, and by the supervisor who drew the sample (nobody here: these
    # assignments come from no sample, so supervisor A may not, and sees B1's not at all).
    ("evaluations.reassign_assignment", "POST"): RecordRoute(
        "/evaluations/assignments/{assignment}/reassign",
        expect(
            manager=CENTRE,
            supervisor_a=(FORBIDDEN, FORBIDDEN, MISSING),
            supervisor_none=NONE,
        ),
    ),
    ("evaluations.start_interaction", "POST"): RecordRoute(
        "/evaluations/start/interaction/{interaction}", COACHES
    ),
    ("interactions.detail", "GET"): RecordRoute("/interactions/{interaction}", COACHES),
    # The disputed evaluations were scored by the manager: they may not decide them.
    ("disputes.resolve", "GET"): RecordRoute(
        "/disputes/{dispute}", expect(manager=DENIED, supervisor_a=TEAM, supervisor_none=NONE)
    ),
    ("disputes.resolve", "POST"): RecordRoute(
        "/disputes/{dispute}", expect(manager=DENIED, supervisor_a=TEAM, supervisor_none=NONE)
    ),
    ("disputes.live_score", "POST"): RecordRoute(
        "/disputes/{dispute}/score",
        expect(manager=DENIED, supervisor_a=TEAM, supervisor_none=NONE),
    ),
    ("feedback.acknowledge_view", "GET"): RecordRoute(
        "/feedback/{released}/acknowledge", AGENT_OWN
    ),
    ("feedback.acknowledge_view", "POST"): RecordRoute(
        "/feedback/{released}/acknowledge", AGENT_OWN
    ),
    ("feedback.dispute", "GET"): RecordRoute("/feedback/{released}/dispute", AGENT_OWN),
    ("feedback.dispute", "POST"): RecordRoute("/feedback/{released}/dispute", AGENT_OWN),
    ("stats.agent", "GET"): RecordRoute("/stats/agents/{agent}", READ_ALL),
    # Every agent has an open plan, so the page sends the coach to it (a redirect: OK).
    ("training.new_plan", "GET"): RecordRoute("/training/agents/{agent}/new", COACHES),
    ("training.new_plan", "POST"): RecordRoute("/training/agents/{agent}/new", COACHES),
    ("coaching.new", "GET"): RecordRoute("/coaching/agents/{agent}/new", COACHES),
    ("coaching.new", "POST"): RecordRoute("/coaching/agents/{agent}/new", COACHES),
    ("training.detail", "GET"): RecordRoute(PLAN, COACHED),
    ("training.add_item", "POST"): RecordRoute(PLAN + "/items", COACHES),
    ("training.edit_item", "GET"): RecordRoute(ITEM, COACHES),
    ("training.edit_item", "POST"): RecordRoute(ITEM, COACHES),
    ("training.move_item", "POST"): RecordRoute(ITEM + "/move", COACHES),
    ("training.remove_item", "POST"): RecordRoute(ITEM + "/remove", COACHES, consumes=True),
    ("training.item_status", "POST"): RecordRoute(ITEM + "/status", COACHED),
    ("training.notes", "POST"): RecordRoute(PLAN + "/notes", COACHES),
    ("training.issue", "POST"): RecordRoute(PLAN + "/issue", COACHES),
    ("training.acknowledge", "POST"): RecordRoute(PLAN + "/acknowledge", AGENT_OWN),
    ("training.close", "POST"): RecordRoute(PLAN + "/close", COACHES),
    ("training.discard", "POST"): RecordRoute(PLAN + "/discard", COACHES),
    ("coaching.detail", "GET"): RecordRoute("/coaching/{session}", COACHED),
    ("coaching.acknowledge", "POST"): RecordRoute("/coaching/{session}/acknowledge", AGENT_OWN),
    ("admin.edit_user", "GET"): RecordRoute("/admin/users/{agent}", ADMIN_ONLY),
    ("admin.edit_user", "POST"): RecordRoute("/admin/users/{agent}", ADMIN_ONLY),
    ("admin.set_active", "POST"): RecordRoute("/admin/users/{agent}/active", ADMIN_ONLY),
    ("admin.confirm_deactivate", "GET"): RecordRoute("/admin/users/{agent}/deactivate", ADMIN_ONLY),
    ("admin.reset_password", "POST"): RecordRoute(
        "/admin/users/{agent}/reset-password", ADMIN_ONLY
    ),
    ("admin.identities", "GET"): RecordRoute("/admin/users/{agent}/identities", ADMIN_ONLY),
    ("admin.identities", "POST"): RecordRoute("/admin/users/{agent}/identities", ADMIN_ONLY),
    ("admin.remove_identity", "POST"): RecordRoute(
        "/admin/users/{agent}/identities/{identity}/remove", ADMIN_ONLY, consumes=True
    ),
    # A team record: "own" and "same" are team A (A1's and A2's), "other" is team B.
    ("teams.edit", "GET"): RecordRoute("/admin/teams/{team}", ADMIN_ONLY),
    ("teams.edit", "POST"): RecordRoute("/admin/teams/{team}", ADMIN_ONLY),
    # The world's agents are active: the admin is sent back to the user page with the reason.
    ("privacy.anonymise", "GET"): RecordRoute("/admin/users/{agent}/anonymise", ADMIN_ONLY),
    ("privacy.anonymise", "POST"): RecordRoute("/admin/users/{agent}/anonymise", ADMIN_ONLY),
    ("api_tokens.for_user", "GET"): RecordRoute("/admin/users/{agent}/tokens", ADMIN_ONLY),
    ("api_tokens.for_user", "POST"): RecordRoute("/admin/users/{agent}/tokens", ADMIN_ONLY),
    # Everyone revokes their own tokens only, whatever their role.
    ("api_tokens.revoke_mine", "POST"): RecordRoute(
        "/account/tokens/{token}/revoke", {viewer: OWN for viewer in VIEWERS[1:]}
    ),
    ("api_tokens.revoke_for_user", "POST"): RecordRoute(
        "/admin/users/{token_owner}/tokens/{token}/revoke", ADMIN_ONLY
    ),
    # A notification is its recipient's alone, whatever the role (the records' are agents').
    ("notifications.open_notification", "POST"): RecordRoute(
        "/notifications/{notification}/open", NOBODY_ELSES
    ),
    ("notifications.mark_read", "POST"): RecordRoute(
        "/notifications/{notification}/read", NOBODY_ELSES
    ),
    ("jobs.detail", "GET"): RecordRoute("/jobs/{job}", STARTER_AND_ADMIN),
    ("jobs.status", "GET"): RecordRoute("/jobs/{job}/status", STARTER_AND_ADMIN),
    ("jobs.download", "GET"): RecordRoute("/jobs/{job}/download", STARTER_AND_ADMIN),
    ("api.agent_performance", "GET"): RecordRoute(
        "/api/v1/agents/{agent}/performance", READ_ALL, auth="token"
    ),
    ("api.evaluation", "GET"): RecordRoute(
        "/api/v1/evaluations/{released}", READ_ALL, auth="token"
    ),
}

# Path parameters that name no one's record: scorecards are the centre's, read by every
# evaluator and edited by managers whatever the team (tests/security/test_routes.py covers their
# roles); a scorecard version and a section or criterion index belong to their scorecard.
UNOWNED = {
    "scorecards.detail",
    "scorecards.version",
    "scorecards.download",
    "scorecards.archive",
    "scorecards.start_draft",
    "scorecards.draft",
    "scorecards.draft_settings",
    "scorecards.new_section",
    "scorecards.edit_section",
    "scorecards.new_criterion",
    "scorecards.edit_criterion",
    "scorecards.move",
    "scorecards.remove",
    "scorecards.preview",
    "scorecards.publish",
    "scorecards.discard",
    "api.scorecard_version",
    # Import profiles are the centre's reading rules for a source system, not a team's record
    # (tests/security/test_routes.py covers who may open them).
    "profiles.edit",
    "profiles.download",
    "profiles.delete",
    # A calibration session belongs to its organiser and participants, not to a team's agent
    # (its pages are 404 to agents whoever's calls it holds): tests/security/test_routes.py
    # and tests/calibration/test_views.py cover who opens it.
    "calibration.session",
    "calibration.score",
    "calibration.live_score",
    "calibration.close",
    "calibration.promote",
    "calibration.results",
    # tests/api/test_calibration.py covers who may read it through the API.
    "api.calibration_session",
}


def test_every_route_with_a_parameter_has_a_record_entry(app: Flask) -> None:
    wanted = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.arguments and rule.endpoint not in STATIC_ENDPOINTS | UNOWNED
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert wanted - set(RECORD_ROUTES) == set(), "add these routes to RECORD_ROUTES"
    assert set(RECORD_ROUTES) - wanted == set(), "remove routes that no longer exist"
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints >= UNOWNED, "remove routes that no longer exist from UNOWNED"


def test_every_viewer_has_an_answer_for_every_relation() -> None:
    for key, route in RECORD_ROUTES.items():
        assert set(route.expected) == set(VIEWERS[1:]), key
        assert all(len(answers) == len(RELATIONS) for answers in route.expected.values()), key


def record_ids(world: dict[str, Any], org: Organisation, viewer: str) -> dict[str, dict]:
    """For each relation, the ids to fill a path with, seen from `viewer`."""
    ids = {}
    for relation, agent_key in RECORD_AGENTS.items():
        token_owner = agent_key
        if relation == "own" and viewer != "anonymous":
            token_owner = viewer  # a token is only ever its owner's own
        elif relation == "same" and viewer != "agent_a1":
            token_owner = "agent_a1"  # another user's token, of supervisor A's team
        ids[relation] = {
            **world[agent_key],
            "token": world["tokens"][token_owner],
            "token_owner": org.member(token_owner).id,
        }
    return ids


def _matches(expected: Any, response: Any, auth: str) -> bool:
    if expected == LOGIN:
        if auth == "token":
            return response.status_code == 401
        return response.status_code == 302 and response.headers["Location"].startswith("/login")
    if expected == OK:
        location = response.headers.get("Location", "")
        return response.status_code in (200, 302, 400) and not location.startswith("/login")
    return response.status_code == expected


def check_viewer(
    app: Flask,
    org: Organisation,
    world: dict[str, Any],
    key: tuple[str, str],
    viewer: str,
) -> list[str]:
    """Call the route on the three records as `viewer`; a line for every wrong answer."""
    endpoint, method = key
    route = RECORD_ROUTES[key]
    answers = (LOGIN,) * 3 if viewer == "anonymous" else route.expected[viewer]
    client: FlaskClient = app.test_client()
    headers, data = {}, {}
    if route.auth == "token":
        if viewer != "anonymous":
            headers["Authorization"] = "Bearer " + world["secrets"][viewer]
    else:
        if viewer != "anonymous":
            assert sign_in(client, org.member(viewer).email).status_code == 302
        if method == "POST":
            data["csrf_token"] = csrf_token(
                client, "/login" if viewer == "anonymous" else "/account"
            )
    wrong = []
    ids = record_ids(world, org, viewer)
    for relation, expected in zip(RELATIONS, answers, strict=True):
        path = route.path.format(**ids[relation])
        response = client.open(path, method=method, headers=headers, data=data)
        response.close()  # a download's file, as a WSGI server closes it
        if not _matches(expected, response, route.auth):
            got = response.status_code, response.headers.get("Location", "")
            wrong.append(
                f"{method} {endpoint} as {viewer} on the {relation} record ({path}): "
                f"expected {expected}, got {got}"
            )
    return wrong


@pytest.fixture
def world(
    app: Flask, org: Organisation, make_scorecard: Any, make_evaluation: Any, job_results: Any
) -> dict[str, Any]:
    """A1's, A2's and B1's records (tests/security/access_world.py)."""
    return build_world(app, org, make_scorecard, make_evaluation)


def _cases() -> list[Any]:
    """One test per route calls it as every viewer, the refused ones first (a refusal changes
    nothing; tests/security/test_workflow_rules.py checks that GET never does). A route whose call
    uses its record up gets one test per viewer it lets through, on fresh records."""
    cases = []
    for key, route in sorted(RECORD_ROUTES.items()):
        name = " ".join(key)
        allowed = [v for v, answers in route.expected.items() if OK in answers]
        refused = [v for v in VIEWERS if v not in allowed]
        if not route.consumes:
            cases.append(pytest.param(key, (*refused, *allowed), id=name))
            continue
        cases.append(pytest.param(key, (*refused, allowed[0]), id=f"{name} {allowed[0]}"))
        cases += [pytest.param(key, (viewer,), id=f"{name} {viewer}") for viewer in allowed[1:]]
    return cases


@pytest.mark.parametrize(("key", "viewers"), _cases())
def test_record_access(
    key: tuple[str, str],
    viewers: tuple[str, ...],
    app: Flask,
    org: Organisation,
    world: dict[str, Any],
) -> None:
    wrong = [line for viewer in viewers for line in check_viewer(app, org, world, key, viewer)]
    assert wrong == [], "\n".join(wrong)
