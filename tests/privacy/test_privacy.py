"""Privacy: "Download my data" is complete and about nobody else; anonymising a departed
agent removes their identity and the text about them everywhere, and changes no figure."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.admin.services import user_snapshot
from qa_app.audit.models import AuditEvent, AuditRedaction
from qa_app.audit.services import record_event
from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.privacy import anonymise as anonymise_module
from qa_app.privacy.anonymise import AnonymiseError, anonymise_agent
from qa_app.privacy.personal_data import REFERENCES, references_to_user
from qa_app.stats.models import AgentDailyStat
from tests.conftest import Organisation, csrf_token, post_form, sign_in

NAME = "Zelda Quirrell"
EXTERNAL_ID = "EXT-4711"
ACK_COMMENT = "Thanks Zelda, noted for next time."
ANSWER_COMMENT = "Zelda greeted the customer warmly."
OVERALL = "Zelda handled a hard call."
PLAN_NOTE = "Zelda asked for more role play."
COACH_NOTES = ("Zelda needs patience with callers.", "Zelda: practise the scripts.")
RESOLUTION = "Zelda's greeting is missing at 00:12."
TEXTS = (ACK_COMMENT, ANSWER_COMMENT, OVERALL, PLAN_NOTE, *COACH_NOTES, RESOLUTION,
         "I did greet.", "Empathy 55%.", "We listened to call 4.", "Customer Alice Smith",
         "Zelda's phone token")  # fmt: skip


def _stat(agent_id: int, day: date) -> AgentDailyStat:
    return AgentDailyStat(
        agent_id=agent_id,
        day=day,
        contacts_handled=80,
        handle_seconds=24_000,
        logged_in_seconds=28_800,
        csat_responses=20,
        csat_positive=17,
    )


@pytest.fixture
def subject(
    app: Flask, org: Organisation, records: dict[str, int], make_token: Callable[..., str]
) -> dict[str, Any]:
    """Agent A1 with a name, an external id and personal text in every place the app keeps
    some: evaluation comments, an acknowledgement, a dispute and its resolution, plan and
    item notes, a coaching session,
    an interaction's customer and transcript, an API token, statistics, and the audit trail."""
    from datetime import UTC, datetime

    from qa_app.evaluations import services
    from qa_app.evaluations.models import Dispute
    from qa_app.interactions.services import create_interaction
    from qa_app.scorecards.models import Scorecard
    from qa_app.training import plans
    from qa_app.training.models import TrainingPlan

    make_token(org.agent_a1, name="Zelda's phone token")
    with app.app_context():
        agent = db.session.get(User, org.agent_a1.id)
        agent.display_name, agent.external_id = NAME, EXTERNAL_ID
        record_event("user.created", "user", agent.id, after=user_snapshot(agent))
        supervisor = db.session.get(User, org.supervisor_a.id)
        interaction = create_interaction(
            agent,
            channel="phone",
            actor=supervisor,
            occurred_at=datetime(2026, 11, 5, 9, tzinfo=UTC),
            external_ref="CALL-9",
            customer_ref="Customer Alice Smith",
            transcript="Hello, this is Zelda.",
        )
        scorecard = db.session.get(Scorecard, records["scorecard_id"])
        evaluation = services.start_evaluation(supervisor, interaction, scorecard)
        edit = services.Edit(
            {"greeting": True, "empathy": 4},
            {"greeting": ANSWER_COMMENT},
            {"overall_comment": OVERALL, "strengths": None, "opportunities": None},
            evaluation.lock_version,
        )
        services.submit(evaluation, edit, supervisor)  # team A releases at once
        services.acknowledge(evaluation, agent, ACK_COMMENT)
        plan = db.session.get(TrainingPlan, records["plan_id"])
        plans.update_notes(plan, COACH_NOTES[0], supervisor)
        plans.update_item(plan.items[0], plan.items[0].due_on, COACH_NOTES[1], supervisor)
        plans.acknowledge_plan(plan, agent, PLAN_NOTE)
        dispute = db.session.get(Dispute, records["dispute_id"])
        services.reject_dispute(dispute, supervisor, RESOLUTION)
        today = date.today()
        db.session.add_all(
            [_stat(agent.id, today - timedelta(days=1)), _stat(org.agent_a2.id, today)]
        )
        db.session.commit()
        records["commented_id"] = evaluation.id
    return {"agent": org.agent_a1, "email": org.agent_a1.email}


def test_every_reference_to_a_user_is_covered(app: Flask) -> None:
    """A new table with a foreign key to user fails here until the export covers it."""
    assert references_to_user(db.metadata) == set(REFERENCES)


