"""Workflow and field rules through the browser: who may decide a dispute, how a released
evaluation may change, that fields a form does not have are ignored (and that no form is
taken without the session's CSRF token), and that GET changes nothing — for every route of
the matrix, not a chosen few.

The services' own rules are tested in tests/evaluations/test_services.py (who may decide,
edits after release); here the same rules are checked at the door a browser uses.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import Role, User
from qa_app.evaluations.models import Dispute, DisputeStatus, Evaluation, EvaluationStatus
from qa_app.extensions import db
from tests.conftest import PASSWORD, Organisation, csrf_token, sign_in
from tests.security.db_fingerprint import changed_tables, fingerprint, table_rows
from tests.security.test_routes import (
    ANONYMOUS,
    ROUTES,
    SIGNED_IN_AS,
    _calibration_ids,
    _open_draft,
    _path,
    _profile_id,
)

UPHOLD = {
    "decision": "uphold",
    "note": "Re-scored.",
    "answer-greeting": "yes",
    "answer-empathy": "5",
}


def _browser(app: Flask, user: User | None) -> tuple[FlaskClient, str]:
    """A client signed in as `user` (None: anonymous) and its CSRF token."""
    client = app.test_client()
    if user is not None:
        assert sign_in(client, user.email).status_code == 302
    return client, csrf_token(client, "/login" if user is None else "/account")


def _dispute(app: Flask, dispute_id: int) -> tuple[Any, ...]:
    with app.app_context():
        dispute = db.session.get(Dispute, dispute_id)
        evaluation = dispute.evaluation
        return dispute.status, dispute.resolved_by_id, evaluation.status, evaluation.score


def _lock(app: Flask, evaluation_id: int) -> int:
    with app.app_context():
        return db.session.get(Evaluation, evaluation_id).lock_version


# --- disputes --------------------------------------------------------------------------------


@pytest.mark.parametrize("decision", [{"decision": "reject", "note": "No."}, UPHOLD])
def test_an_agent_cannot_decide_their_own_dispute(
    decision: dict[str, str], app: Flask, org: Organisation, records: dict[str, int]
) -> None:
    path = f"/disputes/{records['dispute_id']}"
    before = _dispute(app, records["dispute_id"])
    agent, token = _browser(app, org.agent_a1)
    assert agent.get(path).status_code == 403
    data = {**decision, "lock_version": _lock(app, records["disputed_id"]), "csrf_token": token}
    assert agent.post(path, data=data).status_code == 403
    assert _dispute(app, records["dispute_id"]) == before
    assert before[0] == DisputeStatus.OPEN


@pytest.mark.parametrize("decision", [{"decision": "reject", "note": "No."}, UPHOLD])
def test_an_evaluator_cannot_decide_a_dispute_about_their_own_evaluation(
    decision: dict[str, str], app: Flask, org: Organisation, records: dict[str, int]
) -> None:
    """The records' dispute is about an evaluation the manager scored: the manager is
    refused; supervisor A, who did not score it, decides it."""
    path = f"/disputes/{records['dispute_id']}"
    data = {**decision, "lock_version": _lock(app, records["disputed_id"])}
    before = _dispute(app, records["dispute_id"])
    manager, token = _browser(app, org.manager)
    assert manager.get(path).status_code == 403
    assert manager.post(path, data={**data, "csrf_token": token}).status_code == 403
    assert _dispute(app, records["dispute_id"]) == before

    supervisor, token = _browser(app, org.supervisor_a)
    assert supervisor.post(path, data={**data, "csrf_token": token}).status_code == 302
    status, resolver, evaluation_status, _ = _dispute(app, records["dispute_id"])
    assert status != DisputeStatus.OPEN and evaluation_status == EvaluationStatus.RESOLVED
    assert resolver == org.supervisor_a.id


def test_the_supervisor_who_scored_it_cannot_decide_the_agents_dispute(
    app: Flask, org: Organisation, records: dict[str, int]
) -> None:
    """Supervisor A scored the released evaluation; agent A1 disputes it on the web."""
    released = records["released_id"]
    agent, token = _browser(app, org.agent_a1)
    sent = agent.post(
        f"/feedback/{released}/dispute", data={"reason": "I did.", "csrf_token": token}
    )
    assert sent.status_code == 302
    with app.app_context():
        dispute_id = db.session.scalar(
            sa.select(Dispute.id).where(Dispute.evaluation_id == released)
        )
    path = f"/disputes/{dispute_id}"
    data = {**UPHOLD, "lock_version": _lock(app, released)}
    supervisor, token = _browser(app, org.supervisor_a)
    assert supervisor.get(path).status_code == 403
    assert supervisor.post(path, data={**data, "csrf_token": token}).status_code == 403
    assert _dispute(app, dispute_id)[0] == DisputeStatus.OPEN
    manager, token = _browser(app, org.manager)
    assert manager.post(path, data={**data, "csrf_token": token}).status_code == 302
    assert _dispute(app, dispute_id)[:3] == (
        DisputeStatus.UPHELD,
        org.manager.id,
        EvaluationStatus.RESOLVED,
    )


# --- a released evaluation changes only through a dispute ------------------------------------

EVALUATION_TABLES = ("evaluation", "answer", "evaluation_revision", "dispute")


@pytest.mark.parametrize("who", ["supervisor_a", "manager"])
def test_a_released_evaluation_is_not_changed_outside_the_dispute_path(
    who: str, app: Flask, org: Organisation, records: dict[str, int]
) -> None:
    released = records["released_id"]
    client, token = _browser(app, org.member(who))
    before = fingerprint(app)
    answers = {"answer-greeting": "no", "answer-empathy": "1", "csrf_token": token}
    lock = str(_lock(app, released))
    attempts = [
        (f"/evaluations/{released}/edit", {**answers, "lock_version": lock}, 302),
        (f"/evaluations/{released}/edit", {**answers, "lock_version": lock, "submit": "y"}, 302),
        (f"/evaluations/{released}/delete", {"csrf_token": token}, 302),
        (f"/evaluations/{released}/release", {"csrf_token": token}, 403),
    ]
    if who == "supervisor_a":
        # Starting the interaction again opens the evaluator's own, released evaluation …
        attempts.append(
            (
                f"/evaluations/start/interaction/{_interaction_of(app, released)}",
                {"scorecard_id": records["scorecard_id"], "csrf_token": token},
                302,
            )
        )
    for path, data, status in attempts:
        response = client.post(path, data=data)
        assert response.status_code == status, (path, response.status_code)
        if response.status_code == 302 and "/edit" in response.headers["Location"]:
            # … whose form sends the editor back to the read-only page.
            assert client.get(response.headers["Location"]).status_code == 302
    after = fingerprint(app)
    assert [name for name in changed_tables(before, after) if name in EVALUATION_TABLES] == []
    with app.app_context():
        assert db.session.get(Evaluation, released).status == EvaluationStatus.RELEASED


def _interaction_of(app: Flask, evaluation_id: int) -> int:
    with app.app_context():
        return db.session.get(Evaluation, evaluation_id).interaction_id


# --- no state changes on GET -----------------------------------------------------------------

# The one GET that writes, and all it may write: the health check rewrites its probe row to
# prove the database can still save (qa_app/main/health.py).
WRITES_ON_GET = {"main.health": ["health_probe"]}


def _get_routes(role: str) -> list[str]:
    """Endpoints of the matrix answered to a GET by `role` (anonymous: the public ones)."""
    return sorted(
        endpoint
        for endpoint, route in ROUTES.items()
        if route.method == "GET"
        and (route.allowed is None or (role != ANONYMOUS and Role(role) in route.allowed))
    )


@pytest.mark.parametrize("role", [ANONYMOUS, *(role.value for role in Role)])
def test_no_get_changes_the_database(
    role: str, app: Flask, org: Organisation, records: dict[str, int], make_token: Any
) -> None:
    """Every GET route of the matrix, for every role allowed to call it; the fingerprint is
    taken after signing in (which writes its session and an audit row)."""
    ids = {**org.members(), **records, "scorecard": _open_draft(app, records["scorecard_id"])}
    ids["profile_id"] = _profile_id(app)
    ids.update(_calibration_ids(app, org))
    user = None if role == ANONYMOUS else org.member(SIGNED_IN_AS[Role(role)])
    client, _ = _browser(app, user)
    headers = {}
    if user is not None:
        headers["Authorization"] = "Bearer " + make_token(user)
        client.get("/api/v1/agents", headers=headers)  # a token's first use is audited
    endpoints = _get_routes(role)
    assert endpoints, role
    state = fingerprint(app)
    for endpoint in endpoints:
        route = ROUTES[endpoint]
        response = client.get(_path(route, ids), headers=headers if route.auth == "token" else {})
        response.close()
        expected = route.exceptions.get(role, 200)  # 403: a dispute about one's own scoring
        assert response.status_code in (expected, 302), (endpoint, response.status_code)
        now = fingerprint(app)
        wrote = changed_tables(state, now)
        assert wrote == WRITES_ON_GET.get(endpoint, []), f"GET {endpoint} as {role} wrote"
        state = now


# --- fields a form does not have are ignored -------------------------------------------------


@dataclass(frozen=True)
class FormPost:
    """A valid POST to a form route: who sends it, where, with which fields. Values are
    formatted with the ids of `org`, `records` and the `scene` fixture."""

    who: str
    path: str
    data: dict[str, Any] = field(default_factory=dict)
    status: int = 302
    writes: bool = True  # False: the route stores nothing even when it succeeds
    upload: str | None = None  # CSV text sent as the form's file
    draft: bool = True  # give the scorecard an open draft first
    csrf_field: str = "csrf_token"  # a prefixed form's: "<prefix>-csrf_token"


CARD = "/scorecards/test-call"
DUE_ON = (date.today() + timedelta(days=30)).isoformat()  # a sample's due date is not past
PLAN = "/training/plans/{plan_id}"
ITEM = PLAN + "/items/{item_id}"
USER_FORM = {"email": "renamed@example.test", "display_name": "Renamed", "role": "agent"}
STATS_CSV = "Agent;Date;Calls Handled\na1@example.test;2026-11-02;4\n"
CALLS_CSV = "Agent;Media Type;Start Time;Call ID\na2@example.test;Voice;2026-11-02 09:15;C-900\n"
PERIOD = {"start": "2026-08-01", "end": "2026-11-30"}
IDENTITIES_CSV = "E-mail,Source,External ID\na2@example.test,genesys,G-2\n"
# One valid post for every form-handling POST route of the URL map (the JSON API's POST
# routes take no form; tests/api/test_writes.py covers their bodies).
FORM_POSTS: dict[str, FormPost] = {
    "auth.login": FormPost(ANONYMOUS, "/login", {"email": "a1@example.test", "password": PASSWORD}),
    "auth.logout": FormPost("agent_a1", "/logout", writes=False),
    "dashboards.refresh_centre": FormPost("manager", "/dashboard/centre/refresh", writes=False),
    "auth.change_password": FormPost(
        "agent_a1",
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": "a brand new passphrase 42",
            "confirm": "a brand new passphrase 42",
        },
    ),
    "auth.set_language": FormPost("agent_a1", "/account/language", {"locale": "en"}),
    "privacy.download_my_data": FormPost("agent_a1", "/account/my-data", status=200),
    "privacy.anonymise": FormPost(
        "admin", "/admin/users/{agent_gone}/anonymise", {"confirm_email": "gone@example.test"}
    ),
    "admin.create_user": FormPost(
        "admin", "/admin/users/new", {**USER_FORM, "team_id": "{team_a}"}, status=200
    ),
    "admin.edit_user": FormPost(
        "admin", "/admin/users/{agent_a1}", {**USER_FORM, "team_id": "{team_a}"}
    ),
    "admin.set_active": FormPost("admin", "/admin/users/{agent_a2}/active", {"active": "0"}),
    "admin.reset_password": FormPost("admin", "/admin/users/{agent_a2}/reset-password", status=200),
    "admin.identities": FormPost(
        "admin", "/admin/users/{agent_a2}/identities", {"source": "pbx", "external_id": "P-2"}
    ),
    "admin.remove_identity": FormPost(
        "admin", "/admin/users/{agent_a1}/identities/{identity_id}/remove"
    ),
    "admin.link_identity": FormPost(
        "admin",
        "/admin/identities/link",
        {"source": "five9", "external_id": "ann.a", "user_id": "{agent_a2}"},
    ),
    "admin.import_identities": FormPost(
        "admin", "/admin/identities/import", {}, upload=IDENTITIES_CSV
    ),
    "teams.create": FormPost(
        "admin",
        "/admin/teams/new",
        {
            "name": "Team C",
            "release_mode": "manual",
            "evaluations_per_agent_month": "3",
            "supervisor_ids": "{supervisor_none}",
        },
    ),
    "teams.edit": FormPost(
        "admin",
        "/admin/teams/{team_a}",
        {
            "name": "Team A renamed",
            "release_mode": "manual",
            "evaluations_per_agent_month": "5",
            "supervisor_ids": "{supervisor_a}",
            "agent_ids": ["{agent_a1}", "{agent_a2}"],
        },
    ),
    "api_tokens.mine": FormPost("agent_a1", "/account/tokens", {"name": "script"}, status=200),
    "api_tokens.revoke_mine": FormPost("agent_a1", "/account/tokens/{token_id}/revoke"),
    "api_tokens.for_user": FormPost(
        "admin", "/admin/users/{agent_a1}/tokens", {"name": "BI tool"}, status=200
    ),
    "api_tokens.revoke_for_user": FormPost(
        "admin", "/admin/users/{agent_a1}/tokens/{token_id}/revoke"
    ),
    "scorecards.create": FormPost(
        "manager",
        "/scorecards/new",
        {"name": "Chat", "slug": "chat", "channels": "chat", "pass_mark": "75"},
    ),
    "scorecards.archive": FormPost("manager", CARD + "/archive", {"archived": "1"}),
    "scorecards.start_draft": FormPost("manager", CARD + "/draft/start", draft=False),
    "scorecards.draft_settings": FormPost(
        "manager",
        CARD + "/draft/settings",
        {
            "revision": "1",
            "name": "Calls",
            "slug": "test-call",
            "channels": "phone",
            "pass_mark": "70",
        },
    ),
    "scorecards.new_section": FormPost(
        "manager", CARD + "/draft/sections/new", {"revision": "1", "title": "Closing"}
    ),
    "scorecards.edit_section": FormPost(
        "manager", CARD + "/draft/sections/0", {"revision": "1", "title": "Welcome"}
    ),
    "scorecards.new_criterion": FormPost(
        "manager",
        CARD + "/draft/sections/0/criteria/new",
        {
            "revision": "1",
            "label": "Hold",
            "key": "hold",
            "guidance": "Asks before holding.",
            "kind": "yes_no",
            "weight": "1",
        },
    ),
    "scorecards.edit_criterion": FormPost(
        "manager",
        CARD + "/draft/sections/0/criteria/0",
        {
            "revision": "1",
            "label": "Greets",
            "key": "greeting",
            "guidance": "Names the brand.",
            "kind": "yes_no",
            "weight": "2",
        },
    ),
    "scorecards.move": FormPost(
        "manager",
        CARD + "/draft/move",
        {"revision": "1", "section": "0", "criterion": "0", "offset": "1"},
    ),
    "scorecards.remove": FormPost(
        "manager", CARD + "/draft/remove", {"revision": "1", "section": "0", "criterion": "1"}
    ),
    "scorecards.publish": FormPost("manager", CARD + "/draft/publish", {"revision": "1"}),
    "scorecards.discard": FormPost("manager", CARD + "/draft/discard", {"revision": "1"}),
    "interactions.create": FormPost(
        "supervisor_a",
        "/interactions/new",
        {"agent_id": "{agent_a2}", "channel": "phone", "occurred_at": "2026-11-01T10:00"},
    ),
    "interactions.import": FormPost(
        "supervisor_a", "/interactions/import", {"source": "acd"}, upload=CALLS_CSV
    ),
    "evaluations.sample": FormPost(
        "supervisor_a",
        "/evaluations/sample",
        {
            "team_id": "{team_a}",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "per_agent": "1",
            "seed": "7",
            "due_on": DUE_ON,
        },
    ),
    "evaluations.reassign_assignment": FormPost(
        "manager",
        "/evaluations/assignments/{new_assignment_id}/reassign",
        {"evaluator_id": "{manager}"},
    ),
    "evaluations.edit": FormPost(
        "supervisor_a",
        "/evaluations/{draft_id}/edit",
        {"lock_version": "{draft_lock}", "answer-greeting": "yes", "answer-empathy": "1"},
    ),
    "evaluations.live_score": FormPost(
        "supervisor_a",
        "/evaluations/{draft_id}/score",
        {"answer-greeting": "yes"},
        status=200,
        writes=False,
    ),
    "evaluations.release_view": FormPost("supervisor_a", "/evaluations/{submitted_id}/release"),
    "evaluations.delete": FormPost("supervisor_a", "/evaluations/{draft_id}/delete"),
    "evaluations.start_assignment": FormPost(
        "supervisor_a", "/evaluations/start/assignment/{new_assignment_id}"
    ),
    "evaluations.start_interaction": FormPost(
        "supervisor_a",
        "/evaluations/start/interaction/{new_interaction_id}",
        {"scorecard_id": "{scorecard_id}"},
    ),
    "feedback.acknowledge_view": FormPost(
        "agent_a1", "/feedback/{released_id}/acknowledge", {"comment": "Thanks."}
    ),
    "feedback.dispute": FormPost(
        "agent_a1",
        "/feedback/{released_id}/dispute",
        {"reason-greeting": "I did greet.", "criterion_keys": "greeting"},
    ),
    "disputes.resolve": FormPost(
        "supervisor_a",
        "/disputes/{dispute_id}",
        {"decision": "reject", "note": "The score stands.", "lock_version": "{disputed_lock}"},
    ),
    "disputes.live_score": FormPost(
        "supervisor_a",
        "/disputes/{dispute_id}/score",
        {"answer-greeting": "yes"},
        status=200,
        writes=False,
    ),
    "stats.import": FormPost("manager", "/stats/import", {"source": "acd"}, upload=STATS_CSV),
    "profiles.sample": FormPost(
        "manager",
        "/import-profiles/sample",
        {"kind": "statistics", "source": "acd"},
        status=200,
        writes=False,
        upload=STATS_CSV,
    ),
    "profiles.save": FormPost(
        "manager",
        "/import-profiles/save",
        {
            "profile-kind": "statistics",
            "profile-headers": '["Agent", "Date", "Calls Handled"]',
            "profile-source": "acd",
            "field": ["agent", "day", "contacts_handled"],
        },
        csrf_field="profile-csrf_token",
    ),
    "profiles.delete": FormPost("manager", "/import-profiles/{profile_id}/delete"),
    "stats.mappings": FormPost(
        "manager", "/stats/mappings", {"source": "acd", "contacts_handled": "Calls"}
    ),
    "stats.targets": FormPost(
        "manager",
        "/stats/targets?team={team_a}&kpi=aht_seconds",
        {"target": "300", "direction": "lower", "weight": "2"},
    ),
    "training.new_plan": FormPost(
        "supervisor_a",
        "/training/agents/{agent_a3}/new",
        {"period_start": "2026-08-01", "period_end": "2026-10-31", "blank": "y"},
    ),
    # Supervisor A's team: A1 and A2 have open plans, A3 too few evaluations (a job).
    "training.propose_drafts": FormPost(
        "supervisor_a", "/training/draft-plans", {"team_id": "{team_a}"}, status=303
    ),
    "training.add_item": FormPost(
        "supervisor_a", PLAN + "/items", {"module_id": "{free_module_id}", "due_on": "2026-12-31"}
    ),
    "training.edit_item": FormPost(
        "supervisor_a", ITEM, {"due_on": "2026-12-20", "coach_notes": "Try the role play."}
    ),
    "training.move_item": FormPost("supervisor_a", ITEM + "/move", {"direction": "down"}),
    "training.remove_item": FormPost("supervisor_a", ITEM + "/remove"),
    "training.item_status": FormPost("agent_a1", ITEM + "/status", {"status": "done"}),
    "training.notes": FormPost("supervisor_a", PLAN + "/notes", {"notes": "Keep going."}),
    "training.issue": FormPost("supervisor_a", "/training/plans/{draft_plan_id}/issue"),
    "training.acknowledge": FormPost("agent_a1", PLAN + "/acknowledge", {"comment": "Will do."}),
    "training.close": FormPost("supervisor_a", PLAN + "/close", {"note": "Done."}),
    "training.discard": FormPost("supervisor_a", "/training/plans/{draft_plan_id}/discard"),
    "coaching.new": FormPost(
        "supervisor_a",
        "/coaching/agents/{agent_a1}/new",
        {"held_on": "2026-11-20", "notes": "Talked it through.", "evaluation_ids": "{released_id}"},
    ),
    "coaching.acknowledge": FormPost(
        "agent_a1", "/coaching/{session_id}/acknowledge", {"comment": "Agreed."}
    ),
    "calibration.new": FormPost(
        "manager",
        "/calibration/new",
        {
            "title": "December calibration",
            "scorecard_id": "{scorecard_id}",
            "team_id": "0",
            "agent_id": "0",
            "interaction_ids": ["{new_interaction_id}"],
            "participant_ids": ["{supervisor_a}", "{manager}"],
            "expert_id": "0",
            "tolerance_points": "5",
            "submit": "y",
        },
    ),
    "calibration.score": FormPost(
        "supervisor_a",
        "/calibration/{calibration_id}/items/{calibration_item_id}",
        {"answer-greeting": "yes", "save": "y"},
    ),
    "calibration.live_score": FormPost(
        "supervisor_a",
        "/calibration/{calibration_id}/items/{calibration_item_id}/score",
        {"answer-greeting": "yes"},
        status=200,
        writes=False,
    ),
    "calibration.close": FormPost(
        "manager", "/calibration/{calibration_id}/close", {"confirm": "y"}
    ),
    "calibration.promote": FormPost(
        "manager",
        "/calibration/{closed_calibration_id}/items/{closed_calibration_item_id}/promote",
    ),
    "notifications.open_notification": FormPost(
        "agent_a1", "/notifications/{notification_id}/open"
    ),
    "notifications.mark_read": FormPost("agent_a1", "/notifications/{notification_id}/read"),
    "notifications.mark_all_read": FormPost("agent_a1", "/notifications/read-all"),
    "notifications.email_setting": FormPost("agent_a1", "/notifications/email", {"email": "y"}),
    "exports.index": FormPost(
        "manager",
        "/exports/",
        {**PERIOD, "team_id": "0", "agent_id": "0", "scorecard": "", "channel": ""},
        status=200,
    ),
    "exports.feedback": FormPost(
        "supervisor_a", "/exports/feedback", {**PERIOD, "agent_id": "{agent_a1}"}, status=200
    ),
    "exports.validity": FormPost(
        "supervisor_a",
        "/exports/validity",
        {**PERIOD, "team_id": "0", "scorecard": "", "channel": ""},
        status=200,
    ),
    "exports.calibration": FormPost(
        "manager", "/exports/calibration", {**PERIOD, "scorecard": ""}, status=200
    ),
    "audit_trail.export": FormPost(
        "manager", "/audit/export", {**PERIOD, "actor_id": "{supervisor_a}"}, status=200
    ),
    "maintenance.backup": FormPost("admin", "/maintenance/backup"),
    "maintenance.integrity_check": FormPost("admin", "/maintenance/integrity-check"),
}
# Posted beside every form's own fields: a form that lacks one of them must not store it.
# Text values are marked "xtra" (found anywhere they land); ids point at people and records
# no request here concerns (supervisor B, agent B2, team B, a missing evaluation).
EXTRA_FIELDS = {
    "score": "12.5",
    "raw_score": "12.5",
    "status": "xtra-status",
    "role": "xtra-role",
    "released_at": "2001-02-03T04:05:06",
    "submitted_at": "2001-02-03T04:05:06",
    "lock_version": "777",
    "revision": "77",
    "auto_failed": "1",
    "active": "0",
    "agent_id": "{agent_b2}",
    "evaluator_id": "{supervisor_b}",
    "user_id": "{supervisor_b}",
    "actor_id": "{supervisor_b}",
    "created_by_id": "{supervisor_b}",
    "coach_id": "{supervisor_b}",
    "resolved_by_id": "{supervisor_b}",
    "raised_by_id": "{supervisor_b}",
    "team_id": "{team_b}",
    "evaluation_id": "99999",
    "scorecard_version_id": "99999",
    "display_name": "xtra-name",
    "email": "xtra@example.test",
    "comment": "xtra-comment",
}
TEXT_MARK = "xtra"


def test_every_form_route_has_a_post_with_extra_fields(app: Flask) -> None:
    posting = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if "POST" in rule.methods and not rule.endpoint.startswith("api.")
    }
    assert posting - set(FORM_POSTS) == set(), "add a valid post of these routes to FORM_POSTS"
    assert set(FORM_POSTS) - posting == set(), "remove routes that no longer exist"


@pytest.fixture
def scene(
    app: Flask, org: Organisation, records: dict[str, int], make_token: Any, make_user: Any
) -> dict:
    """What the posts need beyond `records`: agent A1's plan gets a second item (to move),
    a free catalogue module (to add), agent A2 a draft plan (to issue or discard), a new
    agent A3 without a plan (to propose one), a new unassessed interaction in supervisor A's
    queue, an API token of agent A1 (to revoke) and a departed agent (to anonymise)."""
    from qa_app.api.models import ApiToken
    from qa_app.auth.models import AgentIdentity
    from qa_app.evaluations.models import Assignment
    from qa_app.interactions.services import create_interaction
    from qa_app.notifications.models import Notification
    from qa_app.training import plans
    from qa_app.training.models import TrainingModule, TrainingPlan

    make_token(org.agent_a1)
    profile_id = _profile_id(app)
    calibration = _calibration_ids(app, org)
    closed = _calibration_ids(app, org, closed=True)
    agent_a3 = make_user(Role.AGENT, org.team_a, email="a3@example.test")
    agent_gone = make_user(Role.AGENT, org.team_a, email="gone@example.test", active=False)
    with app.app_context():
        supervisor = db.session.get(User, org.supervisor_a.id)
        modules = []
        for key in ("greeting-opening", "closing-calls"):
            modules.append(
                TrainingModule(
                    key=key, title=key, skill="Calls", description="", expected_minutes=5
                )
            )
        db.session.add_all(modules)
        db.session.flush()
        plan = db.session.get(TrainingPlan, records["plan_id"])
        plans.add_item(plan, modules[0], date(2026, 12, 20), supervisor, reason="Greeting 50%.")
        draft_plan = plans.create_plan(
            db.session.get(User, org.agent_a2.id),
            date(2026, 8, 1),
            date(2026, 10, 31),
            supervisor,
        )
        plans.add_item(draft_plan, modules[0], date(2026, 12, 20), supervisor, reason="Greeting.")
        interaction = create_interaction(
            db.session.get(User, org.agent_a2.id),
            channel="phone",
            occurred_at=datetime(2026, 11, 6, 9, tzinfo=UTC),
            actor=supervisor,
            external_ref="CALL-NEW",
        )
        assignment = Assignment(
            interaction_id=interaction.id,
            evaluator_id=supervisor.id,
            scorecard_id=records["scorecard_id"],
        )
        db.session.add(assignment)
        identity = AgentIdentity(user_id=org.agent_a1.id, source="pbx", external_id="P-1")
        db.session.add(identity)
        db.session.commit()
        return {
            "identity_id": identity.id,
            "profile_id": profile_id,
            "agent_a3": agent_a3.id,
            "agent_gone": agent_gone.id,
            "free_module_id": modules[1].id,
            "draft_plan_id": draft_plan.id,
            "new_interaction_id": interaction.id,
            "new_assignment_id": assignment.id,
            "token_id": db.session.scalar(sa.select(sa.func.max(ApiToken.id))),
            "notification_id": db.session.scalar(
                sa.select(sa.func.max(Notification.id)).where(
                    Notification.recipient_id == org.agent_a1.id
                )
            ),
            "draft_lock": db.session.get(Evaluation, records["draft_id"]).lock_version,
            "disputed_lock": db.session.get(Evaluation, records["disputed_id"]).lock_version,
            **calibration,
            "closed_calibration_id": closed["calibration_id"],
            "closed_calibration_item_id": closed["calibration_item_id"],
        }


def _format(value: Any, ids: dict[str, Any]) -> Any:
    if isinstance(value, list):
        return [_format(item, ids) for item in value]
    return value.format(**ids)


def _is(value: Any, posted: str) -> bool:
    """Whether a stored value is what was posted (so the form field was taken)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return posted in ("0", "1") and value == (posted == "1")
    if isinstance(value, int | float | Decimal):
        try:
            return float(value) == float(posted)
        except ValueError:
            return False
    if isinstance(value, datetime | date):
        return value.isoformat()[:10] == posted[:10]
    return str(value) == posted


