"""Customer outcomes on interactions (CSAT and NPS answers, resolved on first contact, repeat
contact): read from vendors' files, the form and the API, refused in words when they are
not answers, and repeat contacts derived from the customer reference."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.interactions.importer import ImportReport, import_interactions
from qa_app.interactions.models import Interaction
from qa_app.interactions.outcomes import (
    is_detractor,
    nps_group,
    read_csat,
    read_nps,
    read_yes_no,
    repeat_contacts,
)
from qa_app.uploads.reader import TableError
from tests.conftest import Organisation, post_form
from tests.support.imports import import_as

VENDORS = Path(__file__).parent.parent / "data" / "vendors"
START = datetime(2026, 11, 2, 9, tzinfo=UTC)


# --- reading one answer ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (None, (None, None)),
        ("  ", (None, None)),
        (5, (5.0, True)),
        ("4", (4.0, True)),
        ("3", (3.0, False)),
        ("3,5", (3.5, False)),
        (4.0, (4.0, True)),
        ("Good", (None, True)),
        ("good  with comment", (None, True)),
        ("Bad with comment", (None, False)),
        ("Offered", (None, None)),
        ("Unoffered", (None, None)),
    ],
)
def test_a_csat_answer_is_a_score_or_a_rating_word(cell: object, expected: Any) -> None:
    assert read_csat(cell, 4) == expected


def test_the_positive_threshold_follows_the_survey() -> None:
    assert read_csat("8", 9) == (8.0, False)
    assert read_csat("9", 9) == (9.0, True)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("great", "a score (such as 4 on a 1–5 survey) or good/bad expected"),
        ("101", "a CSAT score is between 0 and 100"),
        ("-1", "a CSAT score is between 0 and 100"),
        (True, "a score or a rating (good, bad) expected"),
    ],
)
def test_a_csat_cell_that_is_no_answer_is_refused_with_the_reason(
    cell: object, reason: str
) -> None:
    with pytest.raises(ValueError, match="^" + reason.replace("(", r"\(").replace(")", r"\)")):
        read_csat(cell, 4)


def test_nps_and_yes_no_answers() -> None:
    assert [read_nps(cell) for cell in (None, "0", 10, "7")] == [None, 0, 10, 7]
    assert [is_detractor(n) for n in (None, 0, 6, 7, 10)] == [None, True, True, False, False]
    for cell in ("11", "-1", "6.5", "many", True):
        with pytest.raises(ValueError):
            read_nps(cell)
    cells = (None, "", "Yes", "no", "JA", "nie", "kyllä", "ei", 1, 0, True, "Not resolved")
    assert [read_yes_no(cell) for cell in cells] == [
        None, None, True, False, True, False, True, False, True, False, True, False
    ]  # fmt: skip
    with pytest.raises(ValueError, match="yes or no expected"):
        read_yes_no("maybe")


# --- files -------------------------------------------------------------------------------------


@pytest.fixture
def file_import(app: Flask, org: Organisation) -> Callable[..., ImportReport]:
    def run(data: bytes, name: str, *, source: str = "vendor") -> ImportReport:
        return import_as(
            app,
            org.admin.id,
            import_interactions,
            data,
            name,
            source=source,
            max_bytes=1_000_000,
            max_rows=1000,
        )

    return run


def outcomes(app: Flask) -> dict[str, tuple[Any, ...]]:
    """Each stored interaction's reference → (csat_score, csat_positive, nps_score, fcr)."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                Interaction.external_ref,
                Interaction.csat_score,
                Interaction.csat_positive,
                Interaction.nps_score,
                Interaction.resolved_first_contact,
            )
        )
        return {ref: tuple(rest) for ref, *rest in rows}


def test_zendesk_satisfaction_scores_are_read_as_ratings(
    app: Flask, org: Organisation, file_import: Callable[..., ImportReport]
) -> None:
    with app.app_context():
        db.session.get_one(User, org.agent_a1.id).external_id = "Anna Smith"
        db.session.get_one(User, org.agent_a2.id).external_id = "Ben Jones"
        db.session.commit()
    data = (VENDORS / "zendesk-tickets.csv").read_bytes()
    report = file_import(data, "zendesk-tickets.csv", source="zendesk")
    assert report.recognised == "Zendesk — Support ticket CSV export"
    scores = {
        row["Id"]: row["Satisfaction Score"] for row in csv.DictReader(io.StringIO(data.decode()))
    }
    assert scores == {"4711": "Good", "4712": "Offered"}  # as Zendesk writes them
    assert outcomes(app) == {"4711": (None, True, None, None), "4712": (None, None, None, None)}


