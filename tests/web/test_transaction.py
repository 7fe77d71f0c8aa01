"""web.transaction.committing: one commit after the change, a rollback on any exception, and
a refused rule flashed instead of raised."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask, abort, get_flashed_messages
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import NotFound

from qa_app.errors import RuleError
from qa_app.extensions import db
from qa_app.teams.models import Team
from qa_app.web.transaction import committing


@pytest.fixture
def request_context(app: Flask) -> Iterator[None]:
    """A request (flash needs its session) for tests that call the helper directly."""
    with app.test_request_context("/"):
        yield


def stored_team_names() -> list[str]:
    """What another connection sees: only committed rows."""
    with db.engine.connect() as connection:
        return list(connection.scalars(sa.select(Team.name).order_by(Team.name)))


def flashed() -> list[tuple[str, str]]:
    return get_flashed_messages(with_categories=True)


def test_success_commits_once_and_flashes(request_context: None) -> None:
    with committing("Saved.") as outcome:
        db.session.add(Team(name="Billing"))
    assert outcome.saved
    assert outcome.error is None
    assert stored_team_names() == ["Billing"]
    assert not db.session.new and not db.session.dirty
    assert flashed() == [("success", "Saved.")]


def test_the_block_can_word_the_success_from_its_result(request_context: None) -> None:
    with committing(category="info") as outcome:
        team = Team(name="Sales")
        db.session.add(team)
        db.session.flush()
        outcome.success = f"Saved team {team.name} ({team.id})."
    assert flashed() == [("info", f"Saved team Sales ({team.id}).")]


def test_no_success_text_flashes_nothing(request_context: None) -> None:
    with committing() as outcome:
        db.session.add(Team(name="Billing"))
    assert outcome.saved
    assert stored_team_names() == ["Billing"]
    assert flashed() == []


def test_a_rule_error_rolls_back_and_flashes_its_message(request_context: None) -> None:
    refusal = RuleError("A team needs a supervisor.")
    with committing("Saved.") as outcome:
        db.session.add(Team(name="Billing"))
        db.session.flush()  # written to the transaction, not yet committed
        raise refusal
    assert not outcome.saved
    assert outcome.error is refusal
    assert flashed() == [("danger", "A team needs a supervisor.")]
    assert stored_team_names() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Team)) == 0


def test_a_subclass_with_a_lazy_message_is_flashed_as_text(request_context: None) -> None:
    class TeamRuleError(RuleError, ValueError):
        pass

    with committing("Saved."):
        raise TeamRuleError(_l("A team needs a supervisor."))
    [(category, message)] = flashed()
    assert (category, message) == ("danger", "A team needs a supervisor.")
    assert type(message) is str


def test_any_other_error_rolls_back_and_propagates(request_context: None) -> None:
    with pytest.raises(ZeroDivisionError), committing("Saved."):
        db.session.add(Team(name="Billing"))
        db.session.flush()
        _ = 1 / 0
    assert flashed() == []
    assert stored_team_names() == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Team)) == 0


def test_an_abort_in_the_block_rolls_back_too(request_context: None) -> None:
    with pytest.raises(NotFound), committing("Saved."):
        db.session.add(Team(name="Billing"))
        db.session.flush()
        abort(404)
    assert stored_team_names() == []


def test_a_failing_commit_rolls_back_and_propagates(request_context: None) -> None:
    with committing():
        db.session.add(Team(name="Billing"))
    with pytest.raises(sa.exc.IntegrityError), committing("Saved."):
        db.session.add(Team(name="Support"))
        db.session.add(Team(name="Billing"))  # unique name: refused at the commit's flush
    assert flashed() == []
    assert stored_team_names() == ["Billing"]
    with committing():  # the session is usable again
        db.session.add(Team(name="Support"))
    assert stored_team_names() == ["Billing", "Support"]
