"""After an agent moves to another team (issue 17, finding 10).

Decision: the former supervisor keeps reading the evaluations they scored of the agent —
they are their author — and only reading them: they may not change, delete, release or
re-score them, nor decide their disputes, and nothing else of the agent (their page, other
evaluations, interactions, plans, coaching sessions, starting a new evaluation) stays in
their sight. The new team's supervisor takes over the release and the disputes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import User
from qa_app.evaluations.models import Dispute, Evaluation, EvaluationStatus
from qa_app.extensions import db
from qa_app.teams.models import Team
from tests.conftest import Organisation, post_form


@pytest.fixture
def moved(
    app: Flask,
    org: Organisation,
    make_evaluation: Callable[..., Any],
    issued_plan: Any,
    coaching_session: Any,
) -> dict[str, int]:
    """Supervisor A's draft, held-back and disputed evaluations of agent A1, the manager's
    disputed one, A1's plan and coaching session; then A1 moves from team A to team B."""
    with app.app_context():
        db.session.get_one(Team, org.team_a.id).release_mode = "manual"
        db.session.commit()
    draft = make_evaluation("draft", ref="MOVE-1")
    submitted = make_evaluation("submitted", ref="MOVE-2")
    disputed = make_evaluation("disputed", ref="MOVE-3")
    with app.app_context():
        dispute_id = db.session.scalar(
            sa.select(Dispute.id).where(Dispute.evaluation_id == disputed.id)
        )
        others = db.session.scalars(
            sa.select(Evaluation.id).where(Evaluation.evaluator_id == org.manager.id)
        ).all()
        assert len(others) == 1  # the coaching session's evaluation, scored by the manager
        agent = db.session.get_one(User, org.agent_a1.id)
        agent.team_id = org.team_b.id
        db.session.commit()
    return {
        "draft": draft.id,
        "submitted": submitted.id,
        "disputed": disputed.id,
        "dispute": dispute_id,
        "interaction": disputed.interaction_id,
        "others": others[0],
        "plan": issued_plan.id,
        "session": coaching_session.id,
        "draft_lock": draft.lock_version,
    }


def _state(app: Flask) -> list[tuple[Any, ...]]:
    with app.app_context():
        return [
            tuple(row)
            for row in db.session.execute(
                sa.select(
                    Evaluation.id,
                    Evaluation.status,
                    Evaluation.score,
                    Evaluation.revision,
                    Evaluation.lock_version,
                ).order_by(Evaluation.id)
            )
        ] + [
            tuple(row)
            for row in db.session.execute(
                sa.select(Dispute.id, Dispute.status).order_by(Dispute.id)
            )
        ]


def test_the_former_supervisor_reads_what_they_scored_and_nothing_more(
    app: Flask,
    org: Organisation,
    moved: dict[str, int],
    sign_in_as: Callable[[User], FlaskClient],
    api_as: Callable[[User], Any],
) -> None:
    former = sign_in_as(org.supervisor_a)
    before = _state(app)

    # Read: their three evaluations of the agent, with their history, on the web and the API.
    for key in ("draft", "submitted", "disputed"):
        evaluation_id = moved[key]
        page = former.get(f"/evaluations/{evaluation_id}")
        assert page.status_code == 200, key
        html = page.get_data(as_text=True)
        # No way to change it is offered.
        for action in ("/edit", "/release", "/delete", f"/disputes/{moved['dispute']}"):
            assert f"/evaluations/{evaluation_id}{action}" not in html, (key, action)
        assert f'href="/disputes/{moved["dispute"]}"' not in html, key
        assert former.get(f"/evaluations/{evaluation_id}/history").status_code == 200, key
    api = api_as(org.supervisor_a)
    listed = api.get("/api/v1/evaluations?limit=200").json["data"]
    assert sorted(item["id"] for item in listed) == sorted(
        moved[key] for key in ("draft", "submitted", "disputed")
    )
    assert api.get(f"/api/v1/evaluations/{moved['disputed']}").status_code == 200

    # Never write: not the draft, not the held-back evaluation, not the dispute.
    draft = f"/evaluations/{moved['draft']}"
    opened = former.get(f"{draft}/edit")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(draft)
    saved = post_form(
        former,
        f"{draft}/edit",
        {
            "lock_version": moved["draft_lock"],
            "answer-greeting": "no",
            "answer-empathy": "1",
            "submit": "Submit",
        },
    )
    assert saved.status_code == 302 and saved.headers["Location"].endswith(draft)
    post_form(former, f"{draft}/delete")
    assert post_form(former, f"/evaluations/{moved['submitted']}/release").status_code == 403
    dispute = f"/disputes/{moved['dispute']}"
    assert former.get(dispute).status_code == 403
    decided = post_form(former, dispute, {"decision": "reject", "note": "The score stands."})
    assert decided.status_code == 403
    assert _state(app) == before

    # Nothing else of the agent: their page, another evaluation, the call, the plan, the
    # session, starting an evaluation, a plan or a session.
    agent_id = org.agent_a1.id
    for path in (
        f"/stats/agents/{agent_id}",
        f"/evaluations/{moved['others']}",
        f"/interactions/{moved['interaction']}",
        f"/training/plans/{moved['plan']}",
        f"/coaching/{moved['session']}",
        f"/training/agents/{agent_id}/new",
        f"/coaching/agents/{agent_id}/new",
    ):
        assert former.get(path).status_code == 404, path
    assert (
        post_form(former, f"/evaluations/start/interaction/{moved['interaction']}").status_code
        == 404
    )
    for path in (
        f"/api/v1/agents/{agent_id}/performance",
        f"/api/v1/evaluations/{moved['others']}",
    ):
        assert api.get(path).status_code == 404, path
    assert api.get(f"/api/v1/training-plans?agent={agent_id}").status_code == 400
    assert api.get(f"/api/v1/interactions?agent={agent_id}").status_code == 400
    assert _state(app) == before


def test_the_new_supervisor_takes_over_release_and_disputes(
    app: Flask,
    org: Organisation,
    moved: dict[str, int],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    new = sign_in_as(org.supervisor_b)
    assert new.get(f"/stats/agents/{org.agent_a1.id}").status_code == 200
    released = post_form(new, f"/evaluations/{moved['submitted']}/release")
    assert released.status_code == 302
    assert new.get(f"/disputes/{moved['dispute']}").status_code == 200
    with app.app_context():
        evaluation = db.session.get_one(Evaluation, moved["submitted"])
        assert evaluation.status == EvaluationStatus.RELEASED
