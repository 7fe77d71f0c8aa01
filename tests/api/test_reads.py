"""The API's reading endpoints: what each role sees (an agent: only their own), filters by
period, team, agent and status, cursor pagination, and 400s for bad parameters."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.auth.models import User
from qa_app.evaluations.models import SCORED, VISIBLE_TO_AGENT
from qa_app.extensions import db
from qa_app.stats.models import AgentDailyStat
from tests.conftest import Organisation

if TYPE_CHECKING:
    from qa_app.evaluations.models import Evaluation
    from qa_app.training.models import TrainingPlan


V1 = "/api/v1"


def _ids(answer: Any) -> list[int]:
    assert answer.status_code == 200, answer.json
    return [item["id"] for item in answer.json["data"]]


def _bad_parameter(answer: Any, name: str) -> str:
    assert answer.status_code == 400, answer.json
    error = answer.json["error"]
    assert error["code"] == "invalid_parameter"
    (detail,) = error["details"]
    assert detail["field"] == name
    return detail["reason"]


# --- agents ----------------------------------------------------------------------------


def test_agents_by_scope(app: Flask, org: Organisation, api_as: Any) -> None:
    agents = [org.member(key).id for key in ("agent_a1", "agent_a2", "agent_b1", "agent_b2")]
    assert _ids(api_as(org.manager).get(f"{V1}/agents")) == agents
    assert _ids(api_as(org.admin).get(f"{V1}/agents")) == agents
    assert _ids(api_as(org.supervisor_a).get(f"{V1}/agents")) == agents[:2]
    assert _ids(api_as(org.supervisor_none).get(f"{V1}/agents")) == []
    own = api_as(org.agent_b1).get(f"{V1}/agents")
    assert _ids(own) == [org.agent_b1.id]
    assert own.json["data"][0] == {
        "id": org.agent_b1.id,
        "display_name": org.agent_b1.display_name,
        "email": "b1@example.test",
        "external_id": None,
        "identities": [],
        "active": True,
        "team": {"id": org.team_b.id, "name": "Team B"},
    }


def test_agents_by_team_and_unknown_teams(app: Flask, org: Organisation, api_as: Any) -> None:
    manager, supervisor = api_as(org.manager), api_as(org.supervisor_a)
    team_b = org.team_b.id
    assert _ids(manager.get(f"{V1}/agents?team={team_b}")) == [
        org.agent_b1.id,
        org.agent_b2.id,
    ]
    assert _bad_parameter(manager.get(f"{V1}/agents?team=999"), "team") == "unknown team"
    # Team B exists, but it is not supervisor A's: it is unknown to them.
    assert _bad_parameter(supervisor.get(f"{V1}/agents?team={team_b}"), "team") == "unknown team"
    for value in ("abc", "0", "-1", "1.5", "99999999999"):
        _bad_parameter(manager.get(f"{V1}/agents?team={value}"), "team")


# --- performance -------------------------------------------------------------------------


@pytest.fixture
def daily_stats(app: Flask, org: Organisation) -> None:
    """Two days of agent A1 and one of agent A2 (team A), one day of B1."""
    rows = [
        (org.agent_a1, date(2026, 11, 2), 80, 24_000, 28_800, 20, 18),
        (org.agent_a1, date(2026, 11, 3), 40, 14_000, 14_400, 10, 6),
        (org.agent_a2, date(2026, 11, 2), 20, 5_000, 14_400, 5, 5),
        (org.agent_b1, date(2026, 11, 2), 50, 20_000, 28_800, 0, 0),
    ]
    with app.app_context():
        for agent, day, contacts, handle, logged_in, responses, positive in rows:
            db.session.add(
                AgentDailyStat(
                    agent_id=agent.id,
                    day=day,
                    contacts_handled=contacts,
                    handle_seconds=handle,
                    logged_in_seconds=logged_in,
                    csat_responses=responses,
                    csat_positive=positive,
                )
            )
        db.session.commit()


def _picture(
    app: Flask, agent: User, start: date, end: date, statuses: tuple[str, ...] = SCORED
) -> dict[str, Any]:
    from qa_app.stats.agent_performance import agent_performance
    from qa_app.stats.filters import ReportFilters

    with app.app_context():
        filters = ReportFilters(start, end, UTC, agent_id=agent.id, statuses=statuses)
        return agent_performance(filters).public_figures()


@pytest.mark.usefixtures("daily_stats")
def test_performance_is_exactly_the_agent_pages_figures(
    app: Flask, org: Organisation, records: dict[str, int], api_as: Any
) -> None:
    a1 = org.agent_a1
    today = datetime.now(UTC).date()
    start = date(2026, 11, 1)
    end = max(today, date(2026, 11, 30))
    answer = api_as(org.supervisor_a).get(f"{V1}/agents/{a1.id}/performance?from={start}&to={end}")
    assert answer.status_code == 200, answer.json
    backwards = api_as(org.supervisor_a).get(
        f"{V1}/agents/{a1.id}/performance?from={end}&to={start}"
    )
    assert _bad_parameter(backwards, "from") == "after 'to'"  # the translatable reason
    expected = _picture(app, a1, start, end)
    assert answer.json == {"agent_id": a1.id, "from": str(start), "to": str(end), **expected}
    # The numbers themselves: AHT = Σ handle / Σ contacts, never a mean of daily AHTs.
    assert answer.json["aht_seconds"] == pytest.approx(38_000 / 120)
    assert answer.json["csat_pct"] == pytest.approx(100 * 24 / 30)
    assert answer.json["qa_n"] == 3

    # The agent's own token: the agent page's figures as the agent sees them, without the
    # evaluation that is submitted but not released to them yet.
    default = api_as(a1).get(f"{V1}/agents/{a1.id}/performance")
    assert default.status_code == 200
    assert default.json["to"] == str(today)
    assert default.json["from"] == str(today - timedelta(days=89))
    assert default.json == {
        "agent_id": a1.id,
        "from": default.json["from"],
        "to": default.json["to"],
        **_picture(app, a1, today - timedelta(days=89), today, VISIBLE_TO_AGENT),
    }
    assert default.json["qa_n"] == 2


def test_performance_outside_the_scope_is_not_found(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    a1, a2 = org.agent_a1.id, org.agent_a2.id
    for who, agent_id in (
        ("agent_a1", a2),
        ("supervisor_b", a1),
        ("supervisor_none", a1),
        ("manager", org.supervisor_a.id),  # not an agent
        ("manager", 424242),
    ):
        answer = api_as(org.member(who)).get(f"{V1}/agents/{agent_id}/performance")
        assert answer.status_code == 404, (who, agent_id)
        assert answer.json["error"]["code"] == "not_found"


def test_performance_refuses_bad_periods(app: Flask, org: Organisation, api_as: Any) -> None:
    api = api_as(org.manager)
    path = f"{V1}/agents/{org.agent_a1.id}/performance"
    assert _bad_parameter(api.get(path + "?from=2026-02-30"), "from") == "no such date"
    assert "YYYY-MM-DD" in _bad_parameter(api.get(path + "?to=01.11.2026"), "to")
    assert "after" in _bad_parameter(api.get(path + "?from=2026-11-05&to=2026-11-01"), "from")
    next_month = (date.today() + timedelta(days=31)).isoformat()  # after "to", today
    assert "after" in _bad_parameter(api.get(path + f"?from={next_month}"), "from")
    # A day no record can have is refused as such (issue 17, finding 8).
    for day in ("0001-01-01", "1999-12-31", "2999-01-01", "9999-12-31"):
        reason = _bad_parameter(api.get(path + f"?from={day}"), "from")
        assert reason.startswith("outside the days this app accepts (2000-01-01 to ")
    _bad_parameter(api.get(path + "?from="), "from")


# --- interactions ------------------------------------------------------------------------


def test_interactions_by_scope_and_filters(
    app: Flask, org: Organisation, records: dict[str, int], api_as: Any
) -> None:
    from qa_app.interactions.models import Interaction

    with app.app_context():
        team_a = list(db.session.scalars(sa.select(Interaction.id).order_by(Interaction.id)))
        db.session.add(
            Interaction(
                agent_id=org.agent_b1.id,
                channel="chat",
                occurred_at=datetime(2026, 10, 30, 23, 30, tzinfo=UTC),
                source="genesys",
                external_ref="CHAT-9",
            )
        )
        db.session.commit()
        b1_chat = db.session.scalar(sa.select(sa.func.max(Interaction.id)))
    manager = api_as(org.manager)
    assert _ids(manager.get(f"{V1}/interactions")) == [*team_a, b1_chat]
    assert _ids(api_as(org.supervisor_a).get(f"{V1}/interactions")) == team_a
    assert _ids(api_as(org.supervisor_b).get(f"{V1}/interactions")) == [b1_chat]
    assert _ids(manager.get(f"{V1}/interactions?channel=chat")) == [b1_chat]
    assert _ids(manager.get(f"{V1}/interactions?team={org.team_a.id}")) == team_a
    assert _ids(manager.get(f"{V1}/interactions?agent={org.agent_b1.id}")) == [b1_chat]
    assert _ids(manager.get(f"{V1}/interactions?source=genesys&external_ref=CHAT-9")) == [b1_chat]
    assert _ids(manager.get(f"{V1}/interactions?external_ref=CALL-2")) == team_a[1:2]
    # Periods are days of the centre's time zone (UTC here), both ends included.
    assert _ids(manager.get(f"{V1}/interactions?to=2026-10-30")) == [b1_chat]
    assert _ids(manager.get(f"{V1}/interactions?from=2026-10-31")) == team_a
    assert _ids(manager.get(f"{V1}/interactions?from=2026-11-02&to=2026-11-02")) == team_a

    supervisor = api_as(org.supervisor_a)
    agent_b1 = org.agent_b1.id
    assert _bad_parameter(supervisor.get(f"{V1}/interactions?agent={agent_b1}"), "agent") == (
        "unknown agent"
    )
    _bad_parameter(manager.get(f"{V1}/interactions?channel=fax"), "channel")
    _bad_parameter(manager.get(f"{V1}/interactions?source=a%00b"), "source")


def test_interaction_lists_leave_out_transcripts(
    app: Flask, org: Organisation, records: dict[str, int], api_as: Any
) -> None:
    item = api_as(org.manager).get(f"{V1}/interactions").json["data"][0]
    assert "transcript" not in item
    assert item["occurred_at"] == "2026-11-02T10:00:00Z"


# --- evaluations -------------------------------------------------------------------------


def test_an_agent_sees_only_their_own_released_evaluations(
    app: Flask,
    org: Organisation,
    draft_evaluation: Evaluation,
    submitted_evaluation: Evaluation,
    released_evaluation: Evaluation,
    disputed_evaluation: Evaluation,
    api_as: Any,
) -> None:
    released = [released_evaluation.id, disputed_evaluation.id]
    assert _ids(api_as(org.agent_a1).get(f"{V1}/evaluations")) == released
    assert _ids(api_as(org.agent_a2).get(f"{V1}/evaluations")) == []
    agent = api_as(org.agent_a1)
    for hidden in (draft_evaluation.id, submitted_evaluation.id):
        assert agent.get(f"{V1}/evaluations/{hidden}").status_code == 404
    assert api_as(org.agent_a2).get(f"{V1}/evaluations/{released[0]}").status_code == 404
    filtered = agent.get(f"{V1}/evaluations?agent={org.agent_a2.id}")
    assert _bad_parameter(filtered, "agent") == "unknown agent"


def test_supervisors_see_their_teams_evaluations_only(
    app: Flask, org: Organisation, records: dict[str, int], api_as: Any
) -> None:
    everything = [records[k] for k in ("draft_id", "submitted_id", "released_id", "disputed_id")]
    assert _ids(api_as(org.supervisor_a).get(f"{V1}/evaluations")) == everything
    assert _ids(api_as(org.manager).get(f"{V1}/evaluations")) == everything
    supervisor_b = api_as(org.supervisor_b)
    assert _ids(supervisor_b.get(f"{V1}/evaluations")) == []
    answer = supervisor_b.get(f"{V1}/evaluations/{records['released_id']}")
    assert answer.status_code == 404
    assert answer.json["error"]["code"] == "not_found"


def test_evaluation_filters(
    app: Flask, org: Organisation, records: dict[str, int], api_as: Any
) -> None:
    manager = api_as(org.manager)
    assert _ids(manager.get(f"{V1}/evaluations?status=draft")) == [records["draft_id"]]
    assert _ids(manager.get(f"{V1}/evaluations?status=disputed")) == [records["disputed_id"]]
    assert _ids(manager.get(f"{V1}/evaluations?team={org.team_b.id}")) == []
    today = datetime.now(UTC).date()
    submitted = [records[k] for k in ("submitted_id", "released_id", "disputed_id")]
    # The period is when the evaluation was submitted: drafts have no such day.
    assert _ids(manager.get(f"{V1}/evaluations?from={today}&to={today}")) == submitted
    assert _ids(manager.get(f"{V1}/evaluations?to={today - timedelta(days=1)}")) == []
    reason = _bad_parameter(manager.get(f"{V1}/evaluations?status=finished"), "status")
    assert reason.startswith("one of acknowledged, ")


def test_one_evaluation_with_its_answers(
    app: Flask, org: Organisation, released_evaluation: Evaluation, api_as: Any
) -> None:
    answer = api_as(org.agent_a1).get(f"{V1}/evaluations/{released_evaluation.id}")
    assert answer.status_code == 200
    body = answer.json
    assert body["id"] == released_evaluation.id
    assert body["status"] == "released"
    assert body["score"] == pytest.approx(100 * (1 + 2 * 0.75) / 3)
    assert body["agent"]["id"] == org.agent_a1.id
    assert body["evaluator"]["id"] == org.supervisor_a.id
    assert body["scorecard"] == {"slug": "test-call", "version": 1}
    assert body["interaction"]["occurred_at"] == "2026-11-02T10:00:00Z"
    assert [(a["criterion_key"], a["value"], a["r"], a["na"]) for a in body["answers"]] == [
        ("greeting", 1, 1, False),
        ("empathy", 4, 0.75, False),
    ]
    assert body["answers"][1]["label"] == "Empathy"
    assert body["answers"][1]["section"] == "Opening"


# --- pagination --------------------------------------------------------------------------


def test_pages_follow_the_next_link_to_the_end(
    app: Flask, org: Organisation, records: dict[str, int], api_as: Any
) -> None:
    from qa_app.interactions.models import Interaction

    with app.app_context():
        for number in range(7):
            db.session.add(
                Interaction(
                    agent_id=org.agent_a2.id,
                    channel="email",
                    occurred_at=datetime(2026, 11, 5, 9, tzinfo=UTC),
                    external_ref=f"MAIL-{number}",
                )
            )
        db.session.commit()
        expected = list(
            db.session.scalars(
                sa.select(Interaction.id)
                .where(Interaction.channel == "email")
                .order_by(Interaction.id)
            )
        )
    api = api_as(org.supervisor_a)
    url, seen, pages = f"{V1}/interactions?channel=email&limit=3", [], 0
    while url:
        answer = api.get(url)
        pages += 1
        seen += _ids(answer)
        url = answer.json["next"]
        if url:
            parts = urlsplit(url)
            assert parse_qs(parts.query)["channel"] == ["email"]  # the filters stay
            assert parse_qs(parts.query)["limit"] == ["3"]
            url = parts.path + "?" + parts.query
    assert seen == expected
    assert pages == 3


def test_bad_page_parameters(app: Flask, org: Organisation, api_as: Any) -> None:
    api = api_as(org.manager)
    for value in ("0", "201", "-5", "ten", "²"):
        _bad_parameter(api.get(f"{V1}/agents?limit={value}"), "limit")
    for cursor in ("nonsense", "YWZ0ZXI6", "%00", "bm90LWEtY3Vyc29y"):
        _bad_parameter(api.get(f"{V1}/agents?cursor={cursor}"), "cursor")


# --- scorecards ----------------------------------------------------------------------------


def test_scorecards_and_one_version(
    app: Flask, org: Organisation, records: dict[str, int], api_as: Any
) -> None:
    api = api_as(org.supervisor_b)
    listing = api.get(f"{V1}/scorecards")
    assert listing.status_code == 200
    (card,) = listing.json["data"]
    assert (card["slug"], card["status"]) == ("test-call", "active")
    assert [version["number"] for version in card["versions"]] == [1]
    assert _ids(api.get(f"{V1}/scorecards?status=archived")) == []

    version = api.get(f"{V1}/scorecards/test-call/versions/1")
    assert version.status_code == 200
    body = version.json
    assert (body["slug"], body["number"], body["pass_mark"]) == ("test-call", 1, 80)
    keys = [c["key"] for s in body["definition"]["sections"] for c in s["criteria"]]
    assert keys == ["greeting", "empathy"]
    for missing in ("test-call/versions/2", "nope/versions/1", "Bad%00Slug/versions/1"):
        answer = api.get(f"{V1}/scorecards/{missing}")
        assert answer.status_code == 404
        assert answer.json["error"]["code"] == "not_found"


# --- training plans --------------------------------------------------------------------------


def test_training_plans_by_scope(
    app: Flask, org: Organisation, issued_plan: TrainingPlan, api_as: Any
) -> None:
    from qa_app.training import plans

    with app.app_context():
        supervisor = db.session.get(User, org.supervisor_a.id)
        agent_a2 = db.session.get(User, org.agent_a2.id)
        draft = plans.create_plan(agent_a2, date(2026, 8, 1), date(2026, 10, 31), supervisor)
        db.session.commit()
        draft_id = draft.id
    issued = issued_plan.id
    assert _ids(api_as(org.agent_a1).get(f"{V1}/training-plans")) == [issued]
    assert _ids(api_as(org.agent_a2).get(f"{V1}/training-plans")) == []  # a draft: not yet
    assert _ids(api_as(org.supervisor_a).get(f"{V1}/training-plans")) == [issued, draft_id]
    assert _ids(api_as(org.supervisor_b).get(f"{V1}/training-plans")) == []
    manager = api_as(org.manager)
    assert _ids(manager.get(f"{V1}/training-plans?status=draft")) == [draft_id]
    assert _ids(manager.get(f"{V1}/training-plans?agent={org.agent_a1.id}")) == [issued]
    assert _ids(manager.get(f"{V1}/training-plans?team={org.team_b.id}")) == []

    plan = api_as(org.agent_a1).get(f"{V1}/training-plans").json["data"][0]
    assert plan["status"] == "issued"
    (item,) = plan["items"]
    assert item["module"]["key"] == "empathy-statements"
    assert (item["reason"], item["due_on"], item["status"]) == ("Empathy 55%.", "2026-12-15",
                                                              "assigned")  # fmt: skip
