"""The QA-lead checkbox of the user form: supervisors named QA leads run calibration
sessions (qa_app.calibration.services.can_organise); the change is audited."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import User
from tests.admin.test_users import admin_events, form_for, get_user
from tests.conftest import Organisation, post_form


def test_an_administrator_names_a_supervisor_qa_lead(
    app: Flask, org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    admin = sign_in_as(org.admin)
    supervisor = org.supervisor_a
    path = f"/admin/users/{supervisor.id}"
    assert 'name="qa_lead"' in admin.get(path).get_data(as_text=True)
    lead = sign_in_as(supervisor)
    assert lead.get("/calibration/new").status_code == 403
    response = post_form(admin, path, form_for(supervisor, qa_lead="y"))
    assert response.status_code == 302
    assert get_user(app, supervisor.id).qa_lead is True
    assert admin_events(app)[-1] == {
        "action": "user.updated",
        "entity_type": "user",
        "entity_id": supervisor.id,
        "actor_id": org.admin.id,
        "before": {"qa_lead": False},
        "after": {"qa_lead": True},
    }
    listed = admin.get("/admin/users").get_data(as_text=True)
    assert listed.count('class="badge text-bg-info qa-lead"') == 1
    assert lead.get("/calibration/new").status_code == 200
    # Unticked: no longer a QA lead.
    assert post_form(admin, path, form_for(supervisor)).status_code == 302
    assert get_user(app, supervisor.id).qa_lead is False
    assert lead.get("/calibration/new").status_code == 403


def test_only_supervisors_are_qa_leads(
    app: Flask, org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    admin = sign_in_as(org.admin)
    for user in (org.agent_a1, org.manager):
        response = post_form(admin, f"/admin/users/{user.id}", form_for(user, qa_lead="y"))
        assert response.status_code == 200
        assert "Only supervisors are named QA leads" in response.get_data(as_text=True)
        assert get_user(app, user.id).qa_lead is False


def test_leaving_the_supervisor_role_drops_the_qa_lead(
    app: Flask, org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    admin = sign_in_as(org.admin)
    supervisor = org.supervisor_none
    path = f"/admin/users/{supervisor.id}"
    assert post_form(admin, path, form_for(supervisor, qa_lead="y")).status_code == 302
    assert get_user(app, supervisor.id).qa_lead is True
    assert post_form(admin, path, form_for(supervisor, role="manager")).status_code == 302
    user = get_user(app, supervisor.id)
    assert (user.role, user.qa_lead) == ("manager", False)
