"""The interaction page: the interaction with its evaluations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from unittest import mock

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.interactions.services import DuplicateReference, create_interaction
from tests.conftest import Organisation, post_form
from tests.support.queries import page_queries


def test_the_page_lists_evaluations_in_queries_that_do_not_grow_with_them(
    app: Flask,
    org: Organisation,
    make_evaluation: Callable[..., Any],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    first = make_evaluation("released")
    client = sign_in_as(org.supervisor_a)
    path = f"/interactions/{first.interaction_id}"
    one = page_queries(app, client, path)
    # A second evaluation by another evaluator: its evaluator and version come with the list.
    make_evaluation("released", evaluator=org.manager, interaction=first.interaction_id)
    page = client.get(path).get_data(as_text=True)
    assert org.supervisor_a.display_name in page
    assert org.manager.display_name in page
    assert page_queries(app, client, path) == one


def test_a_reference_entered_twice_for_one_agent_is_refused_in_words(
    app: Flask, org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    supervisor = sign_in_as(org.supervisor_a)
    call = {
        "agent_id": org.agent_a1.id,
        "channel": "phone",
        "occurred_at": "2026-11-10T10:00",
        "external_ref": "CALL-7",
    }
    first = post_form(supervisor, "/interactions/new", call, token_from="/interactions/new")
    assert first.status_code == 302
    again = post_form(supervisor, "/interactions/new", call, token_from="/interactions/new")
    assert again.status_code == 200  # the form again, with the reason (was a 500)
    html = " ".join(again.get_data(as_text=True).split())
    assert "This agent already has an interaction with the call or ticket id CALL-7" in html
    other_agent = post_form(
        supervisor,
        "/interactions/new",
        {**call, "agent_id": org.agent_a2.id},
        token_from="/interactions/new",
    )
    assert other_agent.status_code == 302  # unique per source, reference and agent
    with app.app_context():
        count = db.session.scalar(
            sa.select(sa.func.count()).where(Interaction.external_ref == "CALL-7")
        )
    assert count == 2


def test_a_concurrent_duplicate_is_refused_in_words_too(app: Flask, org: Organisation) -> None:
    # The check before the insert passed, but another request stored the same reference
    # first: the unique constraint's error becomes the same refusal.
    with app.app_context():
        agent, actor = (
            db.session.get_one(User, org.agent_a1.id),
            db.session.get_one(User, org.supervisor_a.id),
        )
        create_interaction(
            agent,
            channel="phone",
            occurred_at=datetime(2026, 11, 10, tzinfo=UTC),
            actor=actor,
            external_ref="CALL-8",
        )
        db.session.commit()
        # The check before the insert finds nothing, as when the other request has not
        # committed yet; the unique constraint then refuses the insert.
        with (
            mock.patch.object(db.session, "scalar", return_value=None) as checked,
            pytest.raises(DuplicateReference, match="CALL-8"),
        ):
            create_interaction(
                agent,
                channel="phone",
                occurred_at=datetime(2026, 11, 11, tzinfo=UTC),
                actor=actor,
                external_ref="CALL-8",
            )
        assert checked.call_count == 1
        db.session.rollback()
