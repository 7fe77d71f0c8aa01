"""Security headers, friendly error pages, the layout and the role-specific home pages."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.conftest import Organisation


def test_security_headers(client: Any) -> None:
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_have_no_inline_script_or_style(
    client: Any, org: Organisation, sign_in_as: Any
) -> None:
    pages = [client.get("/login")]
    admin = sign_in_as(org.admin)
    pages += [admin.get(path) for path in ("/", "/admin/users", "/admin/teams", "/account")]
    for page in pages:
        html = page.get_data(as_text=True)
        assert "<script>" not in html and "<style" not in html and " style=" not in html
        assert " onclick=" not in html


def test_bootstrap_is_served_locally(client: Any) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert "cdn." not in html and "https://" not in html
    for path in ("css/bootstrap.min.css", "umd/popper.min.js", "js/bootstrap.min.js"):
        response = client.get(f"/bootstrap/static/{path}")
        assert response.status_code == 200, path
        response.close()


def test_not_found_page_is_friendly(client: Any) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is nothing here" in response.get_data(as_text=True)


def test_forbidden_page_is_friendly(org: Organisation, sign_in_as: Any) -> None:
    response = sign_in_as(org.agent_a1).get("/admin/users")
    assert response.status_code == 403
    assert "You do not have permission" in response.get_data(as_text=True)


def test_server_error_page_rolls_back(app: Flask, client: Any) -> None:
    app.config["RENDER_SERVER_ERRORS"] = True

    @app.route("/boom")
    def boom() -> str:
        raise RuntimeError("boom")

    boom.allowed_roles = None  # type: ignore[attr-defined]
    response = client.get("/boom")
    assert response.status_code == 500
    assert "Nothing was saved" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("who", "heading", "links"),
    [
        ("admin", "Administration", ["/admin/users", "/admin/teams"]),
        ("manager", "Centre overview", []),
        ("supervisor_a", "My teams", []),
        ("agent_a1", "Hello,", []),
    ],
)
def test_home_page_by_role(
    who: str, heading: str, links: list[str], org: Organisation, sign_in_as: Any
) -> None:
    html = sign_in_as(org.member(who)).get("/").get_data(as_text=True)
    assert heading in html
    for link in links:
        assert f'href="{link}"' in html
    if who != "admin":
        assert 'href="/admin/users"' not in html


def test_supervisor_home_lists_only_own_teams(org: Organisation, sign_in_as: Any) -> None:
    html = sign_in_as(org.supervisor_a).get("/").get_data(as_text=True)
    assert "a1@example.test" in html and "a2@example.test" in html
    assert "b1@example.test" not in html and "Team B" not in html


def test_agent_home_shows_own_team(org: Organisation, sign_in_as: Any) -> None:
    html = sign_in_as(org.agent_b1).get("/").get_data(as_text=True)
    assert "Team B" in html
    assert "Team A" not in html


def test_health_check(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    # No cache in tests (QA_CACHE=none); jobs run inside their request, so the queue is up.
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "cache": "not configured",
        "queue": "ok",
    }


def test_forms_have_labels(client: Any) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert '<label class="form-label" for="email">' in html
    assert '<label class="form-label" for="password">' in html


def test_supervisor_home_counts_the_work_waiting(
    org: Organisation, records: dict[str, int], sign_in_as: Any, app: Flask
) -> None:
    from qa_app.auth.models import User
    from qa_app.evaluations.summaries import work_summary
    from qa_app.extensions import db

    with app.app_context():
        summary = work_summary(db.session.get(User, org.supervisor_a.id))
        other = work_summary(db.session.get(User, org.supervisor_b.id))
    # The assignment with its draft, the draft, the submitted one, the agent's dispute.
    assert (summary.queue, summary.drafts, summary.awaiting_release, summary.open_disputes) == (
        1,
        1,
        1,
        1,
    )
    assert (other.queue, other.drafts, other.awaiting_release, other.open_disputes) == (0, 0, 0, 0)
    html = sign_in_as(org.supervisor_a).get("/").get_data(as_text=True)
    assert "waiting to be released" in html and "open disputes" in html


def test_agent_home_lists_own_latest_feedback(
    org: Organisation, records: dict[str, int], sign_in_as: Any
) -> None:
    html = sign_in_as(org.agent_a1).get("/").get_data(as_text=True)
    assert f'href="/evaluations/{records["released_id"]}"' in html
    assert f'href="/evaluations/{records["disputed_id"]}"' in html
    assert f'href="/evaluations/{records["submitted_id"]}"' not in html  # not released yet
    assert f'href="/evaluations/{records["draft_id"]}"' not in html
    other = sign_in_as(org.agent_a2).get("/").get_data(as_text=True)
    assert "No feedback has been released to you yet." in other


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("agent_a1", 200),  # their own page
        ("supervisor_a", 200),  # their team
        ("manager", 200),
        ("agent_a2", 404),  # a colleague's page is not theirs to see
        ("supervisor_b", 404),  # another team's agent
        ("supervisor_none", 404),
    ],
)
def test_agent_page_is_scoped(
    who: str, status: int, org: Organisation, records: dict[str, int], sign_in_as: Any
) -> None:
    response = sign_in_as(org.member(who)).get(f"/stats/agents/{org.agent_a1.id}")
    assert response.status_code == status
    if status == 200:
        html = response.get_data(as_text=True)
        assert "QA score" in html and "KPI index" in html and "<svg" in html


def test_agent_page_of_a_non_agent_is_not_found(org: Organisation, sign_in_as: Any) -> None:
    response = sign_in_as(org.manager).get(f"/stats/agents/{org.supervisor_a.id}")
    assert response.status_code == 404
