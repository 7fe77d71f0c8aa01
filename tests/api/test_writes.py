"""POST /interactions and POST /stats: the file imports' checks, all or nothing, every problem
with its item and field, idempotency, and the JSON-level errors (bad JSON, wrong types, too
large)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.stats.models import TOTAL_COLUMNS, AgentDailyStat
from qa_app.teams.scope import UNKNOWN_AGENT
from tests.conftest import Organisation

INTERACTIONS, STATS = "/api/v1/interactions", "/api/v1/stats"


@pytest.fixture
def external_ids(app: Flask, org: Organisation) -> None:
    """Agents A1 and B1 known by their phone-system logins A-1 and B-1."""
    with app.app_context():
        db.session.get(User, org.agent_a1.id).external_id = "A-1"
        db.session.get(User, org.agent_b1.id).external_id = "B-1"
        db.session.commit()


def _call(ref: str, **overrides: Any) -> dict[str, Any]:
    item = {
        "agent": "A-1",
        "channel": "phone",
        "occurred_at": "2026-11-02T10:15:00+01:00",
        "external_ref": ref,
        "duration_seconds": 312,
        "queue": "Billing",
    }
    item.update(overrides)
    return item


def _count(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def _details(answer: Any, status: int = 422) -> list[tuple[Any, Any, str]]:
    assert answer.status_code == status, answer.get_data(as_text=True)
    return [(d["item"], d["field"], d["reason"]) for d in answer.json["error"]["details"]]


# --- interactions --------------------------------------------------------------------------


@pytest.mark.usefixtures("external_ids")
def test_one_interaction_is_stored_once_however_often_it_is_sent(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    api = api_as(org.supervisor_a)
    first = api.post(INTERACTIONS, _call("CALL-77"))
    assert first.status_code == 201, first.json
    assert first.json["created"] == 1 and first.json["existing"] == 0
    (stored,) = first.json["data"]
    assert stored["created"] is True and stored["source"] == "api"

    again = api.post(INTERACTIONS, _call("CALL-77", queue="changed"))
    assert again.status_code == 200
    assert again.json["data"] == [dict(stored, created=False)]
    assert _count(app, Interaction) == 1
    with app.app_context():
        interaction = db.session.get(Interaction, stored["id"])
        assert interaction.agent_id == org.agent_a1.id
        assert interaction.occurred_at == datetime(2026, 11, 2, 9, 15, tzinfo=UTC)
        assert (interaction.duration_seconds, interaction.queue) == (312, "Billing")
        assert interaction.created_by_id == org.supervisor_a.id


@pytest.mark.usefixtures("external_ids")
def test_a_batch_returns_existing_and_new_ids_in_order(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    api = api_as(org.manager)
    first = api.post(INTERACTIONS, [_call("C-1"), _call("C-2", agent="b1@example.test")])
    assert first.status_code == 201
    old = {item["external_ref"]: item["id"] for item in first.json["data"]}
    batch = [
        _call("C-2", agent="b1@example.test"),
        _call("C-3", channel="webchat"),
        _call("C-1", source="other"),
    ]
    second = api.post(INTERACTIONS, batch)
    assert second.status_code == 201
    data = second.json["data"]
    assert [(d["external_ref"], d["source"], d["created"]) for d in data] == [
        ("C-2", "api", False),
        ("C-3", "api", True),
        ("C-1", "other", True),  # another source: another interaction
    ]
    assert data[0]["id"] == old["C-2"]
    assert len({d["id"] for d in data} | set(old.values())) == 4
    assert (second.json["created"], second.json["existing"]) == (2, 1)
    assert _count(app, Interaction) == 4
    with app.app_context():
        events = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "interactions.imported")
        ).all()
        assert [e.after["new"] for e in events] == [2, 2]
        assert {e.actor_id for e in events} == {org.manager.id}


@pytest.mark.usefixtures("external_ids")
def test_one_bad_item_stores_nothing_and_says_where(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    batch = [
        _call("OK-1"),
        _call("BAD-1", agent="nobody"),
        _call("BAD-2", channel="fax", recording_url="ftp://x"),
        _call("OK-1"),
        _call("BAD-3", duration_seconds=-4),
    ]
    details = _details(api_as(org.manager).post(INTERACTIONS, batch))
    assert details == [
        (1, "agent", UNKNOWN_AGENT),
        (2, "channel", "unknown channel (use phone, chat, email, in_person or social)"),
        (2, "recording_url", "not an http(s) link"),
        (3, "external_ref", "the same reference as item 0"),
        (4, "duration_seconds", "negative duration"),
    ]
    assert _count(app, Interaction) == 0


@pytest.mark.usefixtures("external_ids")
def test_wrong_json_types_and_unknown_fields_are_reported_per_field(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    batch = [
        {"agent": 7, "channel": "phone", "occurred_at": "yesterday", "external_ref": "X"},
        _call("Y", duration_seconds="300", colour="red"),
        "not an object",
        {"agent": "A-1"},
        _call("Z", duration_seconds=True, queue="a\x00b", occurred_at="2026-11-02T10:15:00"),
    ]
    details = _details(api_as(org.manager).post(INTERACTIONS, batch))
    # Times and durations as text are the shared parsers' to read (issue 18), after the types.
    assert details == [
        (0, "agent", "text expected"),
        (1, "colour", "unknown field"),
        (2, None, "an object expected"),
        (3, "channel", "required"),
        (3, "occurred_at", "required"),
        (3, "external_ref", "required"),
        (4, "duration_seconds", "a whole number expected"),
        (4, "queue", "not valid text (a NUL character or a broken Unicode sequence)"),
    ]
    details = _details(
        api_as(org.manager).post(
            INTERACTIONS,
            [_call("X", occurred_at="yesterday"), _call("Y", duration_seconds="3 parsecs")],
        )
    )
    assert details == [
        (0, "occurred_at", "not a date and time (use YYYY-MM-DD hh:mm)"),
        (1, "duration_seconds", "not a duration (use seconds or hh:mm:ss)"),
    ]
    assert _count(app, Interaction) == 0


@pytest.mark.usefixtures("external_ids")
def test_a_supervisor_records_only_their_teams_agents(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    details = _details(api_as(org.supervisor_b).post(INTERACTIONS, _call("A-CALL")))
    assert details == [(0, "agent", UNKNOWN_AGENT)]  # like nobody at all (issue 17)
    accepted = api_as(org.supervisor_b).post(INTERACTIONS, _call("B-CALL", agent="B-1"))
    assert accepted.status_code == 201
    for who in ("agent_a1", "admin"):
        assert api_as(org.member(who)).post(INTERACTIONS, _call("X")).status_code == 403


def test_bodies_that_are_not_json_batches(app: Flask, org: Organisation, api_as: Any) -> None:
    api = api_as(org.manager)
    headers = dict(api.headers)
    broken = api.client.post(
        INTERACTIONS, data="[{", headers=headers, content_type="application/json"
    )
    assert broken.status_code == 400
    assert broken.json["error"]["code"] == "invalid_json"
    nan = api.client.post(
        INTERACTIONS, data='{"duration_seconds": NaN}', headers=headers,
        content_type="application/json",
    )  # fmt: skip
    assert nan.status_code == 400
    deep = api.client.post(
        INTERACTIONS, data="[" * 100_000, headers=headers, content_type="application/json"
    )
    assert deep.status_code == 400
    form = api.client.post(INTERACTIONS, data={"agent": "A-1"}, headers=headers)
    assert form.status_code == 415
    assert form.json["error"]["code"] == "unsupported_media_type"
    assert _details(api.post(INTERACTIONS, [])) == [
        (None, None, "an empty list: send at least one item")
    ]
    assert _details(api.post(INTERACTIONS, 42)) == [(0, None, "an object expected")]


def test_oversized_bodies_and_batches_are_413_in_json(
    app: Flask, org: Organisation, api_as: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import qa_app.api.views.interactions as interaction_views

    api = api_as(org.manager)
    app.config["MAX_CONTENT_LENGTH"] = 1000
    big = api.post(INTERACTIONS, [_call(f"R-{n}") for n in range(20)])
    assert big.status_code == 413
    assert big.json["error"]["code"] == "payload_too_large"
    app.config["MAX_CONTENT_LENGTH"] = 16 * 1024 * 1024
    monkeypatch.setattr(interaction_views, "MAX_INTERACTIONS", 3)
    many = api.post(INTERACTIONS, [_call(f"R-{n}") for n in range(4)])
    assert many.status_code == 413
    assert many.json["error"]["code"] == "too_many_items"
    assert _count(app, Interaction) == 0


@pytest.mark.usefixtures("external_ids")
def test_the_api_and_the_file_import_share_their_checks(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    """Same bad value, same reason, whichever door it came through."""
    from qa_app.interactions.importer import import_interactions
    from qa_app.uploads.reader import TableError

    text = "Agent,Channel,Start,Call ID,Duration\nA-1,phone,2026-11-02 10:00,F-1,-5\n"
    with app.app_context(), pytest.raises(TableError) as raised:
        import_interactions(
            text.encode(), "calls.csv", source="pbx",
            actor=db.session.get(User, org.manager.id), tz=UTC,
            max_bytes=10_000, max_rows=10,
        )  # fmt: skip
    (from_file,) = [p.reason for p in raised.value.problems]
    details = _details(api_as(org.manager).post(INTERACTIONS, _call("F-1", duration_seconds=-5)))
    assert details == [(0, "duration_seconds", from_file)]


# --- stats ---------------------------------------------------------------------------------

# A1's 2 November as tests/stats/test_import.py's file gives it (AHT and percentages turned into
# totals with the day's counts), and A2's by e-mail.
ROWS = [
    {"agent": "A-1", "day": "2026-11-02", "contacts_handled": 80, "aht_seconds": 300,
     "logged_in_seconds": 28_800, "csat_responses": 20, "csat_pct": 90, "nps_responses": 20,
     "nps_promoters": 12, "nps_detractors": 2, "fcr_eligible": 40, "fcr_pct": 75,
     "transfers": 4},
    {"agent": "a2@example.test", "day": "2026-11-02", "contacts_handled": 20,
     "handle_seconds": 5_000, "logged_in_seconds": 14_400},
]  # fmt: skip
A1_NOV_2 = {
    "contacts_handled": 80, "handle_seconds": 24_000, "logged_in_seconds": 28_800,
    "csat_responses": 20, "csat_positive": 18, "nps_responses": 20, "nps_promoters": 12,
    "nps_detractors": 2, "fcr_eligible": 40, "fcr_resolved": 30, "transfers": 4,
}  # fmt: skip


def _stored(app: Flask) -> dict[tuple[int, date, str], dict[str, int]]:
    with app.app_context():
        return {
            (row.agent_id, row.day, row.channel): {
                name: getattr(row, name) for name in TOTAL_COLUMNS if getattr(row, name)
            }
            for row in db.session.scalars(sa.select(AgentDailyStat))
        }


@pytest.mark.usefixtures("external_ids")
def test_daily_rows_are_stored_as_totals_like_the_file_import(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    api = api_as(org.manager)
    dry = api.post(STATS + "?dry_run=true", ROWS)
    assert dry.status_code == 200
    assert dry.json == {
        "dry_run": True, "rows": 2, "agent_days": 2, "new": 2, "replaced": 0, "agents": 2,
        "first_day": "2026-11-02", "last_day": "2026-11-02", "warnings": [],
    }  # fmt: skip
    assert _count(app, AgentDailyStat) == 0

    stored = api.post(STATS, ROWS)
    assert stored.status_code == 200
    assert stored.json["dry_run"] is False and stored.json["new"] == 2
    nov_2 = date(2026, 11, 2)
    assert _stored(app) == {
        (org.agent_a1.id, nov_2, "all"): A1_NOV_2,
        (org.agent_a2.id, nov_2, "all"): {
            "contacts_handled": 20, "handle_seconds": 5_000, "logged_in_seconds": 14_400,
        },
    }  # fmt: skip

    again = api.post(STATS, dict(ROWS[1], contacts_handled=25))
    assert (again.json["new"], again.json["replaced"]) == (0, 1)
    assert _stored(app)[(org.agent_a2.id, nov_2, "all")]["contacts_handled"] == 25
    with app.app_context():
        event = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "stats.imported")
        ).first()
        assert (event.actor_id, event.after["via"], event.after["source"]) == (
            org.manager.id, "api", "api",
        )  # fmt: skip


@pytest.mark.usefixtures("external_ids")
def test_per_channel_rows_also_make_the_days_total(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    rows = [
        {"agent": "B-1", "day": "2026-11-03", "channel": "phone", "contacts_handled": 10},
        {"agent": "B-1", "day": "2026-11-03", "channel": "chat", "contacts_handled": 5},
    ]
    answer = api_as(org.admin).post(STATS, rows)
    assert answer.status_code == 200
    totals = {key[2]: value["contacts_handled"] for key, value in _stored(app).items()}
    assert totals == {"phone": 10, "chat": 5, "all": 15}


@pytest.mark.usefixtures("external_ids")
def test_good_and_bad_ratings_make_the_responses_as_in_the_file_import(
    app: Flask, org: Organisation, api_as: Any
) -> None:
    """A survey tool's good and bad counts (Zendesk Explore) give the CSAT responses
    through the API as through its file; bad ratings above the responses are refused."""
    good, bad = 14, 2
    rows = [{"agent": "B-1", "day": "2026-11-03", "csat_positive": good, "csat_negative": bad}]
    answer = api_as(org.manager).post(STATS, rows)
    assert answer.status_code == 200, answer.json
    stored = _stored(app)[(org.agent_b1.id, date(2026, 11, 3), "all")]
    assert stored == {"csat_positive": good, "csat_responses": good + bad}

    too_many = [dict(rows[0], csat_responses=good + bad - 1)]
    refused = api_as(org.manager).post(STATS, too_many)
    assert refused.status_code == 422
    assert "more than the csat responses" in str(refused.json)


@pytest.mark.usefixtures("external_ids")
def test_one_bad_row_stores_no_row(app: Flask, org: Organisation, api_as: Any) -> None:
    rows = [
        ROWS[0],
        {"agent": "A-1", "day": "2026-11-03", "contacts_handled": -1},
        {"agent": "nobody", "day": "2026-11-03", "contacts_handled": 1, "csat_pct": 50},
        {"agent": "sup.a@example.test", "day": "2026-11-31", "contacts_handled": 1},
        {"agent": "A-1", "day": "2026-11-04", "contacts_handled": 5, "nps_responses": 1,
         "nps_promoters": 2, "channel": "pigeon"},
    ]  # fmt: skip
    details = _details(api_as(org.manager).post(STATS, rows))
    assert (3, "day", "no such date") in details  # read by the file import's parser
    rows[3]["day"] = "2026-11-30"
    details = _details(api_as(org.manager).post(STATS, rows))
    assert details == [
        (1, "contacts_handled", "negative count"),
        (2, "agent", UNKNOWN_AGENT),
        (2, "csat_pct", "a percentage needs its base column (csat responses) to become a total"),
        (3, "agent", UNKNOWN_AGENT),  # not an agent: unknown as one (issue 17)
        (4, "channel", "unknown channel"),
        (4, "nps_promoters", "more than the nps responses"),
        (4, "nps_responses", "promoters and detractors together exceed the NPS responses"),
    ]
    assert _count(app, AgentDailyStat) == 0


@pytest.mark.usefixtures("external_ids")
def test_stats_type_problems_and_roles(app: Flask, org: Organisation, api_as: Any) -> None:
    manager = api_as(org.manager)
    details = _details(
        manager.post(
            STATS,
            {"agent": "A-1", "day": 20261102, "contacts_handled": 1.5, "handle_seconds": "1:00",
             "csat_pct": 1e300, "nps": 40},
        )
    )  # fmt: skip
    assert details == [
        (0, "day", "text expected"),
        (0, "contacts_handled", "a whole number expected"),
        (0, "csat_pct", "too large"),
        (0, "nps", "unknown field"),
    ]
    huge = [{"agent": "A-1", "day": "2026-11-02", "channel": channel,
             "contacts_handled": 2_000_000_000} for channel in ("phone", "chat")]  # fmt: skip
    assert _details(manager.post(STATS, huge)) == [
        (None, "contacts_handled", "the total for 2026-11-02 (all) is too large to store")
    ]
    for who in ("supervisor_a", "agent_a1"):
        assert api_as(org.member(who)).post(STATS, ROWS).status_code == 403
    assert _details(manager.post(STATS + "?dry_run=maybe", ROWS), 400) == [
        (None, "dry_run", "true or false expected")
    ]
    assert _count(app, AgentDailyStat) == 0
