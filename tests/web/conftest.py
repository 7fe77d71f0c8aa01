"""Fixtures of the web plumbing's tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import User
from tests.conftest import Organisation


@pytest.fixture
def manager_reading(
    app: Flask, org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> Callable[[str], FlaskClient]:
    """The centre's manager signed in, with `locale` chosen as their language."""
    from qa_app.extensions import db

    def factory(locale: str) -> FlaskClient:
        with app.app_context():
            db.session.get_one(User, org.manager.id).locale = locale
            db.session.commit()
        return sign_in_as(org.manager)

    return factory
