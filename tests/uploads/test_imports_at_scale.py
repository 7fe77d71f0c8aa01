"""A file of many bad rows is refused with its first 200 problems and their true count, its
rows checked without looking back over the problems found, and while a file is read and
checked no write lock is held: other users' saves go on (issue 17, finding 5)."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.interactions import importer as interaction_importer
from qa_app.interactions.importer import import_interactions
from qa_app.stats import importer as stats_importer
from qa_app.stats.daily_rows import check_day_row
from qa_app.stats.importer import import_stats
from qa_app.uploads.reader import Problem, TableError
from tests.conftest import Organisation, post_form

BAD_ROWS = 30_000


def rows_without_a_day(count: int) -> bytes:
    """A statistics file of `count` rows of a known agent, each without its day."""
    return b"Agent,Date,Calls Handled\n" + b"a1@example.test,,80\n" * count


def calls_without_a_reference(count: int) -> bytes:
    """An interaction list of `count` rows, each without its call id."""
    return b"agent,channel,occurred_at,external_ref\n" + (
        b"a1@example.test,phone,2026-11-02 09:00,\n" * count
    )


class Watched(list[Problem]):
    """A problems list that counts how often it is read back."""

    reads = 0

    def __iter__(self) -> Iterator[Problem]:
        self.reads += 1
        return super().__iter__()

    def __contains__(self, item: object) -> bool:
        self.reads += 1
        return super().__contains__(item)


def test_a_row_check_never_reads_back_the_problems_found_before() -> None:
    # Reading them back for every row without a day made 30,000 bad rows take 16 s.
    agent = SimpleNamespace(id=1, role=Role.AGENT, email="a1@example.test")
    problems = Watched()
    for number in range(2, 502):
        row = {"agent": "a1@example.test", "day": "", "contacts_handled": "80"}
        check_day_row(number, row, lambda name: name, {"a1@example.test": agent}, problems)
    assert problems.reads == 0
    assert len(problems) == 500
    assert {(p.column, p.reason) for p in problems} == {("day", "empty")}


def test_30000_bad_statistics_rows_give_the_first_200_problems_and_their_count(
    app: Flask, org: Organisation
) -> None:
    with app.app_context(), pytest.raises(TableError) as caught:
        import_stats(
            rows_without_a_day(BAD_ROWS),
            "stats.csv",
            source="acd",
            actor=db.session.get_one(User, org.admin.id),
            max_bytes=10_000_000,
            max_rows=100_000,
        )
    error = caught.value
    assert len(error.problems) == 200
    assert error.total == BAD_ROWS
    assert [problem.row for problem in error.problems] == list(range(2, 202))
    assert str(error).endswith(f"… and {BAD_ROWS - 20} more problems")


def test_bad_interaction_rows_give_the_first_200_problems_and_their_count(
    app: Flask, org: Organisation
) -> None:
    with app.app_context(), pytest.raises(TableError) as caught:
        import_interactions(
            calls_without_a_reference(1000),
            "calls.csv",
            source="acd",
            actor=db.session.get_one(User, org.admin.id),
            tz=ZoneInfo("UTC"),
            max_bytes=1_000_000,
            max_rows=10_000,
        )
    assert (len(caught.value.problems), caught.value.total) == (200, 1000)


def test_the_upload_page_counts_every_problem_and_lists_200(
    org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    client = sign_in_as(org.manager)
    response = post_form(
        client,
        "/stats/import",
        {"source": "acd", "file": (io.BytesIO(rows_without_a_day(1000)), "stats.csv")},
        content_type="multipart/form-data",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Fix these 1000 problems" in page
    assert page.count("<td>empty</td>") == 200
    assert "… and 800 more." in page


def other_users_save(app: Flask, org: Organisation) -> str:
    """Another connection changes a user's name, giving up after 100 ms of waiting for a
    lock; "saved", or the database's error."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    sqlite = url.startswith("sqlite")
    engine = sa.create_engine(
        url,
        connect_args={"timeout": 0.1} if sqlite else {"options": "-c lock_timeout=100"},
        poolclass=sa.pool.NullPool,
    )
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE \"user\" SET display_name = 'Saved meanwhile' WHERE id = :id"),
                {"id": org.supervisor_b.id},
            )
    except sa.exc.OperationalError as error:
        return str(error.orig)
    finally:
        engine.dispose()
    return "saved"


@pytest.mark.parametrize("kind", ["stats", "interactions"])
def test_other_users_save_while_an_upload_is_checked(
    app: Flask,
    org: Organisation,
    sign_in_as: Callable[[User], FlaskClient],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
) -> None:
    # On SQLite the upload used to hold the write lock from its first query: other users'
    # saves failed with "database is locked" for as long as a big file was checked.
    saves: list[str] = []
    if kind == "stats":
        real_rows = stats_importer._with_agents

        def rows_with_a_save_meanwhile(*args: Any) -> Iterator[Any]:
            for index, row in enumerate(real_rows(*args)):
                if index == 1:
                    saves.append(other_users_save(app, org))
                yield row

        monkeypatch.setattr(stats_importer, "_with_agents", rows_with_a_save_meanwhile)
        who, path, data = org.manager, "/stats/import", rows_without_a_day(3)
    else:
        real_check = interaction_importer.check_interactions

        def check_with_a_save_meanwhile(*args: Any, **kwargs: Any) -> Any:
            saves.append(other_users_save(app, org))
            return real_check(*args, **kwargs)

        monkeypatch.setattr(interaction_importer, "check_interactions", check_with_a_save_meanwhile)
        who, path, data = org.supervisor_a, "/interactions/import", calls_without_a_reference(3)
    client = sign_in_as(who)
    response = post_form(
        client,
        path,
        {"source": "acd", "file": (io.BytesIO(data), "upload.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400  # every row is bad: refused, and nothing written
    assert saves == ["saved"]
    with app.app_context():
        saved = db.session.get_one(User, org.supervisor_b.id)
        assert saved.display_name == "Saved meanwhile"
