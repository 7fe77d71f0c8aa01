"""Who decides a dispute (`dispute_deciders`), and where the deciders see it: every dispute
has someone who can decide it, and every home counts only disputes its user can open."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import Role, User
from qa_app.evaluations.models import Dispute, DisputeStatus
from qa_app.evaluations.permissions import dispute_deciders
from qa_app.evaluations.summaries import disputes_to_decide, work_summary
from qa_app.extensions import db
from qa_app.teams.models import Team
from qa_app.teams.services import TeamRuleError, save_team
from tests.conftest import Organisation, post_form, sign_in

SignIn = Callable[[User], FlaskClient]
DEMO_PASSWORD = "demo1234"  # noqa: S105 - the documented demo login


def _text(response: Any) -> str:
    return response.get_data(as_text=True)


def _deciders(dispute_id: int) -> list[str]:
    dispute = db.session.get_one(Dispute, dispute_id)
    return [user.email for user in dispute_deciders(dispute)]


def _dispute_of(evaluation_id: int) -> int:
    return db.session.scalar(sa.select(Dispute.id).where(Dispute.evaluation_id == evaluation_id))


def _home_count(html: str) -> int:
    """The figure of the home page's "open disputes to decide" card."""
    match = re.search(r'<div class="fs-3">([\d,]+)</div>\s*<div[^>]*>open disputes to decide', html)
    assert match, "no dispute card on the home page"
    return int(match.group(1).replace(",", ""))


def test_the_demo_centre_every_dispute_has_a_decider_and_homes_count_what_opens(
    app: Flask, runner: Any
) -> None:
    """The demo's teams have one supervisor each, who scored every evaluation: his home
    counted 7 disputes he could not open. Now each open dispute reaches a decider (the
    manager), shows on their home with its age, and no home counts what its user cannot
    open."""
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        open_ids = db.session.scalars(
            sa.select(Dispute.id).where(Dispute.status == DisputeStatus.OPEN)
        ).all()
        assert open_ids, "the demo has open disputes"
        assert all(_deciders(dispute_id) for dispute_id in open_ids)
        # The decided ones were decided by someone who had not scored them.
        decided = db.session.scalars(
            sa.select(Dispute).where(Dispute.status != DisputeStatus.OPEN)
        ).all()
        assert decided
        assert all(
            d.resolved_by_id not in (None, d.evaluation.evaluator_id, d.raised_by_id)
            for d in decided
        )
        people = db.session.scalars(
            sa.select(User).where(User.role.in_([Role.SUPERVISOR, Role.MANAGER]))
        ).all()
        homes = {user.email: [d.id for d in disputes_to_decide(user)] for user in people}
    # Every open dispute is on the home of each of its deciders, and only there.
    with app.app_context():
        for dispute_id in open_ids:
            for email in _deciders(dispute_id):
                assert dispute_id in homes[email], (dispute_id, email)
    assert sorted(sum(homes.values(), [])) == sorted(
        d for d in open_ids for _ in range(len(_deciders_in(app, d)))
    )
    for email, decidable in homes.items():
        browser = app.test_client()
        assert sign_in(browser, email, DEMO_PASSWORD).status_code == 302
        home = _text(browser.get("/"))
        assert _home_count(home) == len(decidable), email
        for dispute_id in decidable:
            assert f'href="/disputes/{dispute_id}"' in home, (email, dispute_id)
            assert browser.get(f"/disputes/{dispute_id}").status_code == 200, (email, dispute_id)
    # The demo supervisor scored all of his team's disputes: none is counted on his home.
    assert homes["supervisor@demo.test"] == []
    # Customer Service has a second supervisor, who decides its disputes; the other teams'
    # (one supervisor each, who scored them) go to the manager: together, every open one.
    assert homes["supervisor04@demo.test"]
    assert sorted(homes["manager@demo.test"] + homes["supervisor04@demo.test"]) == sorted(open_ids)


def _deciders_in(app: Flask, dispute_id: int) -> list[str]:
    with app.app_context():
        return _deciders(dispute_id)


def test_a_one_supervisor_team_sends_disputes_to_the_managers(
    app: Flask, org: Organisation, make_evaluation: Any, make_user: Any
) -> None:
    """Team A has one supervisor, who scored the evaluation: the managers decide (every
    active one), never the supervisor, the agent, an admin or another team's supervisor."""
    second = make_user(Role.MANAGER, email="second.manager@example.test")
    make_user(Role.MANAGER, email="gone.manager@example.test", active=False)
    evaluation = make_evaluation("disputed")
    with app.app_context():
        deciders = _deciders(_dispute_of(evaluation.id))
    assert sorted(deciders) == sorted([org.manager.email, second.email])


