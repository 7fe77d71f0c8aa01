"""Who may open what: every route of the URL map, for every role.

A new route without an entry in ROUTES fails `test_every_route_is_in_the_matrix`, so access
is decided on purpose, not by accident. Routes of the JSON API (`auth="token"`) are called
with a personal API token of each role instead of a signed-in browser: without one they
answer 401 in JSON, never a redirect to the sign-in page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.auth.models import Role
from tests.conftest import Organisation, csrf_token, sign_in

ANONYMOUS = "anonymous"
ALL = frozenset(Role)
ADMIN = frozenset({Role.ADMIN})
EDITORS = frozenset({Role.ADMIN, Role.MANAGER})
READERS = frozenset({Role.ADMIN, Role.MANAGER, Role.SUPERVISOR})
EVALUATORS = frozenset({Role.MANAGER, Role.SUPERVISOR})
AGENT = frozenset({Role.AGENT})
COACHED = frozenset({Role.MANAGER, Role.SUPERVISOR, Role.AGENT})
PLAN = "/training/plans/{plan_id}"
EV = "/evaluations/{released_id}"
SC = "/scorecards/{scorecard}"
TOKEN = "/account/tokens/{token_id}"
USER_TOKENS = "/admin/users/{agent_a1}/tokens"
PROFILE = "/import-profiles/{profile_id}"
NOTE = "/notifications/{notification_id}"
CAL = "/calibration/{calibration_id}"
CAL_ITEM = CAL + "/items/{calibration_item_id}"
# A session page is 404 to whoever may not open it (agents above all: calibration never
# reaches them); the open session of `_calibration_ids` has supervisors A and B taking part.
CAL_HIDDEN = {"admin": 404, "agent": 404}
JOB = "/jobs/{job_id}"
# The job is the manager's: to the supervisor and the agent it does not exist.
NOT_THEIR_JOB = {"supervisor": 404, "agent": 404}
# Endpoints served by Flask and Bootstrap-Flask for static files.
STATIC_ENDPOINTS = {"static", "bootstrap.static"}


@dataclass(frozen=True)
class Route:
    """How to call an endpoint and which roles may (None = open to anyone)."""

    method: str
    path: str  # formatted with the ids of the `org` and `records` fixtures
    allowed: frozenset[Role] | None
    # Where a record-level rule gives an allowed role another answer (e.g. 404 for a record
    # outside their scope), role value → status code.
    exceptions: dict[str, int] = field(default_factory=dict)
    # "session": a signed-in browser; "token": the JSON API's `Authorization: Bearer …`.
    auth: str = "session"


def api_route(
    method: str,
    path: str,
    allowed: frozenset[Role] | None,
    exceptions: dict[str, int] | None = None,
) -> Route:
    """A JSON API route under /api/v1, called with a bearer token."""
    auth = "token" if allowed else "session"
    return Route(method, "/api/v1" + path, allowed, exceptions or {}, auth=auth)


ROUTES: dict[str, Route] = {
    "auth.login": Route("GET", "/login", None),
    "main.health": Route("GET", "/healthz", None),
    "main.index": Route("GET", "/", ALL),
    "auth.account": Route("GET", "/account", ALL),
    "auth.logout": Route("POST", "/logout", ALL),
    "auth.change_password": Route("POST", "/account/password", ALL),
    "auth.set_language": Route("POST", "/account/language", ALL),
    "admin.users": Route("GET", "/admin/users", ADMIN),
    "admin.create_user": Route("GET", "/admin/users/new", ADMIN),
    "admin.edit_user": Route("GET", "/admin/users/{agent_b1}", ADMIN),
    "admin.set_active": Route("POST", "/admin/users/{agent_b1}/active", ADMIN),
    "admin.confirm_deactivate": Route("GET", "/admin/users/{agent_b1}/deactivate", ADMIN),
    "admin.reset_password": Route("POST", "/admin/users/{agent_b1}/reset-password", ADMIN),
    "admin.identities": Route("GET", "/admin/users/{agent_b1}/identities", ADMIN),
    "admin.remove_identity": Route(
        "POST", "/admin/users/{agent_b1}/identities/{identity_id}/remove", ADMIN
    ),
    "admin.link_identity": Route("GET", "/admin/identities/link?source=pbx&external_id=X", ADMIN),
    "admin.import_identities": Route("GET", "/admin/identities/import", ADMIN),
    "teams.index": Route("GET", "/admin/teams", ADMIN),
    "teams.create": Route("GET", "/admin/teams/new", ADMIN),
    "teams.edit": Route("GET", "/admin/teams/{team_b}", ADMIN),
    "scorecards.index": Route("GET", "/scorecards/", READERS),
    "scorecards.create": Route("GET", "/scorecards/new", EDITORS),
    "scorecards.detail": Route("GET", SC, READERS),
    "scorecards.version": Route("GET", SC + "/versions/1", READERS),
    "scorecards.download": Route("GET", SC + "/versions/1/download", READERS),
    "scorecards.archive": Route("POST", SC + "/archive", EDITORS),
    "scorecards.start_draft": Route("POST", SC + "/draft/start", EDITORS),
    "scorecards.draft": Route("GET", SC + "/draft", EDITORS),
    "scorecards.draft_settings": Route("GET", SC + "/draft/settings", EDITORS),
    "scorecards.new_section": Route("GET", SC + "/draft/sections/new", EDITORS),
    "scorecards.edit_section": Route("GET", SC + "/draft/sections/0", EDITORS),
    "scorecards.new_criterion": Route("GET", SC + "/draft/sections/0/criteria/new", EDITORS),
    "scorecards.edit_criterion": Route("GET", SC + "/draft/sections/0/criteria/0", EDITORS),
    "scorecards.move": Route("POST", SC + "/draft/move", EDITORS),
    "scorecards.remove": Route("POST", SC + "/draft/remove", EDITORS),
    "scorecards.preview": Route("GET", SC + "/draft/preview", EDITORS),
    "scorecards.publish": Route("POST", SC + "/draft/publish", EDITORS),
    "scorecards.discard": Route("POST", SC + "/draft/discard", EDITORS),
    "interactions.index": Route("GET", "/interactions/", EVALUATORS),
    "interactions.create": Route("GET", "/interactions/new", EVALUATORS),
    "interactions.detail": Route("GET", "/interactions/{interaction_id}", EVALUATORS),
    "evaluations.sample": Route("GET", "/evaluations/sample", EVALUATORS),
    "interactions.import": Route("GET", "/interactions/import", EVALUATORS),
    "evaluations.queue": Route("GET", "/evaluations/queue", EVALUATORS),
    "evaluations.assignments": Route("GET", "/evaluations/assignments", EVALUATORS),
    # Supervisor A's assignment was not drawn by them in a sample: only managers reassign it.
    "evaluations.reassign_assignment": Route(
        "POST",
        "/evaluations/assignments/{assignment_id}/reassign",
        EVALUATORS,
        {Role.SUPERVISOR.value: 403},
    ),
    "evaluations.index": Route("GET", "/evaluations/", EVALUATORS),
    "evaluations.detail": Route("GET", EV, ALL),
    "evaluations.history": Route("GET", EV + "/history", ALL),
    "evaluations.edit": Route("GET", "/evaluations/{draft_id}/edit", EVALUATORS),
    "evaluations.live_score": Route("POST", "/evaluations/{draft_id}/score", EVALUATORS),
    "evaluations.release_view": Route("POST", "/evaluations/{submitted_id}/release", EVALUATORS),
    "evaluations.delete": Route("POST", "/evaluations/{draft_id}/delete", EVALUATORS),
    # The assignment is supervisor A's: nobody else may start it.
    "evaluations.start_assignment": Route(
        "POST",
        "/evaluations/start/assignment/{assignment_id}",
        EVALUATORS,
        {Role.MANAGER.value: 404},
    ),
    "evaluations.start_interaction": Route(
        "POST", "/evaluations/start/interaction/{interaction_id}", EVALUATORS
    ),
    "feedback.inbox": Route("GET", "/feedback/", AGENT),
    "feedback.acknowledge_view": Route("GET", "/feedback/{released_id}/acknowledge", AGENT),
    "feedback.dispute": Route("GET", "/feedback/{released_id}/dispute", AGENT),
    "disputes.index": Route("GET", "/disputes/", EVALUATORS),
    "stats.import": Route("GET", "/stats/import", EDITORS),
    "stats.mappings": Route("GET", "/stats/mappings", EDITORS),
    "stats.targets": Route("GET", "/stats/targets", EDITORS),
    # Import profiles: each kind's are its importers' (a statistics profile is the managers').
    "profiles.index": Route("GET", "/import-profiles/", READERS),
    "profiles.sample": Route("POST", "/import-profiles/sample", READERS),
    "profiles.save": Route("POST", "/import-profiles/save", READERS),
    "profiles.edit": Route("GET", PROFILE, READERS, {Role.SUPERVISOR.value: 403}),
    "profiles.download": Route("GET", PROFILE + "/profile.toml", READERS, {"supervisor": 403}),
    "profiles.delete": Route("POST", PROFILE + "/delete", READERS, {"supervisor": 403}),
    "stats.me": Route("GET", "/stats/me", AGENT),
    # Agent A1's page: their own, their supervisor's and the centre-wide roles'.
    "stats.agent": Route("GET", "/stats/agents/{agent_a1}", ALL),
    "stats.needed": Route("GET", "/stats/needed", READERS),
    "dashboards.team": Route("GET", "/dashboard/team", READERS),
    "dashboards.centre": Route("GET", "/dashboard/centre", EDITORS),
    # Calibration figures: evaluators only. Supervisor A takes part in the open session, so
    # its results page answers (with "results appear when…"); an evaluator outside a session
    # gets 404 (tests/calibration/test_results_pages.py).
    "calibration.results": Route("GET", "/calibration/{calibration_id}/results", EVALUATORS),
    "calibration.agreement": Route("GET", "/calibration/agreement", EVALUATORS),
    "dashboards.refresh_centre": Route("POST", "/dashboard/centre/refresh", EDITORS),
    "training.index": Route("GET", "/training/", COACHED),
    "training.catalogue": Route("GET", "/training/catalogue", COACHED),
    "training.follow_up": Route("GET", "/training/follow-up", EVALUATORS),
    "training.new_plan": Route("GET", "/training/agents/{agent_a2}/new", EVALUATORS),
    # Starts a job: 303 to the job's page.
    "training.propose_drafts": Route(
        "POST", "/training/draft-plans", EVALUATORS, {"manager": 303, "supervisor": 303}
    ),
    "training.detail": Route("GET", PLAN, COACHED),
    "training.add_item": Route("POST", PLAN + "/items", EVALUATORS),
    "training.edit_item": Route("GET", PLAN + "/items/{item_id}", EVALUATORS),
    "training.move_item": Route("POST", PLAN + "/items/{item_id}/move", EVALUATORS),
    "training.remove_item": Route("POST", PLAN + "/items/{item_id}/remove", EVALUATORS),
    "training.item_status": Route("POST", PLAN + "/items/{item_id}/status", COACHED),
    "training.notes": Route("POST", PLAN + "/notes", EVALUATORS),
    "training.issue": Route("POST", PLAN + "/issue", EVALUATORS),
    "training.acknowledge": Route("POST", PLAN + "/acknowledge", AGENT),
    "training.close": Route("POST", PLAN + "/close", EVALUATORS),
    "training.discard": Route("POST", PLAN + "/discard", EVALUATORS),
    "calibration.index": Route("GET", "/calibration/", EVALUATORS),
    # Supervisor A is no QA lead: only managers and QA leads open sessions.
    "calibration.new": Route("GET", "/calibration/new", EVALUATORS, {"supervisor": 403}),
    "calibration.session": Route("GET", CAL, ALL, CAL_HIDDEN),
    "calibration.score": Route("GET", CAL_ITEM, ALL, {**CAL_HIDDEN, "manager": 404}),
    "calibration.live_score": Route(
        "POST", CAL_ITEM + "/score", ALL, {**CAL_HIDDEN, "manager": 404}
    ),
    "calibration.close": Route("POST", CAL + "/close", ALL, {**CAL_HIDDEN, "supervisor": 403}),
    "calibration.promote": Route(
        "POST", CAL_ITEM + "/promote", ALL, {**CAL_HIDDEN, "supervisor": 403}
    ),
    "coaching.index": Route("GET", "/coaching/", COACHED),
    "coaching.new": Route("GET", "/coaching/agents/{agent_a1}/new", EVALUATORS),
    "coaching.detail": Route("GET", "/coaching/{session_id}", COACHED),
    "coaching.acknowledge": Route("POST", "/coaching/{session_id}/acknowledge", AGENT),
    "exports.index": Route("GET", "/exports/", READERS),
    "exports.feedback": Route("GET", "/exports/feedback", READERS),
    "exports.validity": Route("GET", "/exports/validity", READERS),
    "validity.index": Route("GET", "/validity/", READERS),
    # Managers and QA leads; supervisor A is not a QA lead.
    "exports.calibration": Route(
        "GET", "/exports/calibration", EVALUATORS, {Role.SUPERVISOR.value: 403}
    ),
    "audit_trail.index": Route("GET", "/audit/", EDITORS),
    "audit_trail.export": Route("POST", "/audit/export", EDITORS),
    "api_tokens.mine": Route("GET", "/account/tokens", ALL),
    # The token is agent A1's: nobody else may revoke it from their own account page.
    "api_tokens.revoke_mine": Route(
        "POST", TOKEN + "/revoke", ALL, {role: 404 for role in ("admin", "manager", "supervisor")}
    ),
    "privacy.download_my_data": Route("POST", "/account/my-data", ALL),
    "notifications.index": Route("GET", "/notifications/", ALL),
    "notifications.mark_all_read": Route("POST", "/notifications/read-all", ALL),
    "notifications.email_setting": Route("POST", "/notifications/email", ALL),
    # The notification is agent A1's: to anyone else it does not exist.
    "notifications.open_notification": Route(
        "POST", NOTE + "/open", ALL, {role: 404 for role in ("admin", "manager", "supervisor")}
    ),
    "notifications.mark_read": Route(
        "POST", NOTE + "/read", ALL, {role: 404 for role in ("admin", "manager", "supervisor")}
    ),
    "jobs.index": Route("GET", "/jobs/", ALL),
    "jobs.detail": Route("GET", JOB, ALL, NOT_THEIR_JOB),
    "jobs.status": Route("GET", JOB + "/status", ALL, NOT_THEIR_JOB),
    "jobs.download": Route("GET", JOB + "/download", ALL, NOT_THEIR_JOB),
    "maintenance.index": Route("GET", "/maintenance/", ADMIN),
    "maintenance.backup": Route("POST", "/maintenance/backup", ADMIN),
    "maintenance.integrity_check": Route("POST", "/maintenance/integrity-check", ADMIN),
    "privacy.anonymise": Route("GET", "/admin/users/{agent_b1}/anonymise", ADMIN),
    "api_tokens.for_user": Route("GET", USER_TOKENS, ADMIN),
    "api_tokens.revoke_for_user": Route("POST", USER_TOKENS + "/{token_id}/revoke", ADMIN),
    "api.openapi": api_route("GET", "/openapi.json", None),
    "api.agents": api_route("GET", "/agents", ALL),
    "api.agent_performance": api_route("GET", "/agents/{agent_a1}/performance", ALL),
    "api.interactions": api_route("GET", "/interactions", EVALUATORS),
    "api.create_interactions": api_route("POST", "/interactions", EVALUATORS),
    "api.evaluations": api_route("GET", "/evaluations", ALL),
    "api.evaluation": api_route("GET", "/evaluations/{released_id}", ALL),
    "api.post_stats": api_route("POST", "/stats", EDITORS),
    "api.scorecards": api_route("GET", "/scorecards", READERS),
    "api.scorecard_version": api_route("GET", "/scorecards/{scorecard}/versions/1", READERS),
    "api.training_plans": api_route("GET", "/training-plans", COACHED),
    # Calibration: agents' and administrators' lists are empty, every session 404 to them
    # (there is none here: tests/api/test_calibration.py reads real ones).
    "api.calibration_sessions": api_route("GET", "/calibration/sessions", ALL),
    "api.calibration_session": api_route(
        "GET", "/calibration/sessions/999999", ALL, {role.value: 404 for role in Role}
    ),
    "api.calibration_agreement": api_route(
        "GET", "/calibration/agreement?scorecard={scorecard}", ALL
    ),
    # The manager scored the disputed evaluation: they may not decide the dispute.
    "disputes.resolve": Route(
        "GET", "/disputes/{dispute_id}", EVALUATORS, {Role.MANAGER.value: 403}
    ),
    "disputes.live_score": Route(
        "POST", "/disputes/{dispute_id}/score", EVALUATORS, {Role.MANAGER.value: 403}
    ),
}

SIGNED_IN_AS = {
    Role.ADMIN: "admin",
    Role.MANAGER: "manager",
    Role.SUPERVISOR: "supervisor_a",
    Role.AGENT: "agent_a1",
}


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()} - STATIC_ENDPOINTS
    assert endpoints - set(ROUTES) == set(), "add the new routes to ROUTES"
    assert set(ROUTES) - endpoints == set(), "remove routes that no longer exist"


def test_every_view_declares_its_access(app: Flask) -> None:
    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint not in STATIC_ENDPOINTS and not hasattr(view, "allowed_roles")
    ]
    assert undeclared == [], "decorate these views with role_required(...) or public"


def test_declared_roles_match_the_matrix(app: Flask) -> None:
    views = {endpoint: app.view_functions[endpoint] for endpoint in ROUTES}
    declared = {
        endpoint: (view.allowed_roles, getattr(view, "authentication", "session"))
        for endpoint, view in views.items()
    }
    assert declared == {endpoint: (route.allowed, route.auth) for endpoint, route in ROUTES.items()}


def _open_draft(app: Flask, scorecard_id: int) -> str:
    """Give the records' scorecard an open draft (for the builder routes); its slug."""
    from qa_app.extensions import db
    from qa_app.scorecards.models import Scorecard

    with app.app_context():
        scorecard = db.session.get(Scorecard, scorecard_id)
        scorecard.draft = scorecard.versions[-1].definition
        scorecard.draft_revision = 1
        db.session.commit()
        return scorecard.slug