def _taken(before: dict[str, dict], after: dict[str, dict], extras: dict[str, str]) -> list[str]:
    """Stored values that came from the extra fields: a column named like a field holding
    its value in a new or changed row, or a marked text anywhere in one."""
    found = []
    for table, rows in after.items():
        for key, row in rows.items():
            old = before.get(table, {}).get(key)
            for column, value in row.items():
                if old is not None and old.get(column) == value:
                    continue
                if column in extras and _is(value, extras[column]):
                    found.append(f"{table} {key}: {column} = {value!r}")
                elif TEXT_MARK in str(value):
                    found.append(f"{table} {key}: {column} holds {value!r}")
    return found


@pytest.mark.parametrize("endpoint", sorted(FORM_POSTS))
def test_fields_a_form_does_not_have_are_ignored(
    endpoint: str,
    app: Flask,
    org: Organisation,
    records: dict[str, int],
    scene: dict[str, Any],
) -> None:
    case = FORM_POSTS[endpoint]
    ids = {
        key: getattr(value, "id", value)
        for key, value in {**org.members(), **records, **scene}.items()
    }
    if case.draft:
        _open_draft(app, records["scorecard_id"])
    client, token = _browser(app, None if case.who == ANONYMOUS else org.member(case.who))
    data = {name: _format(value, ids) for name, value in case.data.items()}
    extras = {name: _format(value, ids) for name, value in EXTRA_FIELDS.items() if name not in data}
    before = table_rows(app)
    # Without the session's CSRF token the same post is refused and stores nothing.
    forged = client.post(_format(case.path, ids), data={**data, **extras})
    assert forged.status_code == 400
    assert table_rows(app) == before
    if case.upload is not None:
        data["file"] = (io.BytesIO(case.upload.encode()), "upload.csv")
    response = client.post(_format(case.path, ids), data={**data, **extras, case.csrf_field: token})
    body = response.get_data(as_text=response.mimetype.startswith("text"))
    response.close()
    after = table_rows(app)
    assert response.status_code == case.status, (response.status_code, str(body)[:500])
    assert response.headers.get("Location", "").startswith("/login") is (endpoint == "auth.logout")
    written = [name for name in after if after[name] != before[name]]
    assert bool(written) is case.writes, written
    assert _taken(before, after, extras) == []