def test_a_named_reviewer_decides_instead_of_the_managers(
    app: Flask, org: Organisation, make_evaluation: Any, sign_in_as: SignIn
) -> None:
    """Supervisor B (another team) is named dispute reviewer of team A: A's disputes about
    supervisor A's evaluations go to B, who sees them on the home page and decides them,
    without seeing anything else of team A."""
    with app.app_context():
        team = db.session.get_one(Team, org.team_a.id)
        team.dispute_reviewers = [db.session.get_one(User, org.supervisor_b.id)]
        db.session.commit()
    evaluation = make_evaluation("disputed")
    other = make_evaluation("released", ref="CALL-OTHER")
    with app.app_context():
        dispute_id = _dispute_of(evaluation.id)
        assert _deciders(dispute_id) == [org.supervisor_b.email]

    reviewer = sign_in_as(org.supervisor_b)
    home = _text(reviewer.get("/"))
    assert _home_count(home) == 1
    assert f'href="/disputes/{dispute_id}"' in home and org.agent_a1.display_name in home
    assert f'href="/disputes/{dispute_id}"' in _text(reviewer.get("/disputes/"))
    page = reviewer.get(f"/disputes/{dispute_id}")
    assert page.status_code == 200 and "I did greet." in _text(page)
    # Nothing else of the agent: their other evaluation, their page.
    assert reviewer.get(f"/evaluations/{other.id}").status_code == 404
    assert reviewer.get(f"/stats/agents/{org.agent_a1.id}").status_code == 404
    # The manager is not this dispute's decider any more.
    manager = sign_in_as(org.manager)
    assert _home_count(_text(manager.get("/"))) == 0
    assert manager.get(f"/disputes/{dispute_id}").status_code == 403

    decided = post_form(
        reviewer,
        f"/disputes/{dispute_id}",
        {"decision": "reject", "note": "Listened again.", "lock_version": evaluation.lock_version},
    )
    assert decided.status_code == 302
    with app.app_context():
        dispute = db.session.get_one(Dispute, dispute_id)
        assert (dispute.status, dispute.resolved_by_id) == (
            DisputeStatus.REJECTED,
            org.supervisor_b.id,
        )
    # Decided: the reviewer's access to it ends with the decision.
    assert reviewer.get(f"/disputes/{dispute_id}").status_code == 404


def test_the_team_page_names_the_dispute_reviewers(
    app: Flask, org: Organisation, sign_in_as: SignIn
) -> None:
    admin = sign_in_as(org.admin)
    path = f"/admin/teams/{org.team_a.id}"
    page = _text(admin.get(path))
    assert 'name="dispute_reviewer_ids"' in page
    assert f'value="{org.manager.id}"' in page and f'value="{org.supervisor_b.id}"' in page
    assert f'name="dispute_reviewer_ids" type="checkbox" value="{org.agent_a1.id}"' not in page
    data = {
        "name": "Team A",
        "release_mode": "immediate",
        "evaluations_per_agent_month": "4",
        "supervisor_ids": [org.supervisor_a.id],
        "dispute_reviewer_ids": [org.supervisor_b.id, org.supervisor_none.id],
        "agent_ids": [org.agent_a1.id, org.agent_a2.id],
    }
    assert post_form(admin, path, data).status_code == 302
    with app.app_context():
        team = db.session.get_one(Team, org.team_a.id)
        assert sorted(u.id for u in team.dispute_reviewers) == sorted(
            [org.supervisor_b.id, org.supervisor_none.id]
        )
    shown = _text(admin.get(path))
    for user in (org.supervisor_b, org.supervisor_none):
        assert re.search(rf'value="{user.id}"[^>]*checked|checked[^>]*value="{user.id}"', shown)
    # An agent is refused, with nothing saved.
    refused = post_form(admin, path, {**data, "dispute_reviewer_ids": [org.agent_a2.id]})
    assert refused.status_code == 200
    with app.app_context():
        assert len(db.session.get_one(Team, org.team_a.id).dispute_reviewers) == 2


def test_save_team_refuses_an_agent_or_admin_as_reviewer(
    app: Flask, org: Organisation, app_context: None
) -> None:
    team = db.session.get_one(Team, org.team_a.id)
    for who in (org.agent_b1, org.admin):
        with pytest.raises(TeamRuleError, match="active supervisor or manager"):
            save_team(
                team,
                "Team A",
                [org.supervisor_a.id],
                [org.agent_a1.id, org.agent_a2.id],
                dispute_reviewer_ids=[who.id],
            )
        db.session.rollback()


@pytest.mark.parametrize(("days", "limit", "overdue"), [(4, 5, False), (6, 5, True), (4, 3, True)])
def test_overdue_disputes_are_flagged_on_the_deciders_pages(
    days: int,
    limit: int,
    overdue: bool,
    app: Flask,
    org: Organisation,
    make_evaluation: Any,
    sign_in_as: SignIn,
) -> None:
    app.config["DISPUTE_OVERDUE_DAYS"] = limit
    evaluation = make_evaluation("disputed")
    with app.app_context():
        dispute_id = _dispute_of(evaluation.id)
        dispute = db.session.get_one(Dispute, dispute_id)
        dispute.raised_at = datetime.now(UTC) - timedelta(days=days, hours=1)
        db.session.commit()
    manager = sign_in_as(org.manager)
    for path in ("/", "/disputes/", f"/disputes/{dispute_id}"):
        html = _text(manager.get(path))
        assert f"{days} days" in html, path
        assert ('badge text-bg-danger">overdue<' in html) is overdue, path


def test_a_supervisor_home_counts_only_disputes_they_may_decide(
    app: Flask, org: Organisation, records: dict[str, int], make_evaluation: Any
) -> None:
    """Records: the manager's evaluation is disputed (supervisor A decides it). A dispute
    about supervisor A's own evaluation goes to the manager, not onto A's count."""
    make_evaluation("disputed", ref="CALL-MINE")
    with app.app_context():
        supervisor = db.session.get_one(User, org.supervisor_a.id)
        manager = db.session.get_one(User, org.manager.id)
        assert [d.id for d in work_summary(supervisor).disputes] == [records["dispute_id"]]
        assert work_summary(manager).open_disputes == 1