def test_the_coverage_check_sees_a_new_table(app: Flask) -> None:
    metadata = sa.MetaData()
    for table in db.metadata.tables.values():
        table.to_metadata(metadata)
    sa.Table(
        "badge", metadata, sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("holder_id", sa.ForeignKey("user.id")),
    )  # fmt: skip
    assert references_to_user(metadata) - set(REFERENCES) == {"badge.holder_id"}


def _download(client: FlaskClient) -> Any:
    return client.post("/account/my-data", data={"csrf_token": csrf_token(client, "/account")})


def test_an_agent_downloads_everything_about_them(
    app: Flask,
    org: Organisation,
    records: dict[str, int],
    subject: dict[str, Any],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    response = _download(sign_in_as(subject["agent"]))
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=qa-coach-my-data_Zelda-Quirrell_")
    assert disposition.endswith(".json")
    text = response.get_data(as_text=True)
    data = json.loads(text)
    assert data["profile"]["email"] == subject["email"]
    assert data["profile"]["external_id"] == EXTERNAL_ID
    # Released evaluations only: not the draft, not the submitted-but-unreleased one.
    shown = {e["id"] for e in data["evaluations"]}
    assert shown == {records["released_id"], records["disputed_id"], records["commented_id"]}
    released = next(e for e in data["evaluations"] if e["id"] == records["commented_id"])
    assert released["overall_comment"] == OVERALL
    assert released["acknowledgement_comment"] == ACK_COMMENT
    assert {a["criterion"]: a["comment"] for a in released["answers"]}["greeting"] == ANSWER_COMMENT
    assert released["evaluator"] == org.supervisor_a.display_name
    assert released["revisions"]
    assert [d["id"] for d in data["disputes"]] == [records["dispute_id"]]
    assert data["disputes"][0]["reason"] == "I did greet."
    assert [p["id"] for p in data["training_plans"]] == [records["plan_id"]]
    assert [i["id"] for i in data["training_plans"][0]["items"]] == [records["item_id"]]
    assert [s["id"] for s in data["coaching_sessions"]] == [records["session_id"]]
    assert records["interaction_id"] in {i["id"] for i in data["interactions"]}
    assert "Hello, this is Zelda." not in text  # the customer is in the transcript too
    assert len(data["statistics"]) == 1 and data["statistics"][0]["contacts_handled"] == 80
    assert [t["name"] for t in data["api_tokens"]] == ["Zelda's phone token"]
    assert data["sign_in_sessions"]
    actions = {e["action"] for e in data["audit_events"]}
    assert {
        "auth.signed_in",
        "user.created",
        "dispute.raised",
        "evaluation.acknowledged",
    } <= actions
    # Nobody else's address, no customer details, no secrets.
    others = [
        u.email
        for key, u in org.members().items()
        if key.startswith(("agent_", "sup", "man", "adm"))
    ]
    assert [email for email in others if email in text] == [subject["email"]]
    assert "Alice Smith" not in text
    assert "token_hash" not in text and "password_hash" not in text
    with app.app_context():
        logged = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "privacy.data_downloaded")
        ).one()
        assert (
            logged.actor_id == subject["agent"].id and logged.after["sections"]["evaluations"] == 3
        )


def test_every_column_about_the_agent_is_in_their_copy(
    app: Flask, records: dict[str, int], subject: dict[str, Any], sign_in_as: Any
) -> None:
    """Each row pointing at the agent appears (by id) in the section REFERENCES names —
    except the evaluations not yet shown to them."""
    data = json.loads(_download(sign_in_as(subject["agent"])).get_data(as_text=True))
    hidden = {("evaluation", records["draft_id"]), ("evaluation", records["submitted_id"])}
    agent_id = subject["agent"].id
    with app.app_context():
        # The download's own audit event is written after the copy is made.
        downloaded = sa.select(AuditEvent.id).where(AuditEvent.action == "privacy.data_downloaded")
        hidden.add(("audit_event", db.session.scalar(downloaded)))
        for reference, section in REFERENCES.items():
            table_name, column = reference.split(".")
            if section in ("profile", "none", "records_made"):
                continue
            table = db.metadata.tables[table_name]
            ids = set(db.session.scalars(sa.select(table.c.id).where(table.c[column] == agent_id)))
            shown = {row["id"] for row in data[section]}
            missing = {row_id for row_id in ids - shown if (table_name, row_id) not in hidden}
            assert missing == set(), reference


def test_a_supervisor_gets_their_records_by_id_only(
    app: Flask, org: Organisation, records: dict[str, int], subject: Any, sign_in_as: Any
) -> None:
    response = _download(sign_in_as(org.supervisor_a))
    text = response.get_data(as_text=True)
    data = json.loads(text)
    made = {(r["table"], r["as"]): set(r["ids"]) for r in data["records_made"]}
    assert records["released_id"] in made[("evaluation", "evaluator_id")]
    assert data["profile"]["supervised_teams"] == ["Team A"]
    assert data["evaluations"] == []
    assert records["dispute_id"] in made[("dispute", "resolved_by_id")]
    # What the supervisor wrote about the agent is the agent's, not in the supervisor's copy.
    for secret in (NAME, subject["email"], OVERALL, ANSWER_COMMENT, RESOLUTION, *COACH_NOTES):
        assert secret not in text


