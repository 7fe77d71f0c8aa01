"""The interaction page: the interaction with its evaluations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import User
from tests.conftest import Organisation
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
