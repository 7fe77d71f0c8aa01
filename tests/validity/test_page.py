"""The criterion validity page and its workbook on fixed data: every figure recounted here
from the rows written, the query count, access and team scope, the filters, and the sheet
opened with openpyxl."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import lxml.html
import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from scipy import stats

from qa_app.auth.models import User
from qa_app.evaluations.models import Answer, Evaluation, EvaluationStatus
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.scorecards.models import Scorecard
from qa_app.stats.filters import ReportFilters
from qa_app.teams.models import Team
from qa_app.validity.relations import Flag, Outcome
from qa_app.validity.report import validity_report
from tests.conftest import Organisation, post_form
from tests.support.queries import page_queries

DAY = date(2026, 11, 2)
PERIOD = (date(2026, 11, 1), date(2026, 11, 30))
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Contact:
    """One evaluated contact: greeting yes/no, empathy 1..5, the outcomes, the day."""

    greeting: bool
    empathy: int
    csat: bool | None
    fcr: bool | None = None
    customer: str | None = None
    day: date = DAY
    status: str = EvaluationStatus.RELEASED


def add_contacts(agent: User, evaluator: User, contacts: list[Contact]) -> None:
    """The contacts, their evaluations on "Test call" and their answers, in one go."""
    version = db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == "test-call"))
    assert version is not None
    version_id = version.versions[-1].id
    for index, contact in enumerate(contacts):
        at = datetime.combine(contact.day, datetime.min.time(), UTC) + timedelta(minutes=index)
        interaction = Interaction(
            agent_id=agent.id, channel="phone", occurred_at=at, customer_ref=contact.customer,
            csat_positive=contact.csat, csat_score=None if contact.csat is None else
            (5.0 if contact.csat else 2.0), resolved_first_contact=contact.fcr,
        )  # fmt: skip
        db.session.add(interaction)
        db.session.flush()
        empathy = (contact.empathy - 1) / 4
        score = 100 * (int(contact.greeting) + 2 * empathy) / 3
        evaluation = Evaluation(
            interaction_id=interaction.id, agent_id=agent.id, evaluator_id=evaluator.id,
            scorecard_version_id=version_id, status=contact.status, score=score,
            raw_score=score, passed=score >= 80, submitted_at=at + timedelta(hours=1),
        )  # fmt: skip
        evaluation.answers = [
            Answer(criterion_key="greeting", value=float(contact.greeting),
                   normalised=float(contact.greeting)),
            Answer(criterion_key="empathy", value=float(contact.empathy), normalised=empathy),
        ]  # fmt: skip
        db.session.add(evaluation)
    db.session.flush()


# Team A: empathy met (4–5) → CSAT positive 18 of 20; not met (1–3) → 4 of 20. Greeting says
# nothing: yes and no alternate on both sides. FCR known on half of them.
TEAM_A = [
    Contact(index % 2 == 0, 5 if index < 20 else 2, (index < 18) if index < 20 else (index < 24),
            fcr=(index % 4 == 0) if index % 2 == 0 else None)
    for index in range(40)
]  # fmt: skip
# Team B: a few contacts, two of the same customer a day apart (a repeat contact).
TEAM_B = [
    Contact(True, 4, True, True, customer="C1"),
    Contact(True, 4, False, None, customer="C1", day=DAY + timedelta(days=1)),
    Contact(False, 1, False, False, customer="C2"),
    Contact(False, 3, None, True),
    Contact(True, 5, True, True, day=date(2026, 10, 1)),  # before the period
    Contact(True, 5, True, True, status=EvaluationStatus.DRAFT),  # not scored
]


@pytest.fixture
def data(app: Flask, org: Organisation, make_scorecard: Any) -> None:
    make_scorecard()
    with app.app_context():
        add_contacts(org.agent_a1, org.supervisor_a, TEAM_A)
        add_contacts(org.agent_b1, org.supervisor_b, TEAM_B)
        db.session.commit()


def by_key(report: Any) -> dict[tuple[str, Outcome], Any]:
    return {
        (row.relation.criterion_key, row.relation.outcome): row.relation for row in report.relations
    }


def test_figures_match_the_contacts(app: Flask, data: None) -> None:
    with app.app_context():
        report = validity_report(ReportFilters(*PERIOD))
    relations = by_key(report)
    empathy = relations[("empathy", Outcome.CSAT_POSITIVE)]
    # Team A's 40 and team B's three with a CSAT answer in the period (scored only).
    assert (empathy.met_positive, empathy.met_n) == (18 + 1, 20 + 2)
    assert (empathy.not_met_positive, empathy.not_met_n) == (4 + 0, 20 + 1 + 0)
    assert empathy.p_value == pytest.approx(stats.fisher_exact([[19, 3], [4, 17]]).pvalue)
    assert empathy.flag == Flag.CLEAR
    greeting = relations[("greeting", Outcome.CSAT_POSITIVE)]
    assert (greeting.met_n, greeting.not_met_n) == (20 + 2, 20 + 1)
    assert greeting.flag != Flag.CLEAR
    fcr = relations[("greeting", Outcome.RESOLVED_FIRST_CONTACT)]
    assert (fcr.met_positive, fcr.met_n) == (10 + 1, 20 + 1)
    assert (fcr.not_met_positive, fcr.not_met_n) == (0 + 1, 0 + 2)
    repeat = relations[("greeting", Outcome.REPEAT_CONTACT)]
    # Only team B's three contacts with a customer reference are known; C1's first is one.
    assert (repeat.met_positive, repeat.met_n, repeat.not_met_positive, repeat.not_met_n) == (
        1, 2, 0, 1,
    )  # fmt: skip
    assert report.tests == sum(r.relation.p_value is not None for r in report.relations)
    teams = {team.team: team.correlations for team in report.teams}
    scores_a = [100 * (int(c.greeting) + 2 * (c.empathy - 1) / 4) / 3 for c in TEAM_A]
    csat_a = [1.0 if c.csat else 0.0 for c in TEAM_A]
    assert teams["Team A"].evaluations == 40
    assert teams["Team A"].csat_positive.r == pytest.approx(
        stats.pearsonr(scores_a, csat_a).statistic
    )
    assert teams["Team A"].csat_score.n == 40 and teams["Team B"].evaluations == 4
    assert report.overall.evaluations == 44


def test_the_figures_cost_the_same_queries_however_many_evaluations(
    app: Flask, org: Organisation, data: None, sign_in_as: Any
) -> None:
    manager = sign_in_as(org.manager)
    path = f"/validity/?start={PERIOD[0].isoformat()}&end={PERIOD[1].isoformat()}"
    before = page_queries(app, manager, path)
    with app.app_context():
        add_contacts(org.agent_a2, org.supervisor_a, [
            Contact(True, 4, True, customer=f"X{i}") for i in range(30)
        ])  # fmt: skip
        db.session.commit()
    assert page_queries(app, manager, path) == before


def page(client: FlaskClient, query: str = "") -> tuple[int, Any]:
    response = client.get(
        f"/validity/?start={PERIOD[0].isoformat()}&end={PERIOD[1].isoformat()}{query}"
    )
    return response.status_code, lxml.html.fromstring(response.get_data(as_text=True))


def flags_on(document: Any) -> dict[tuple[str, str], str]:
    return {
        (row.get("data-criterion"), row.get("data-outcome")): row.get("data-flag")
        for row in document.xpath("//tr[@data-criterion]")
    }


def test_the_page_shows_the_flags_and_says_what_they_control(
    org: Organisation, data: None, sign_in_as: Any
) -> None:
    status, document = page(sign_in_as(org.manager))
    assert status == 200
    assert flags_on(document)[("empathy", "csat_positive")] == "clear"
    text = document.text_content()
    assert "Benjamini–Hochberg" in text and "false discovery rate" in text
    assert "clear relation" in text
    teams = [row.get("data-team") for row in document.xpath("//tr[@data-team]")]
    assert teams == [str(org.team_a.id), str(org.team_b.id), "all"]


@pytest.mark.parametrize("role", ["agent_a1", "agent_b2"])
def test_agents_may_not_open_the_page_or_the_workbook(
    org: Organisation, data: None, sign_in_as: Any, role: str
) -> None:
    agent = sign_in_as(org.member(role))
    assert agent.get("/validity/").status_code == 403
    assert agent.get("/exports/validity").status_code == 403


def test_a_supervisor_sees_only_their_teams(org: Organisation, data: None, sign_in_as: Any) -> None:
    supervisor = sign_in_as(org.supervisor_b)
    status, document = page(supervisor)
    assert status == 200
    teams = [row.get("data-team") for row in document.xpath("//tr[@data-team]")]
    assert teams == [str(org.team_b.id)]
    # Team A is no choice of theirs: refused, and the page shows their own scope only.
    status, document = page(supervisor, f"&team_id={org.team_a.id}")
    assert status == 400
    assert [row.get("data-team") for row in document.xpath("//tr[@data-team]")] == [
        str(org.team_b.id)
    ]


def test_filters_narrow_the_figures(org: Organisation, data: None, sign_in_as: Any) -> None:
    manager = sign_in_as(org.manager)
    _status, only_b = page(manager, f"&team_id={org.team_b.id}")
    assert [row.get("data-team") for row in only_b.xpath("//tr[@data-team]")] == [
        str(org.team_b.id)
    ]
    assert flags_on(only_b)[("empathy", "csat_positive")] == "too_little"
    _status, none = page(manager, "&scorecard=no-such-card&channel=chat")
    assert not flags_on(none)
    status, _document = page(manager, "&start=2026-12-01&end=2026-11-01")
    assert status == 400


def download(client: FlaskClient, **fields: Any) -> Any:
    form = {
        "start": PERIOD[0].isoformat(),
        "end": PERIOD[1].isoformat(),
        "team_id": "0",
        "scorecard": "",
        "channel": "",
        "language": "en",
        **fields,
    }
    response = post_form(client, "/exports/validity", form, token_from="/exports/validity")
    response.get_data()
    response.close()
    return response


def test_the_workbook_holds_the_page_figures(
    app: Flask, org: Organisation, data: None, sign_in_as: Any
) -> None:
    with app.app_context():
        db.session.get(Team, org.team_b.id).name = '=HYPERLINK("http://x","B")'  # type: ignore[union-attr]  # the fixture's team exists
        db.session.commit()
        report = validity_report(ReportFilters(*PERIOD))
    response = download(sign_in_as(org.manager))
    assert response.status_code == 200 and response.mimetype == XLSX
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["Criteria and outcomes", "QA score and outcomes"]
    rows = list(book["Criteria and outcomes"].iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("Scorecard", "Criterion key", "Criterion", "Outcome")
    written = rows[1 : 1 + len(report.relations)]
    for line, row in zip(written, report.relations, strict=True):
        r = row.relation
        assert line[1] == r.criterion_key and line[3] == r.outcome.label
        assert (line[5], line[7]) == (r.met_n, r.not_met_n)
        estimate = r.difference.estimate
        assert line[8] == (None if estimate is None else pytest.approx(estimate))
        assert line[11] == (None if r.p_value is None else pytest.approx(r.p_value))
        assert line[12] == r.flag.label
    notes = [row[0] for row in rows[2 + len(report.relations) :]]
    assert any("Benjamini–Hochberg" in str(note) for note in notes)
    scores = book["QA score and outcomes"]
    names = [row[0].value for row in scores.iter_rows(min_row=2)]
    # Teams by name; the name that reads like a formula stays text.
    assert names == ['=HYPERLINK("http://x","B")', "Team A", "All teams shown"]
    payload = scores["A2"]
    assert payload.data_type == "s" and payload.quotePrefix


def test_the_workbook_is_reachable_from_the_page_and_the_exports_page(
    org: Organisation, data: None, sign_in_as: Any
) -> None:
    manager = sign_in_as(org.manager)
    _status, document = page(manager)
    (form,) = document.xpath("//form[@data-download='validity']")
    assert form.get("action") == "/exports/validity"
    # The page's own form, as a browser sends it, downloads the workbook of its filters.
    fields = {field.get("name"): field.get("value") for field in form.xpath(".//input")}
    assert fields["start"] == PERIOD[0].isoformat()
    response = manager.post("/exports/validity", data=fields)
    response.get_data()
    response.close()
    assert response.status_code == 200 and response.mimetype == XLSX
    exports = lxml.html.fromstring(manager.get("/exports/").get_data(as_text=True))
    assert exports.xpath("//a[@href='/exports/validity']")
    listed = lxml.html.fromstring(manager.get("/exports/validity").get_data(as_text=True))
    sheets = [tag.text_content() for tag in listed.xpath("//*[@data-sheets]//*[@data-sheet]")]
    assert sheets == ["Criteria and outcomes", "QA score and outcomes"]


def test_a_supervisors_workbook_holds_their_teams_only(
    org: Organisation, data: None, sign_in_as: Any
) -> None:
    response = download(sign_in_as(org.supervisor_a))
    book = openpyxl.load_workbook(io.BytesIO(response.data))
    names = [row[0].value for row in book["QA score and outcomes"].iter_rows(min_row=2)]
    assert names == ["Team A"]
    refused = download(sign_in_as(org.supervisor_a), team_id=str(org.team_b.id))
    assert refused.status_code == 400