def _path(route: Route, values: dict[str, Any]) -> str:
    """The route's path with the ids of `values` (people, teams and records by name)."""
    ids = {key: getattr(value, "id", value) for key, value in values.items()}
    return route.path.format(**ids)


def _token_id(app: Flask, make_token: Any, owner: Any) -> int:
    """The id of a new API token of `owner` (for the token pages' routes)."""
    from qa_app.api.models import ApiToken
    from qa_app.extensions import db

    make_token(owner)
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.max(ApiToken.id)))


def _identity_id(app: Flask, agent: Any) -> int:
    """The id of a new identity of `agent` (for the identity pages' routes)."""
    from qa_app.auth.models import AgentIdentity
    from qa_app.extensions import db

    with app.app_context():
        identity = AgentIdentity(user_id=agent.id, source="pbx", external_id=f"P-{agent.id}")
        db.session.add(identity)
        db.session.commit()
        return identity.id


def _profile_id(app: Flask) -> int:
    """The id of a new statistics import profile (for the profile pages' routes)."""
    from qa_app.extensions import db
    from qa_app.profiles.models import ImportProfile

    with app.app_context():
        columns = {"Mitarbeiter": "agent", "Tag": "day", "Anrufe": "contacts_handled"}
        profile = ImportProfile(
            kind="statistics",
            source="acd-nord",
            definition={"kind": "statistics", "columns": columns},
        )
        db.session.add(profile)
        db.session.commit()
        return profile.id