def test_the_download_name_is_safe(app: Flask, org: Organisation, sign_in_as: Any) -> None:
    with app.app_context():
        db.session.get(User, org.agent_b2.id).display_name = 'Ünal "x"\r\nSet-Cookie: a=b'
        db.session.commit()
    response = _download(sign_in_as(org.agent_b2))
    disposition = response.headers["Content-Disposition"]
    assert "\r" not in disposition and "\n" not in disposition and '"' not in disposition
    assert not any("a=b" in cookie for cookie in response.headers.getlist("Set-Cookie"))
    assert "filename*=UTF-8''qa-coach-my-data_%C3%9Cnal-x-Set-Cookie-a-b_" in disposition
    assert json.loads(response.get_data(as_text=True))["profile"]["display_name"].startswith("Ünal")


def test_the_download_needs_a_post_with_the_form_token(
    app: Flask, org: Organisation, sign_in_as: Any
) -> None:
    client = sign_in_as(org.agent_a2)
    assert client.get("/account/my-data").status_code == 405
    response = client.post("/account/my-data", data={})
    assert response.status_code == 400 and response.mimetype != "application/json"
    assert "Download my data" in client.get("/account").get_data(as_text=True)


# --- anonymisation --------------------------------------------------------------------


def _numbers(value: Any) -> Any:
    """The numbers (and flags) of a report with every text blanked: the figures to compare."""
    if dataclasses.is_dataclass(value):
        value = dataclasses.asdict(value)
    if isinstance(value, dict):
        return {str(key): _numbers(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_numbers(item) for item in value]
    return None if isinstance(value, str) else value


def _figures(agent_id: int) -> dict[str, Any]:
    """Every aggregate the agent counts in: their page, the team table, the centre."""
    from qa_app.dashboards.centre import teams_compared, weakest_criteria
    from qa_app.dashboards.team import heat_map, team_table
    from qa_app.evaluations.models import Answer, Evaluation
    from qa_app.stats.agent_performance import agent_performance
    from qa_app.stats.filters import ReportFilters

    end = date.today()
    filters = ReportFilters(start=end - timedelta(days=89), end=end)
    return {
        "agent": _numbers(
            agent_performance(dataclasses.replace(filters, agent_id=agent_id)).public_figures()
        ),
        "team": _numbers(team_table(filters)),
        "heat_map": _numbers(heat_map(filters)),
        "centre": _numbers(teams_compared(filters)),
        "criteria": _numbers(weakest_criteria(filters)),
        "scores": db.session.execute(
            sa.select(
                Evaluation.id, Evaluation.score, Evaluation.raw_score, Evaluation.status
            ).order_by(Evaluation.id)
        ).all(),
        "answers": db.session.execute(
            sa.select(Answer.id, Answer.value, Answer.normalised).order_by(Answer.id)
        ).all(),
        "stats": db.session.execute(
            sa.select(AgentDailyStat.agent_id, AgentDailyStat.contacts_handled)
        ).all(),
    }


def _database_text() -> str:
    """Every row of every table, as text: where a name or a note could still hide."""
    parts = []
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            parts += [repr(tuple(row)) for row in connection.execute(sa.select(table))]
    return "\n".join(parts)


def _deactivate(app: Flask, user_id: int) -> None:
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()


def test_an_admin_anonymises_a_departed_agent(
    app: Flask, org: Organisation, subject: dict[str, Any], sign_in_as: Any
) -> None:
    agent_id = subject["agent"].id
    _deactivate(app, agent_id)
    with app.app_context():
        before = _figures(agent_id)
        assert before["agent"]["qa_n"] == 4 and before["agent"]["csat_pct"] == 85.0
        events_before = db.session.scalars(sa.select(AuditEvent.id).order_by(AuditEvent.id)).all()
    text = _database_text_in(app)
    assert all(secret in text for secret in (NAME, subject["email"], EXTERNAL_ID, *TEXTS))

    admin = sign_in_as(org.admin)
    page = admin.get(f"/admin/users/{agent_id}/anonymise")
    assert page.status_code == 200 and "cannot be undone" in page.get_data(as_text=True)
    wrong = post_form(admin, f"/admin/users/{agent_id}/anonymise", {"confirm_email": "x@y.z"})
    assert wrong.status_code == 400
    response = post_form(
        admin, f"/admin/users/{agent_id}/anonymise", {"confirm_email": subject["email"].upper()}
    )
    assert response.status_code == 302

    text = _database_text_in(app)
    for secret in (NAME, subject["email"], EXTERNAL_ID, *TEXTS):
        assert secret not in text, secret
    expected = (
        "anon-"
        + hmac.new(
            app.config["SECRET_KEY"].encode(), str(agent_id).encode(), hashlib.sha256
        ).hexdigest()[:12]
    )
    with app.app_context():
        agent = db.session.get(User, agent_id)
        assert agent.email == f"{expected}@anonymised.invalid"
        assert agent.display_name == f"Anonymised agent {expected[5:13]}"
        assert agent.external_id is None and agent.anonymised_at is not None
        assert _figures(agent_id) == before
        events = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [e.id for e in events[: len(events_before)]] == events_before
        assert events[-1].action == "user.anonymised" and events[-1].entity_id == agent_id
        assert events[-1].after["pseudonym"] == expected
        assert events[-1].actor_id == org.admin.id
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditRedaction)) == 0
        db.session.rollback()  # SQLite: the session's reads hold the write lock
        # The trail is as immutable as before.
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), db.engine.begin() as sql:
            sql.exec_driver_sql("UPDATE audit_event SET after = NULL")
    # Nobody signs in as the person any more, and a second anonymisation is refused.
    assert sign_in(app.test_client(), subject["email"]).status_code == 401
    again = admin.get(f"/admin/users/{agent_id}/anonymise")
    assert again.status_code == 302
    assert "already been anonymised" in admin.get(again.headers["Location"]).get_data(as_text=True)


