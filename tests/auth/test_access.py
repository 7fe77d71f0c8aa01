"""The authorisation decorator (qa_app.auth.access), called without a request."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from werkzeug.exceptions import Forbidden

from qa_app.auth.access import public, role_required
from qa_app.auth.models import Role, User
from qa_app.extensions import db


def _login_as(app: Flask, user: User | None) -> Any:
    """A request context with `user` signed in (None for anonymous)."""
    from flask_login import login_user

    context = app.test_request_context("/")
    context.push()
    if user is not None:
        login_user(db.session.get(User, user.id))
    return context


@pytest.mark.parametrize("role", list(Role))
def test_role_required_refuses_other_roles(role: Role, app: Flask, make_user: Any) -> None:
    @role_required(Role.MANAGER)
    def view() -> str:
        return "ok"

    user = make_user(role)
    context = _login_as(app, user)
    try:
        if role == Role.MANAGER:
            assert view() == "ok"
        else:
            with pytest.raises(Forbidden):
                view()
    finally:
        context.pop()


def test_role_required_sends_anonymous_to_sign_in(app: Flask) -> None:
    @role_required(Role.ADMIN)
    def view() -> str:
        return "ok"

    context = _login_as(app, None)
    try:
        response = view()
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    finally:
        context.pop()


def test_role_required_without_roles_allows_every_role() -> None:
    @role_required()
    def view() -> str:
        return "ok"

    assert view.allowed_roles == frozenset(Role)


def test_public_marks_open_views() -> None:
    @public
    def view() -> str:
        return "ok"

    assert view.allowed_roles is None