def _calibration_ids(app: Flask, org: Organisation, *, closed: bool = False) -> dict[str, int]:
    """An open calibration session with supervisors A and B taking part (the manager
    organises it) and its first interaction; `closed`: one closed with the manager as the
    expert, who scored everything (for promoting)."""
    from qa_app.extensions import db
    from tests.calibration.conftest import build_session

    expert = {"greeting": True, "empathy": 4}
    with app.app_context():
        if closed:
            session = build_session(
                org,
                expert=org.manager,
                scores={org.manager.id: [expert, expert]},
                close=True,
                title="Closed calibration",
            )
        else:
            session = build_session(org, title="Open calibration")
        db.session.commit()
        return {"calibration_id": session.id, "calibration_item_id": session.items[0].id}


def _notification_id(app: Flask, recipient: Any) -> int:
    """The id of the newest notification of `recipient` (the records give agent A1 some)."""
    from qa_app.extensions import db
    from qa_app.notifications.models import Notification

    with app.app_context():
        newest = sa.select(sa.func.max(Notification.id))
        return db.session.scalar(newest.where(Notification.recipient_id == recipient.id))


def _calibration_id(app: Flask, org: Organisation) -> int:
    """The id of a new closed calibration session on agent A1's calls, scored by supervisor B
    and the manager (supervisor A, the signed-in supervisor, takes no part)."""
    from qa_app.extensions import db
    from tests.calibration.conftest import build_session

    answers = [{"greeting": True, "empathy": 4}]
    with app.app_context():
        session = build_session(
            org,
            participants=[org.supervisor_b, org.manager],
            interactions=1,
            scores={org.supervisor_b.id: answers, org.manager.id: answers},
            close=True,
            title="Route check",
        )
        db.session.commit()
        return session.id