def test_whoever_submitted_the_scoring_cannot_decide_a_dispute_about_it(
    app: Flask, org: Organisation, records: dict[str, int]
) -> None:
    """Supervisor A started the draft, the manager completed and submitted it: the manager
    scored it as much as the evaluator did, so neither decides the agent's dispute."""
    draft = records["draft_id"]
    manager, token = _browser(app, org.manager)
    submitted = manager.post(
        f"/evaluations/{draft}/edit",
        data={
            "lock_version": _lock(app, draft),
            "answer-greeting": "no",
            "answer-empathy": "2",
            "submit": "y",
            "csrf_token": token,
        },
    )
    assert submitted.status_code == 302
    with app.app_context():
        evaluation = db.session.get(Evaluation, draft)
        assert evaluation.status == EvaluationStatus.RELEASED  # team A releases at once
        assert evaluation.evaluator_id == org.supervisor_a.id
    agent, token = _browser(app, org.agent_a1)
    sent = agent.post(f"/feedback/{draft}/dispute", data={"reason": "I did.", "csrf_token": token})
    assert sent.status_code == 302
    with app.app_context():
        dispute_id = db.session.scalar(sa.select(Dispute.id).where(Dispute.evaluation_id == draft))
    path = f"/disputes/{dispute_id}"
    data = {"decision": "reject", "note": "It stands.", "lock_version": _lock(app, draft)}
    for who in ("manager", "supervisor_a"):
        client, token = _browser(app, org.member(who))
        assert client.get(path).status_code == 403, who
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, who
        assert f'href="{path}"' not in client.get("/disputes/").get_data(as_text=True), who
    assert _dispute(app, dispute_id)[0] == DisputeStatus.OPEN