def _talkdesk_with_survey(scores: list[str]) -> bytes:
    """Talkdesk's calls report as documented (its csat_score column: the post-call survey,
    1–5, empty without an answer), with the three calls' scores set to `scores`."""
    text = (VENDORS / "talkdesk-calls.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [row["csat_score"] for row in rows] == ["5", "", ""]  # the file as documented
    out = io.StringIO()
    writer = csv.DictWriter(out, list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row, score in zip(rows, scores, strict=True):
        writer.writerow(row | {"csat_score": score})
    return out.getvalue().encode()


def test_talkdesk_csat_scores_count_as_positive_from_four(
    app: Flask, file_import: Callable[..., ImportReport]
) -> None:
    data = _talkdesk_with_survey(["5", "3", ""])
    report = file_import(data, "talkdesk.csv", source="talkdesk")
    assert report.recognised == "Talkdesk — Calls report export" and report.new == 3
    refs = [row["call_id"] for row in csv.DictReader(io.StringIO(data.decode()))]
    assert outcomes(app) == {
        refs[0]: (5.0, True, None, None),
        refs[1]: (3.0, False, None, None),
        refs[2]: (None, None, None, None),
    }


def test_the_centre_sets_where_positive_starts(
    app: Flask, file_import: Callable[..., ImportReport]
) -> None:
    app.config["CSAT_POSITIVE_FROM"] = 5
    data = _talkdesk_with_survey(["5", "4", ""])
    file_import(data, "talkdesk.csv", source="talkdesk")
    assert sorted(v[:2] for v in outcomes(app).values() if v[0]) == [(4.0, False), (5.0, True)]


GENERIC = """agent,channel,date,call id,customer,csat,csat positive,nps,fcr
a1@example.test,phone,2026-11-02 09:00,C-1,CUST-1,2,,3,no
a1@example.test,phone,2026-11-02 10:00,C-2,CUST-1,2,yes,9,yes
a1@example.test,chat,2026-11-03 10:00,C-3,,,,,
"""


def test_the_usual_column_names_carry_every_outcome(
    app: Flask, file_import: Callable[..., ImportReport]
) -> None:
    file_import(GENERIC.encode(), "calls.csv")
    assert outcomes(app) == {
        "C-1": (2.0, False, 3, False),
        "C-2": (2.0, True, 9, True),  # the file's own "positive" says more than the scale
        "C-3": (None, None, None, None),
    }


def test_answers_that_are_none_are_refused_row_by_row_and_nothing_is_written(
    app: Flask, file_import: Callable[..., ImportReport]
) -> None:
    bad = GENERIC.replace("CUST-1,2,,3,no", "CUST-1,great,,11,maybe")
    with pytest.raises(TableError) as caught:
        file_import(bad.encode(), "calls.csv")
    assert [str(problem) for problem in caught.value.problems] == [
        'row 2, column "csat" ("great"): a score (such as 4 on a 1–5 survey) or good/bad expected',
        'row 2, column "nps" ("11"): an NPS answer is between 0 and 10',
        'row 2, column "fcr" ("maybe"): yes or no expected',
    ]
    assert outcomes(app) == {}


# --- repeat contacts ---------------------------------------------------------------------------


def _add(agent: User, hours: float, customer: str | None, **details: Any) -> Interaction:
    interaction = Interaction(
        agent_id=agent.id,
        channel="phone",
        occurred_at=START + timedelta(hours=hours),
        customer_ref=customer,
        **details,
    )
    db.session.add(interaction)
    db.session.flush()
    return interaction


def test_a_repeat_contact_is_the_same_customer_again_within_the_days(
    org: Organisation, app_context: None
) -> None:
    a1, b1 = org.agent_a1, org.agent_b1
    first = _add(a1, 0, "CUST-1")
    second = _add(b1, 24 * 3, "CUST-1", source="zendesk")  # another team, another system
    third = _add(a1, 24 * 10 + 1, "CUST-1")  # 7 days and 1 hour after the second
    edge = _add(a1, 0, "CUST-2")
    _add(a1, 24 * 7, "CUST-2")  # exactly 7 days later: still within
    alone = _add(a1, 1, "CUST-3")
    nobody = _add(a1, 2, None)
    found = repeat_contacts([first, second, third, edge, alone, nobody])
    assert found == {
        first.id: True,
        second.id: False,
        third.id: False,
        edge.id: True,
        alone.id: False,
        nobody.id: None,
    }
    assert repeat_contacts([second], days=8)[second.id] is True
    assert repeat_contacts([]) == {}


# --- the form and the page ---------------------------------------------------------------------


def test_the_form_records_the_customer_outcome_and_the_page_shows_it(
    app: Flask, org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    supervisor = sign_in_as(org.supervisor_a)
    call = {
        "agent_id": org.agent_a1.id,
        "channel": "phone",
        "occurred_at": "2026-11-10T10:00",
        "external_ref": "CALL-8",
        "customer_ref": "CUST-9",
        "csat_score": "4",
        "csat_positive": "",
        "nps_score": "5",
        "resolved_first_contact": "no",
    }
    response = post_form(supervisor, "/interactions/new", call, token_from="/interactions/new")
    assert response.status_code == 302
    assert outcomes(app) == {"CALL-8": (4.0, True, 5, False)}  # 4 counts as positive
    with app.app_context():
        _add(org.agent_a1, 24 * 8 + 2, "CUST-9")  # two days after CALL-8
        db.session.commit()
    page = " ".join(supervisor.get(response.location).get_data(as_text=True).split())
    assert "CSAT answer" in page and "detractor" in page
    assert "Yes: the customer contacted the centre again within 7 days." in page
    refused = post_form(
        supervisor,
        "/interactions/new",
        call | {"external_ref": "CALL-9", "nps_score": "11", "csat_score": "150"},
        token_from="/interactions/new",
    )
    assert refused.status_code == 200
    assert "Number must be between 0 and 10." in refused.get_data(as_text=True)
    assert len(outcomes(app)) == 2


# --- the API -----------------------------------------------------------------------------------


@pytest.fixture
def external_ids(app: Flask, org: Organisation) -> None:
    with app.app_context():
        db.session.get_one(User, org.agent_a1.id).external_id = "A-1"
        db.session.commit()


def _call(ref: str, **outcome: Any) -> dict[str, Any]:
    return {
        "agent": "A-1",
        "channel": "phone",
        "occurred_at": "2026-11-02T10:15:00Z",
        "external_ref": ref,
        "customer_ref": "CUST-1",
    } | outcome


@pytest.mark.usefixtures("external_ids")
def test_the_api_takes_and_gives_the_outcomes(app: Flask, org: Organisation, api_as: Any) -> None:
    api = api_as(org.supervisor_a)
    posted = api.post(
        "/api/v1/interactions",
        [
            _call("C-1", csat_score=2, nps_score=10, resolved_first_contact=True),
            _call("C-2", csat_score=2, csat_positive=True, occurred_at="2026-11-04T10:00:00Z"),
            _call("C-3", customer_ref=None),
        ],
    )
    assert posted.status_code == 201, posted.json
    listed = {
        item["external_ref"]: {
            key: item[key]
            for key in ("csat_score", "csat_positive", "nps_score", "resolved_first_contact",
                        "repeat_contact")
        }
        for item in api.get("/api/v1/interactions").json["data"]
    }  # fmt: skip
    assert listed == {
        "C-1": {"csat_score": 2.0, "csat_positive": False, "nps_score": 10,
                "resolved_first_contact": True, "repeat_contact": True},
        "C-2": {"csat_score": 2.0, "csat_positive": True, "nps_score": None,
                "resolved_first_contact": None, "repeat_contact": False},
        "C-3": {"csat_score": None, "csat_positive": None, "nps_score": None,
                "resolved_first_contact": None, "repeat_contact": None},
    }  # fmt: skip


@pytest.mark.usefixtures("external_ids")
def test_the_api_refuses_outcomes_that_are_not_answers(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    api = api_as(org.supervisor_a)
    wrong_type = api.post("/api/v1/interactions", _call("C-1", csat_positive="yes", nps_score=7.5))
    assert wrong_type.status_code == 422
    assert [(d["field"], d["reason"]) for d in wrong_type.json["error"]["details"]] == [
        ("csat_positive", "true or false expected"),  # in the document's order of fields
        ("nps_score", "a whole number expected"),
    ]
    out_of_range = api.post("/api/v1/interactions", [_call("C-1"), _call("C-2", nps_score=11)])
    assert out_of_range.status_code == 422
    assert [
        (d["item"], d["field"], d["reason"]) for d in out_of_range.json["error"]["details"]
    ] == [(1, "nps_score", "an NPS answer is between 0 and 10")]
    assert outcomes(app) == {}


def test_nps_answers_fall_into_three_groups() -> None:
    assert [nps_group(n) for n in (None, 0, 6, 7, 8, 9, 10)] == [
        None, "detractor", "detractor", "passive", "passive", "promoter", "promoter"
    ]  # fmt: skip