def _check_token_route(
    route: Route, who: str, app: Flask, org: Organisation, values: dict[str, Any], make_token: Any
) -> None:
    """Call an API route with a token of `who`'s user (none for anonymous)."""
    headers = {}
    if who != ANONYMOUS:
        headers["Authorization"] = "Bearer " + make_token(org.member(SIGNED_IN_AS[Role(who)]))
    body = [] if route.method == "POST" else None
    response = app.test_client().open(
        _path(route, values), method=route.method, headers=headers, json=body
    )
    assert response.is_json, response.get_data(as_text=True)[:200]
    if who == ANONYMOUS:
        assert response.status_code == 401
        assert response.json["error"]["code"] == "unauthorized"
    elif who in route.exceptions:
        assert response.status_code == route.exceptions[who], response.json
    elif Role(who) in route.allowed:
        # An empty batch is refused as such (422): the token and the role were accepted.
        assert response.status_code in (200, 201, 422), response.json
    else:
        assert response.status_code == 403
        assert response.json["error"]["code"] == "forbidden"


@pytest.mark.parametrize("who", [ANONYMOUS, *Role])
@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_access(
    endpoint: str,
    who: str,
    app: Flask,
    org: Organisation,
    records: dict[str, int],
    make_token: Any,
) -> None:
    route = ROUTES[endpoint]
    values = {**org.members(), **records, "scorecard": _open_draft(app, records["scorecard_id"])}
    if route.auth == "token":
        _check_token_route(route, who, app, org, values, make_token)
        return
    if "{token_id}" in route.path:
        values["token_id"] = _token_id(app, make_token, org.agent_a1)
    if "{identity_id}" in route.path:
        values["identity_id"] = _identity_id(app, org.agent_b1)
    if "{profile_id}" in route.path:
        values["profile_id"] = _profile_id(app)
    if "{calibration_id}" in route.path:
        values["calibration_id"] = _calibration_id(app, org)
    if "{notification_id}" in route.path:
        values["notification_id"] = _notification_id(app, org.agent_a1)
    if "{calibration_id}" in route.path:
        values.update(_calibration_ids(app, org))
    client = app.test_client()
    if who != ANONYMOUS:
        assert sign_in(client, org.member(SIGNED_IN_AS[Role(who)]).email).status_code == 302
    data = {}
    if route.method == "POST":
        data["csrf_token"] = csrf_token(client, "/login" if who == ANONYMOUS else "/account")
    response = client.open(_path(route, values), method=route.method, data=data)
    response.close()  # a download's file, as a WSGI server closes it

    if route.allowed is None:
        expected_ok = True
    elif who == ANONYMOUS:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
        return
    else:
        expected_ok = Role(who) in route.allowed

    if who in route.exceptions:
        assert response.status_code == route.exceptions[who]
    elif expected_ok:
        assert response.status_code in (200, 302, 400), response.status_code
        assert not response.headers.get("Location", "").startswith("/login?")
    else:
        assert response.status_code == 403
