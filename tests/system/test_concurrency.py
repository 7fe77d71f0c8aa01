"""Two people doing the same thing at once: no lost update, no duplicate row, a clear answer.

Each race runs the first writer's transaction up to just before its commit, starts the second
writer in another thread (another request, another database connection) and checks that the
second waits for, or is refused because of, the first — on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm.exc import StaleDataError

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import User
from qa_app.evaluations import services
from qa_app.evaluations.models import Dispute, DisputeStatus, Evaluation, EvaluationStatus
from qa_app.extensions import db
from qa_app.interactions.importer import import_interactions
from qa_app.interactions.models import Interaction
from qa_app.stats.importer import import_stats
from qa_app.stats.models import AgentDailyStat
from tests.conftest import Organisation, post_form, sign_in

STATS = (
    b"Agent;Date;Calls Handled;AHT;Staffed Time\n"
    b"a1@example.test;2026-11-02;80;0:05:00;8:00:00\n"
    b"a1@example.test;2026-11-03;60;0:04:00;7:00:00\n"
    b"a2@example.test;2026-11-02;20;250;14400\n"
)
INTERACTIONS = (
    b"agent,channel,occurred_at,external_ref\n"
    b"a1@example.test,phone,2026-11-02 09:00,CALL-1\n"
    b"a2@example.test,chat,2026-11-02 10:00,CALL-2\n"
)
# Long enough for the second writer to reach its wait; far below SQLite's busy timeout.
SETTLE_SECONDS = 0.5


class Second:
    """Run `work` in another thread with its own application context; keep what it raised."""

    def __init__(self, app: Flask, work: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: BaseException | None = None

        def run() -> None:
            with app.app_context():
                try:
                    self.result = work()
                    db.session.commit()
                except BaseException as error:  # noqa: BLE001 - inspected by the test
                    db.session.rollback()
                    self.error = error

        self.thread = threading.Thread(target=run)
        self.thread.start()

    def join(self) -> None:
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "the second writer never finished"


def _race(app: Flask, first: Callable[[], Any], second: Callable[[], Any]) -> tuple[Any, Second]:
    """`first` runs up to its commit; `second` starts meanwhile and must wait for it."""
    with app.app_context():
        result = first()
        db.session.flush()  # the first writer's rows are written, its commit is next
        other = Second(app, second)
        time.sleep(SETTLE_SECONDS)
        assert other.thread.is_alive(), "the second writer did not wait for the first"
        db.session.commit()
    other.join()
    return result, other


def _admin(org: Organisation) -> User:
    return db.session.get(User, org.admin.id)


def _import_stats(org: Organisation) -> Callable[[], Any]:
    def run() -> Any:
        return import_stats(
            STATS,
            "stats.csv",
            source="acd",
            actor=_admin(org),
            max_bytes=1_000_000,
            max_rows=1000,
        )

    return run


def test_two_imports_of_the_same_statistics_file_store_each_agent_day_once(
    app: Flask, org: Organisation
) -> None:
    first, second = _race(app, _import_stats(org), _import_stats(org))

    assert second.error is None, repr(second.error)
    assert (first.new, first.replaced) == (3, 0)
    # The second waited for the first, so it saw and replaced the three agent-days.
    assert (second.result.new, second.result.replaced) == (0, 3)
    with app.app_context():
        rows = db.session.execute(
            sa.select(AgentDailyStat.agent_id, AgentDailyStat.day, AgentDailyStat.channel)
        ).all()
        assert len(rows) == len(set(rows)) == 3
        imports = db.session.scalar(
            sa.select(sa.func.count()).where(AuditEvent.action == "stats.imported")
        )
        assert imports == 2


def _import_interactions(org: Organisation) -> Callable[[], Any]:
    def run() -> Any:
        from zoneinfo import ZoneInfo

        return import_interactions(
            INTERACTIONS,
            "calls.csv",
            source="acd",
            actor=_admin(org),
            tz=ZoneInfo("UTC"),
            max_bytes=1_000_000,
            max_rows=1000,
        )

    return run


def test_two_imports_of_the_same_interactions_file_insert_each_call_once(
    app: Flask, org: Organisation
) -> None:
    first, second = _race(app, _import_interactions(org), _import_interactions(org))

    assert second.error is None, repr(second.error)
    assert (first.new, first.already_imported) == (2, 0)
    assert (second.result.new, second.result.already_imported) == (0, 2)
    with app.app_context():
        refs = db.session.scalars(sa.select(Interaction.external_ref)).all()
        assert sorted(refs) == ["CALL-1", "CALL-2"]


# --- a dispute decision racing another decision or an edit ----------------------------------


def _dispute(records: dict[str, int]) -> Dispute:
    return db.session.get(Dispute, records["dispute_id"])


def _decide(records: dict[str, int], org: Organisation, how: str) -> Callable[[], Any]:
    """A decision on the open dispute by supervisor A, from a page loaded before any other."""

    def run() -> Any:
        dispute = _dispute(records)
        resolver = db.session.get(User, org.supervisor_a.id)
        if how == "reject":
            return services.reject_dispute(dispute, resolver, "The score stands.")
        evaluation = dispute.evaluation
        edit = services.Edit(
            {"greeting": how == "uphold-yes", "empathy": 5}, {}, {}, evaluation.lock_version
        )
        return services.uphold_dispute(dispute, resolver, "Re-scored.", edit)

    return run


def _state(app: Flask, records: dict[str, int]) -> tuple[str, str, float | None, int]:
    with app.app_context():
        dispute = _dispute(records)
        evaluation = dispute.evaluation
        return dispute.status, evaluation.status, evaluation.score, evaluation.revision


def _decisions(app: Flask) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEvent.action).where(
                    AuditEvent.action.in_(["dispute.upheld", "dispute.rejected"])
                )
            )
        )


@pytest.mark.parametrize(
    ("first", "second", "outcome"),
    [
        ("reject", "uphold-yes", DisputeStatus.REJECTED),
        ("uphold-yes", "reject", DisputeStatus.UPHELD),
        ("uphold-yes", "uphold-no", DisputeStatus.UPHELD),
    ],
)
def test_the_later_of_two_dispute_decisions_is_refused(
    first: str,
    second: str,
    outcome: DisputeStatus,
    app: Flask,
    records: dict[str, int],
    org: Organisation,
) -> None:
    before = _state(app, records)

    _, loser = _race(app, _decide(records, org, first), _decide(records, org, second))

    # The loser read the dispute as open before the winner committed: its write is refused.
    assert isinstance(
        loser.error, StaleDataError | services.StaleEvaluation | services.EvaluationRuleError
    ), repr(loser.error)
    status, evaluation_status, score, revision = _state(app, records)
    assert (status, evaluation_status) == (outcome, EvaluationStatus.RESOLVED)
    assert _decisions(app) == ["dispute." + outcome]
    if outcome == DisputeStatus.REJECTED:
        assert (score, revision) == before[2:]
    else:
        assert revision == before[3] + 1


def test_an_agent_acknowledging_while_a_dispute_is_raised_keeps_one_outcome(
    app: Flask, records: dict[str, int], org: Organisation
) -> None:
    """Two tabs of the same agent: one disputes the feedback, the other acknowledges it."""
    evaluation_id = records["released_id"]

    def dispute() -> Any:
        evaluation = db.session.get(Evaluation, evaluation_id)
        agent = db.session.get(User, org.agent_a1.id)
        return services.raise_dispute(evaluation, agent, [], "Not fair.", window_days=14)

    def acknowledge() -> Any:
        evaluation = db.session.get(Evaluation, evaluation_id)
        agent = db.session.get(User, org.agent_a1.id)
        return services.acknowledge(evaluation, agent, "Thanks.")

    _, loser = _race(app, dispute, acknowledge)

    assert isinstance(loser.error, StaleDataError | services.EvaluationRuleError), repr(loser.error)
    with app.app_context():
        evaluation = db.session.get(Evaluation, evaluation_id)
        assert evaluation.status == EvaluationStatus.DISPUTED
        assert evaluation.acknowledged_at is None


def test_the_loser_of_a_dispute_decision_is_told_in_words(
    app: Flask, records: dict[str, int], org: Organisation
) -> None:
    """Two resolvers open the same dispute; the later submit gets a message, not a 500."""
    path = f"/disputes/{records['dispute_id']}"
    late = app.test_client()
    assert sign_in(late, org.supervisor_a.email).status_code == 302
    assert late.get(path).status_code == 200
    with app.app_context():
        services.reject_dispute(
            _dispute(records), db.session.get(User, org.supervisor_a.id), "Stands."
        )
        db.session.commit()

    response = post_form(late, path, {"decision": "reject", "note": "Also stands."})

    assert response.status_code == 302
    followed = late.get(response.headers["Location"]).get_data(as_text=True)
    assert "This dispute has already been decided." in followed
    assert _decisions(app) == ["dispute.rejected"]


@pytest.mark.parametrize("step", ["save_draft", "submit"])
def test_two_supervisors_saving_the_same_evaluation_lose_nothing(
    step: str, app: Flask, records: dict[str, int], org: Organisation
) -> None:
    """Both opened the draft at the same version; the later save is refused, not merged."""
    with app.app_context():
        loaded = db.session.get(Evaluation, records["draft_id"]).lock_version

    def save(who: str, greeting: bool) -> Callable[[], Any]:
        def run() -> Any:
            evaluation = db.session.get(Evaluation, records["draft_id"])
            edit = services.Edit({"greeting": greeting, "empathy": 3}, {}, {}, loaded)
            return getattr(services, step)(
                evaluation, edit, db.session.get(User, org.member(who).id)
            )

        return run

    _, loser = _race(app, save("supervisor_a", True), save("manager", False))

    # Refused as stale, or (when the winner's submit released it) as no longer editable.
    assert isinstance(
        loser.error, StaleDataError | services.StaleEvaluation | services.EvaluationRuleError
    ), repr(loser.error)
    with app.app_context():
        evaluation = db.session.get(Evaluation, records["draft_id"])
        assert {row.criterion_key: row.value for row in evaluation.answers}["greeting"] == 1.0
        assert evaluation.lock_version > loaded