def _database_text_in(app: Flask) -> str:
    with app.app_context():
        return _database_text()


@pytest.mark.parametrize("who", ["active_agent", "supervisor"])
def test_only_deactivated_agents_can_be_anonymised(
    who: str, app: Flask, org: Organisation, sign_in_as: Any
) -> None:
    user = org.agent_b1 if who == "active_agent" else org.supervisor_b
    if who == "supervisor":
        _deactivate(app, user.id)
    admin = sign_in_as(org.admin)
    response = post_form(admin, f"/admin/users/{user.id}/anonymise", {"confirm_email": user.email})
    assert response.status_code == 302
    page = admin.get(response.headers["Location"]).get_data(as_text=True)
    assert "Deactivate the user first" in page or "Only agents can be anonymised" in page
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert (stored.email, stored.anonymised_at) == (user.email, None)


def test_anonymisation_is_all_or_nothing(
    app: Flask, subject: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    agent_id = subject["agent"].id
    _deactivate(app, agent_id)
    before = _database_text_in(app)

    def fail(*_args: Any) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr(anonymise_module, "_redact_audit", fail)
    with app.app_context():
        with pytest.raises(RuntimeError):
            anonymise_agent(db.session.get(User, agent_id), actor=None)
        db.session.rollback()
    assert _database_text_in(app) == before


def test_the_cli_anonymises_and_refuses_an_active_agent(
    app: Flask, org: Organisation, subject: dict[str, Any], runner: Any, tmp_path: Any
) -> None:
    refused = runner.invoke(args=["privacy", "anonymise", subject["email"], "--yes"])
    assert refused.exit_code == 1 and "Deactivate the user first" in refused.output
    out = tmp_path / "copy.json"
    exported = runner.invoke(args=["privacy", "export", subject["email"], str(out)])
    assert exported.exit_code == 0, exported.output
    assert json.loads(out.read_text())["profile"]["display_name"] == NAME
    _deactivate(app, subject["agent"].id)
    result = runner.invoke(args=["privacy", "anonymise", subject["email"], "--yes"])
    assert result.exit_code == 0, result.output
    assert "anon-" in result.output
    assert NAME not in _database_text_in(app)
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(AuditEvent.actor_id).where(AuditEvent.action == "user.anonymised")
            )
            is None
        )
        with pytest.raises(AnonymiseError):
            anonymise_agent(db.session.get(User, subject["agent"].id), actor=None)


def test_redaction_replaces_text_under_personal_keys_only() -> None:
    payload = {
        "email": "zelda@example.test",
        "score": 80.0,
        "comment": None,
        "answers": {"name": {"value": 1, "comment": "Zelda was kind"}, "empathy": {"value": 4}},
        "items": [{"reason": "Empathy 55%", "due_on": "2026-12-01"}],
    }
    assert anonymise_module._redact(payload) == {
        "email": "[removed]",
        "score": 80.0,
        "comment": None,
        "answers": {"name": {"value": 1, "comment": "[removed]"}, "empathy": {"value": 4}},
        "items": [{"reason": "[removed]", "due_on": "2026-12-01"}],
    }
