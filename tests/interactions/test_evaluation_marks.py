"""The interaction list says whether and how each interaction was evaluated (status, score,
evaluator, a link when the viewer may open it), filters on it, and costs the same number of
queries for one row as for many."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import User
from qa_app.evaluations.models import Evaluation
from qa_app.evaluations.permissions import visible_evaluations
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.interactions.services import evaluation_marks
from tests.conftest import Organisation
from tests.support.queries import page_queries


def _call(app: Flask, agent: User, ref: str, minutes: int = 0) -> int:
    with app.app_context():
        interaction = Interaction(
            agent_id=agent.id,
            channel="phone",
            external_ref=ref,
            occurred_at=datetime(2026, 11, 3, 9, tzinfo=UTC) + timedelta(minutes=minutes),
        )
        db.session.add(interaction)
        db.session.commit()
        return interaction.id


def test_the_list_shows_each_interactions_evaluations(
    app: Flask,
    org: Organisation,
    make_evaluation: Callable[..., Any],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    released = make_evaluation("released", ref="CALL-R")
    draft = make_evaluation("draft", ref="CALL-D", agent=org.agent_a2)
    _call(app, org.agent_a1, "CALL-NONE")
    page = sign_in_as(org.supervisor_a).get("/interactions/").get_data(as_text=True)
    rows = {ref: page.split(ref, 1)[1].split("</tr>", 1)[0] for ref in ("CALL-R", "CALL-D")}
    assert f'href="/evaluations/{released.id}"' in rows["CALL-R"]
    assert "new feedback" in rows["CALL-R"] and org.supervisor_a.display_name in rows["CALL-R"]
    assert f"{released.score:.1f}" in rows["CALL-R"]
    assert f'href="/evaluations/{draft.id}"' in rows["CALL-D"] and "draft" in rows["CALL-D"]
    assert "Not evaluated yet" in page.split("CALL-NONE", 1)[1].split("</tr>", 1)[0]


def test_the_list_filters_on_evaluated_or_not(
    app: Flask,
    org: Organisation,
    make_evaluation: Callable[..., Any],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    make_evaluation("released", ref="CALL-DONE")
    make_evaluation("draft", ref="CALL-STARTED", agent=org.agent_a2)
    _call(app, org.agent_a1, "CALL-OPEN")
    client = sign_in_as(org.supervisor_a)
    not_yet = client.get("/interactions/?evaluated=no").get_data(as_text=True)
    assert "CALL-OPEN" in not_yet
    assert "CALL-DONE" not in not_yet and "CALL-STARTED" not in not_yet
    done = client.get("/interactions/?evaluated=yes").get_data(as_text=True)
    assert "CALL-DONE" in done and "CALL-STARTED" in done and "CALL-OPEN" not in done
    every = client.get("/interactions/?evaluated=whatever").get_data(as_text=True)
    assert all(ref in every for ref in ("CALL-OPEN", "CALL-DONE", "CALL-STARTED"))


def test_the_lists_queries_do_not_grow_with_its_rows(
    app: Flask,
    org: Organisation,
    make_evaluation: Callable[..., Any],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    client = sign_in_as(org.manager)
    make_evaluation("released", ref="CALL-0")
    one = page_queries(app, client, "/interactions/")
    for n in range(1, 13):
        agent = org.agent_a2 if n % 2 else org.agent_a1
        evaluator = org.manager if n % 3 else org.supervisor_a
        make_evaluation("released", ref=f"CALL-{n}", agent=agent, evaluator=evaluator)
        if n % 4 == 0:
            _call(app, org.agent_b1, f"OPEN-{n}", minutes=n)
    page = client.get("/interactions/").get_data(as_text=True)
    assert len(re.findall(r'href="/evaluations/\d+"', page)) == 13
    assert page_queries(app, client, "/interactions/") == one


@pytest.mark.parametrize(
    "viewer", ["admin", "manager", "supervisor_a", "supervisor_b", "supervisor_none"]
)
def test_a_mark_is_openable_exactly_when_the_evaluation_is_visible(
    viewer: str,
    app: Flask,
    org: Organisation,
    make_evaluation: Callable[..., Any],
) -> None:
    make_evaluation("released", ref="A1")
    make_evaluation("draft", ref="A2", agent=org.agent_a2)
    make_evaluation("released", ref="B1", agent=org.agent_b1, evaluator=org.supervisor_b)
    make_evaluation("released", ref="B2", agent=org.agent_b2, evaluator=org.manager)
    with app.app_context():
        user = db.session.get_one(User, org.member(viewer).id)
        # Supervisor A scored B1 too, before B1 moved teams: still theirs to read.
        moved = make_evaluation("released", commit=False, ref="A1-OLD")
        db.session.get_one(User, org.agent_a1.id).team_id = org.team_b.id
        db.session.flush()
        ids = list(db.session.scalars(sa.select(Interaction.id)))
        marks = evaluation_marks(user, ids)
        openable = {mark.evaluation_id for row in marks.values() for mark in row if mark.openable}
        visible = set(
            db.session.scalars(visible_evaluations(user).with_only_columns(Evaluation.id))
        )
        assert openable == visible
        assert sum(len(row) for row in marks.values()) == 5
        assert moved.id in visible or viewer not in ("supervisor_a", "manager", "admin")
        db.session.rollback()
