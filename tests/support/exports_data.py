"""Evaluations and statistics for the export tests, made through the services.

In the `org` centre: agent A1 has three phone evaluations on the call scorecard (one with
empathy N/A, one failing the critical verification), agent A2 one chat evaluation on the
chat scorecard, agent B1 two phone evaluations full of formula-injection payloads (and a
control character), agent B2
only statistics and a draft. One more evaluation of A1 was submitted 60 days ago, outside
the exported week.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Flask

from qa_app.auth.models import User
from qa_app.evaluations.models import Evaluation
from qa_app.extensions import db
from qa_app.stats.models import AgentDailyStat
from tests.conftest import Organisation, scorecard_text

CALL_TOML = scorecard_text("export-call")

CHAT_TOML = scorecard_text("export-chat")

PAYLOADS = [
    "=1+1",
    '=HYPERLINK("http://x","y")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    "=cmd|'/c calc'!A1",
]
# An agent's name that is a payload too.
PAYLOAD_NAME = '=HYPERLINK("http://evil","B2")'

TODAY = datetime.now(UTC).date()
# A week that ends tomorrow, so that a run passing midnight still finds today's evaluations.
WEEK = (TODAY - timedelta(days=5), TODAY + timedelta(days=1))


def seed_export_data(
    app: Flask, org: Organisation, make_scorecard: Any, make_evaluation: Any
) -> dict[str, Any]:
    """Create the evaluations and statistics described above; their ids by name."""
    make_scorecard(CALL_TOML)
    make_scorecard(CHAT_TOML)
    with app.app_context():
        people = {
            key: db.session.get(User, org.member(key).id)
            for key in org.members()
            if key.startswith(("agent", "sup"))
        }
        people["manager"] = db.session.get(User, org.manager.id)
        ids: dict[str, Any] = {}

        def evaluate(
            name: str, agent: str, evaluator: str, card: str, answers: dict, **texts: Any
        ) -> None:
            ids[name] = make_evaluation(
                commit=False,
                agent=people[agent],
                evaluator=people[evaluator],
                scorecard=card,
                answers=answers,
                comments=texts.pop("comments", {}),
                occurred_at=datetime.now(UTC) - timedelta(hours=2),
                channel="chat" if card == "export-chat" else "phone",
                ref=texts.pop("ref", f"REF-{name}"),
                duration_seconds=None,
                texts=texts,
            ).id

        call = "export-call"
        evaluate(
            "a1_good",
            "agent_a1",
            "supervisor_a",
            call,
            {"greeting": True, "empathy": 5, "verification": True},
            overall_comment="Great call.",
        )
        evaluate(
            "a1_na",
            "agent_a1",
            "supervisor_a",
            call,
            {"greeting": False, "empathy": None, "verification": True},
        )
        evaluate(
            "a1_failed",
            "agent_a1",
            "manager",
            call,
            {"greeting": True, "empathy": 3, "verification": False},
            comments={"verification": "Skipped the ID check."},
        )
        evaluate(
            "a2_chat", "agent_a2", "supervisor_a", "export-chat", {"greeting": True, "accuracy": 3}
        )
        evaluate(
            "b1_payloads",
            "agent_b1",
            "supervisor_b",
            call,
            {"greeting": True, "empathy": 2, "verification": True},
            ref=PAYLOADS[7],
            overall_comment=PAYLOADS[0],
            strengths=PAYLOADS[1],
            opportunities=PAYLOADS[2],
            comments={"greeting": PAYLOADS[3], "empathy": PAYLOADS[4], "verification": PAYLOADS[5]},
        )
        evaluate(
            "b1_more",
            "agent_b1",
            "supervisor_b",
            call,
            {"greeting": True, "empathy": 4, "verification": True},
            comments={"greeting": PAYLOADS[6]},
            overall_comment="A bell \x07 rang.",
        )
        evaluate(
            "a1_old",
            "agent_a1",
            "supervisor_a",
            call,
            {"greeting": True, "empathy": 1, "verification": True},
        )
        db.session.get(Evaluation, ids["a1_old"]).submitted_at = datetime.now(UTC) - timedelta(
            days=60
        )
        draft = make_evaluation(
            "draft",
            commit=False,
            agent=people["agent_b2"],
            evaluator=people["supervisor_b"],
            scorecard=call,
            occurred_at=datetime.now(UTC),
            duration_seconds=None,
        )
        ids["b2_draft"] = draft.id
        people["agent_b2"].display_name = PAYLOAD_NAME
        for agent, contacts in (("agent_a1", 40), ("agent_b1", 30), ("agent_b2", 20)):
            for offset in range(3):
                db.session.add(
                    AgentDailyStat(
                        agent_id=people[agent].id,
                        day=TODAY - timedelta(days=offset),
                        contacts_handled=contacts,
                        handle_seconds=contacts * 300,
                        logged_in_seconds=5 * 3600,
                        csat_responses=10,
                        csat_positive=8,
                        nps_responses=10,
                        nps_promoters=5,
                        nps_detractors=2,
                        fcr_eligible=20,
                        fcr_resolved=15,
                    )
                )
        db.session.commit()
        return ids


def days(start: date, end: date) -> list[str]:
    """The CLI's --from/--to arguments for a period."""
    return ["--from", start.isoformat(), "--to", end.isoformat()]
