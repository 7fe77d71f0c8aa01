"""The evaluation life cycle, called through the services (no requests).

start → save draft → submit → release → acknowledge, or dispute → uphold / reject; the rules of
each step, optimistic locking (in the service and in the database) and the audit trail.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.orm.exc import StaleDataError

from qa_app.audit.models import AuditEvent
from qa_app.auth.models import User
from qa_app.evaluations import services
from qa_app.evaluations.models import (
    Answer,
    Dispute,
    DisputeStatus,
    Evaluation,
    EvaluationRevision,
    EvaluationStatus,
)
from qa_app.evaluations.services import Edit, EvaluationRuleError, StaleEvaluation
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.interactions.services import create_interaction
from qa_app.scorecards.definition import parse_toml
from qa_app.scorecards.models import Scorecard
from qa_app.scorecards.services import publish_version, set_archived
from qa_app.scoring import AnswerError
from qa_app.teams.models import Team
from tests.conftest import SCORECARD_TOML, Organisation, scorecard_text

if TYPE_CHECKING:
    from qa_app.evaluations.models import Assignment


# Records' answers are greeting = yes, empathy = 4: (1·1 + 0.75·2) / 3.
RECORD_SCORE = 100 * 2.5 / 3

# A scorecard with an N/A-able criterion and a critical one in a second section.
FULL_TOML = scorecard_text("full-call")


def _user(org: Organisation, key: str) -> User:
    return db.session.get(User, org.member(key).id)


def _evaluation(evaluation_id: int) -> Evaluation:
    return db.session.get(Evaluation, evaluation_id)


def _scorecard(slug: str = "test-call") -> Scorecard:
    return db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == slug))


def _interaction(agent: User, actor: User, ref: str) -> Interaction:
    return create_interaction(
        agent,
        channel="phone",
        occurred_at=datetime(2026, 11, 3, 9, tzinfo=UTC),
        actor=actor,
        external_ref=ref,
    )


def _edit(
    evaluation: Evaluation,
    answers: dict[str, object],
    comments: dict[str, str] | None = None,
    texts: dict[str, str | None] | None = None,
    lock: int | None = None,
) -> Edit:
    return Edit(
        answers, comments or {}, texts or {}, evaluation.lock_version if lock is None else lock
    )


def _events(evaluation_id: int, action: str | None = None) -> list[AuditEvent]:
    query = sa.select(AuditEvent).where(
        AuditEvent.entity_type == "evaluation", AuditEvent.entity_id == evaluation_id
    )
    if action is not None:
        query = query.where(AuditEvent.action == action)
    return list(db.session.scalars(query.order_by(AuditEvent.id)))


def _rows(evaluation: Evaluation) -> dict[str, tuple[Any, ...]]:
    """Answer rows of an evaluation, read from the database: key → (value, na, r, comment)."""
    rows = db.session.scalars(sa.select(Answer).where(Answer.evaluation_id == evaluation.id))
    return {row.criterion_key: (row.value, row.is_na, row.normalised, row.comment) for row in rows}


def _fresh_draft(
    org: Organisation,
    make_evaluation: Callable[..., Evaluation],
    slug: str = "test-call",
    ref: str = "NEW-1",
) -> Evaluation:
    """Supervisor A's new draft of agent A2's call of 3 November 2026."""
    return make_evaluation(
        "draft",
        commit=False,
        agent=org.agent_a2,
        scorecard=slug,
        ref=ref,
        occurred_at=datetime(2026, 11, 3, 9, tzinfo=UTC),
        duration_seconds=None,
    )


# --- start -----------------------------------------------------------------------------------


def test_start_reuses_the_evaluators_existing_evaluation(
    assignment: Assignment, draft_evaluation: Evaluation, org: Organisation, app_context: None
) -> None:
    supervisor = _user(org, "supervisor_a")
    interaction = db.session.get(Interaction, assignment.interaction_id)
    again = services.start_evaluation(supervisor, interaction, _scorecard())
    db.session.commit()
    assert again.id == draft_evaluation.id
    count = db.session.scalar(
        sa.select(sa.func.count(Evaluation.id)).where(
            Evaluation.interaction_id == assignment.interaction_id
        )
    )
    assert count == 1
    assert len(_events(draft_evaluation.id, "evaluation.started")) == 1


def test_start_opens_a_draft_on_the_latest_version(
    draft_evaluation: Evaluation,
    org: Organisation,
    app_context: None,
    make_evaluation: Callable[..., Evaluation],
) -> None:
    scorecard = _scorecard()
    changed = parse_toml(SCORECARD_TOML.replace("pass_mark = 80", "pass_mark = 70"))
    version_2 = publish_version(scorecard, changed, source="file")
    assert version_2 is not None and version_2.number == 2

    evaluation = _fresh_draft(org, make_evaluation)
    db.session.commit()
    assert evaluation.scorecard_version_id == version_2.id
    assert evaluation.status == EvaluationStatus.DRAFT
    assert evaluation.agent_id == org.agent_a2.id
    assert evaluation.evaluator_id == org.supervisor_a.id
    assert (evaluation.revision, evaluation.score, evaluation.answers) == (0, None, [])
    [event] = _events(evaluation.id, "evaluation.started")
    assert event.after == {
        "interaction_id": evaluation.interaction_id,
        "version_id": version_2.id,
    }
    # An evaluation started earlier keeps the version it was started on.
    assert _evaluation(draft_evaluation.id).version.number == 1


@pytest.mark.parametrize(
    ("evaluator_key", "agent_key"),
    [
        ("supervisor_a", "agent_b1"),  # another team's agent
        ("supervisor_b", "agent_a1"),
        ("supervisor_none", "agent_a1"),  # supervises no team
        ("admin", "agent_a1"),  # administrators do not score
        ("agent_a2", "agent_a1"),  # nor do agents
        ("supervisor_a", "supervisor_a"),  # nobody evaluates themselves
        ("manager", "manager"),
    ],
)
def test_start_is_refused_outside_scope_and_for_oneself(
    evaluator_key: str,
    agent_key: str,
    records: dict[str, int],
    org: Organisation,
    app_context: None,
) -> None:
    evaluator = _user(org, evaluator_key)
    interaction = _interaction(_user(org, agent_key), _user(org, "manager"), "OUT-1")
    before = db.session.scalar(sa.select(sa.func.count(Evaluation.id)))
    with pytest.raises(EvaluationRuleError, match="cannot evaluate"):
        services.start_evaluation(evaluator, interaction, _scorecard())
    assert db.session.scalar(sa.select(sa.func.count(Evaluation.id))) == before


def test_start_is_refused_on_an_archived_scorecard(
    records: dict[str, int],
    org: Organisation,
    app_context: None,
    make_evaluation: Callable[..., Evaluation],
) -> None:
    set_archived(_scorecard(), True)
    with pytest.raises(EvaluationRuleError, match="no active published version"):
        _fresh_draft(org, make_evaluation)
    assert (
        db.session.scalar(sa.select(Evaluation.id).where(Evaluation.agent_id == org.agent_a2.id))
        is None
    )


# --- save_draft ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "expected_rows", "score", "auto_failed"),
    [
        (
            {"greeting": True},
            {"greeting": (1.0, False, 1.0)},
            100.0,
            False,
        ),
        (
            {"greeting": False, "empathy": 4},
            {"greeting": (0.0, False, 0.0), "empathy": (4.0, False, 0.75)},
            50.0,
            False,
        ),
        (
            {"greeting": True, "empathy": None},
            {"greeting": (1.0, False, 1.0), "empathy": (None, True, None)},
            100.0,
            False,
        ),
        ({"empathy": None}, {"empathy": (None, True, None)}, None, False),
        (
            {"greeting": True, "empathy": 5, "verification": False},
            {
                "greeting": (1.0, False, 1.0),
                "empathy": (5.0, False, 1.0),
                "verification": (0.0, False, 0.0),
            },
            0.0,
            True,
        ),
    ],
)
def test_save_draft_stores_partial_answers_and_the_score(
    answers: dict[str, object],
    expected_rows: dict[str, tuple[Any, ...]],
    score: float | None,
    auto_failed: bool,
    org: Organisation,
    make_scorecard: Any,
    app_context: None,
    make_evaluation: Callable[..., Evaluation],
) -> None:
    make_scorecard(FULL_TOML)
    evaluation = _fresh_draft(org, make_evaluation, "full-call")
    db.session.commit()
    result = services.save_draft(evaluation, _edit(evaluation, answers), _user(org, "supervisor_a"))
    db.session.commit()
    db.session.expire_all()
    stored = _evaluation(evaluation.id)
    rows = {key: row[:3] for key, row in _rows(stored).items()}
    assert rows == expected_rows
    assert result.score == stored.score
    if score is None:
        assert stored.score is None
    else:
        assert stored.score == pytest.approx(score)
    assert stored.auto_failed is auto_failed
    assert stored.status == EvaluationStatus.DRAFT
    assert stored.revision == 0
    assert db.session.scalar(sa.select(sa.func.count(EvaluationRevision.id))) == 0


def test_save_draft_keeps_comments_texts_and_removes_cleared_answers(
    draft_evaluation: Evaluation, org: Organisation, app_context: None
) -> None:
    supervisor = _user(org, "supervisor_a")
    evaluation = _evaluation(draft_evaluation.id)
    services.save_draft(
        evaluation,
        _edit(
            evaluation,
            {"greeting": True, "empathy": 2},
            comments={"greeting": "Said the brand"},
            texts={"strengths": "  Friendly  ", "opportunities": "   "},
        ),
        supervisor,
    )
    db.session.commit()
    assert _rows(evaluation) == {
        "greeting": (1.0, False, 1.0, "Said the brand"),
        "empathy": (2.0, False, 0.25, None),
    }
    assert (evaluation.strengths, evaluation.opportunities) == ("Friendly", None)

    # Unanswering empathy but commenting on it keeps a row with the comment and no value;
    # unanswering greeting without a comment removes its row.
    services.save_draft(
        evaluation, _edit(evaluation, {}, comments={"empathy": "Listen again"}), supervisor
    )
    db.session.commit()
    assert _rows(evaluation) == {"empathy": (None, False, None, "Listen again")}
    assert evaluation.score is None


def test_save_draft_with_an_invalid_value_saves_nothing(
    draft_evaluation: Evaluation, org: Organisation, app_context: None
) -> None:
    evaluation = _evaluation(draft_evaluation.id)
    lock = evaluation.lock_version
    with pytest.raises(AnswerError) as raised:
        services.save_draft(
            evaluation,
            _edit(evaluation, {"greeting": True, "empathy": 9}),
            _user(org, "supervisor_a"),
        )
    assert [key for key, _reason in raised.value.problems] == ["empathy"]
    db.session.rollback()
    assert _rows(evaluation) == {}
    assert evaluation.lock_version == lock
    assert _events(evaluation.id, "evaluation.saved") == []


def test_every_save_moves_the_lock_version_on(
    draft_evaluation: Evaluation, org: Organisation, app_context: None
) -> None:
    supervisor = _user(org, "supervisor_a")
    evaluation = _evaluation(draft_evaluation.id)
    seen = [evaluation.lock_version]
    for edit in (
        {"greeting": True},
        {"greeting": True},  # nothing changed: still a new version
    ):
        services.save_draft(evaluation, _edit(evaluation, edit), supervisor)
        db.session.commit()
        seen.append(evaluation.lock_version)
    services.save_draft(
        evaluation, _edit(evaluation, {"greeting": True}, {"greeting": "x"}), supervisor
    )
    db.session.commit()
    seen.append(evaluation.lock_version)
    assert seen == [seen[0], seen[0] + 1, seen[0] + 2, seen[0] + 3]


def test_save_draft_audits_only_what_changed(
    draft_evaluation: Evaluation, org: Organisation, app_context: None
) -> None:
    supervisor = _user(org, "supervisor_a")
    evaluation = _evaluation(draft_evaluation.id)
    services.save_draft(evaluation, _edit(evaluation, {"greeting": True}), supervisor)
    db.session.commit()
    services.save_draft(
        evaluation,
        _edit(evaluation, {"greeting": False, "empathy": 3}, texts={"strengths": "Calm"}),
        supervisor,
    )
    db.session.commit()
    services.save_draft(
        evaluation,
        _edit(evaluation, {"greeting": False, "empathy": 3}, texts={"strengths": "Calm"}),
        supervisor,
    )
    db.session.commit()
    first, second = _events(evaluation.id, "evaluation.saved")  # the no-op save adds none
    assert first.before == {}  # nothing was answered before
    assert first.after == {"answers": {"greeting": {"value": True, "comment": None}}}
    assert second.before == {
        "answers": {"greeting": {"value": True, "comment": None}},
        "strengths": None,
    }
    assert second.after == {
        "answers": {
            "greeting": {"value": False, "comment": None},
            "empathy": {"value": 3, "comment": None},
        },
        "strengths": "Calm",
    }


# --- submit ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "missing"),
    [
        ({}, ["greeting", "empathy"]),
        ({"greeting": True}, ["empathy"]),
        ({"empathy": 3}, ["greeting"]),
    ],
)
def test_submit_lists_every_missing_answer_and_changes_nothing(
    answers: dict[str, object],
    missing: list[str],
    draft_evaluation: Evaluation,
    org: Organisation,
    app_context: None,
) -> None:
    evaluation = _evaluation(draft_evaluation.id)
    lock = evaluation.lock_version
    with pytest.raises(AnswerError) as raised:
        services.submit(evaluation, _edit(evaluation, answers), _user(org, "supervisor_a"))
    assert raised.value.problems == [(key, "answer is missing") for key in missing]
    db.session.rollback()
    assert (evaluation.status, evaluation.revision, evaluation.lock_version) == (
        EvaluationStatus.DRAFT,
        0,
        lock,
    )
    assert evaluation.submitted_at is None
    assert _rows(evaluation) == {}


@pytest.mark.parametrize(
    ("release_mode", "status", "actions"),
    [
        ("immediate", EvaluationStatus.RELEASED, ["evaluation.submitted", "evaluation.released"]),
        ("manual", EvaluationStatus.SUBMITTED, ["evaluation.submitted"]),
    ],
)
def test_submit_releases_according_to_the_team_setting(
    release_mode: str,
    status: EvaluationStatus,
    actions: list[str],
    draft_evaluation: Evaluation,
    org: Organisation,
    app_context: None,
) -> None:
    db.session.get(Team, org.team_a.id).release_mode = release_mode
    evaluation = _evaluation(draft_evaluation.id)
    result = services.submit(
        evaluation, _edit(evaluation, {"greeting": True, "empathy": 4}), _user(org, "supervisor_a")
    )
    db.session.commit()
    assert result.score == pytest.approx(RECORD_SCORE)
    assert evaluation.status == status
    assert evaluation.submitted_at is not None
    assert (evaluation.released_at is not None) is (status == EvaluationStatus.RELEASED)
    submitted_or_released = [
        event.action
        for event in _events(evaluation.id)
        if event.action in ("evaluation.submitted", "evaluation.released")
    ]
    assert submitted_or_released == actions


def test_submit_snapshots_revision_one(
    draft_evaluation: Evaluation, org: Organisation, app_context: None
) -> None:
    supervisor = _user(org, "supervisor_a")
    evaluation = _evaluation(draft_evaluation.id)
    services.submit(
        evaluation,
        _edit(
            evaluation,
            {"greeting": True, "empathy": 4},
            comments={"greeting": "Nice"},
            texts={"overall_comment": "Good call"},
        ),
        supervisor,
    )
    db.session.commit()
    [revision] = db.session.scalars(
        sa.select(EvaluationRevision).where(EvaluationRevision.evaluation_id == evaluation.id)
    )
    assert (revision.number, revision.reason, revision.created_by_id) == (
        1,
        "submitted",
        supervisor.id,
    )
    assert revision.score == pytest.approx(RECORD_SCORE)
    assert (revision.auto_failed, revision.passed) == (False, True)
    assert revision.content == {
        "answers": {
            "greeting": {"value": True, "comment": "Nice"},
            "empathy": {"value": 4, "comment": None},
        },
        "overall_comment": "Good call",
        "strengths": None,
        "opportunities": None,
    }
    assert evaluation.revision == 1
    [event] = _events(evaluation.id, "evaluation.submitted")
    assert event.after == {
        "score": pytest.approx(RECORD_SCORE),
        "raw_score": pytest.approx(RECORD_SCORE),
        "auto_failed": False,
        "revision": 1,
    }


def test_correcting_before_release_adds_a_revision_and_keeps_submitted_at(
    submitted_evaluation: Evaluation, org: Organisation, app_context: None
) -> None:
    db.session.get(Team, org.team_a.id).release_mode = "manual"
    evaluation = _evaluation(submitted_evaluation.id)
    submitted_at = evaluation.submitted_at
    services.submit(
        evaluation, _edit(evaluation, {"greeting": False, "empathy": 4}), _user(org, "supervisor_a")
    )
    db.session.commit()
    revisions = db.session.execute(
        sa.select(EvaluationRevision.number, EvaluationRevision.reason, EvaluationRevision.score)
        .where(EvaluationRevision.evaluation_id == evaluation.id)
        .order_by(EvaluationRevision.number)
    ).all()
    assert [(number, reason) for number, reason, _ in revisions] == [
        (1, "submitted"),
        (2, "corrected before release"),
    ]
    assert revisions[0].score == pytest.approx(RECORD_SCORE)
    assert revisions[1].score == pytest.approx(50.0)
    assert evaluation.submitted_at == submitted_at
    assert (evaluation.status, evaluation.revision) == (EvaluationStatus.SUBMITTED, 2)


def test_saving_a_submitted_evaluation_as_a_draft_cannot_leave_it_incomplete(
    submitted_evaluation: Evaluation, org: Organisation, app_context: None
) -> None:
    evaluation = _evaluation(submitted_evaluation.id)
    with pytest.raises((AnswerError, EvaluationRuleError)):
        services.save_draft(
            evaluation, _edit(evaluation, {"greeting": True}), _user(org, "supervisor_a")
        )
        db.session.commit()
    db.session.rollback()
    assert set(_rows(evaluation)) == {"greeting", "empathy"}
    assert evaluation.score == pytest.approx(RECORD_SCORE)


@pytest.mark.parametrize(
    ("record", "who"),
    [
        ("released_id", "supervisor_a"),  # released: no more edits
        ("disputed_id", "manager"),
        ("draft_id", "supervisor_b"),  # not the evaluator, nor a manager
        ("draft_id", "admin"),
        ("draft_id", "agent_a1"),  # the agent of the evaluation
    ],
)
@pytest.mark.parametrize("step", ["save_draft", "submit"])
def test_edits_are_refused_after_release_and_for_others(
    step: str,
    record: str,
    who: str,
    records: dict[str, int],
    org: Organisation,
    app_context: None,
) -> None:
    evaluation = _evaluation(records[record])
    status, lock = evaluation.status, evaluation.lock_version
    with pytest.raises(EvaluationRuleError, match="can no longer be changed"):
        getattr(services, step)(
            evaluation, _edit(evaluation, {"greeting": False, "empathy": 1}), _user(org, who)
        )
    db.session.rollback()
    assert (evaluation.status, evaluation.lock_version) == (status, lock)


def test_a_manager_may_edit_a_supervisors_draft(
    draft_evaluation: Evaluation, org: Organisation, app_context: None
) -> None:
    evaluation = _evaluation(draft_evaluation.id)
    services.save_draft(evaluation, _edit(evaluation, {"greeting": True}), _user(org, "manager"))
    db.session.commit()
    assert _rows(evaluation) == {"greeting": (1.0, False, 1.0, None)}


# --- locking ---------------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["save_draft", "submit"])
def test_a_stale_lock_version_is_refused(
    step: str, draft_evaluation: Evaluation, org: Organisation, app_context: None
) -> None:
    supervisor = _user(org, "supervisor_a")
    evaluation = _evaluation(draft_evaluation.id)
    loaded = evaluation.lock_version
    services.save_draft(evaluation, _edit(evaluation, {"greeting": True}), supervisor)
    db.session.commit()
    stale = _edit(evaluation, {"greeting": False, "empathy": 1}, lock=loaded)
    with pytest.raises(StaleEvaluation):
        getattr(services, step)(evaluation, stale, supervisor)
    db.session.rollback()
    assert _rows(evaluation) == {"greeting": (1.0, False, 1.0, None)}
    assert evaluation.status == EvaluationStatus.DRAFT


def test_the_database_refuses_a_save_based_on_a_row_changed_since_it_was_loaded(
    app: Flask, draft_evaluation: Evaluation, org: Organisation
) -> None:
    """Two editors load the same version in two sessions; the later save must fail even though
    each passed the in-memory lock check (a concurrent request, not a stale form)."""
    with app.app_context():
        db.session().expire_on_commit = False
        first = _evaluation(draft_evaluation.id)
        first_actor = _user(org, "supervisor_a")
        # Load everything the save will read, as a request would before the other one commits.
        assert first.version.definition["slug"] == "test-call"
        assert first.answers == []
        loaded = first.lock_version
        db.session.commit()  # ends the read transaction, keeps the loaded (soon stale) state

        with app.app_context():
            second = _evaluation(draft_evaluation.id)
            assert second.lock_version == loaded
            services.save_draft(second, _edit(second, {"greeting": True}), _user(org, "manager"))
            db.session.commit()

        with pytest.raises((StaleDataError, StaleEvaluation)):
            services.save_draft(first, _edit(first, {"greeting": False, "empathy": 1}), first_actor)
            db.session.commit()
        db.session.rollback()

    with app.app_context():
        stored = _evaluation(draft_evaluation.id)
        assert _rows(stored) == {"greeting": (1.0, False, 1.0, None)}
        assert stored.lock_version == loaded + 1
        assert len(_events(stored.id, "evaluation.saved")) == 1


# --- release ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["supervisor_a", "manager"])
def test_release_shows_a_submitted_evaluation_to_the_agent(
    who: str, submitted_evaluation: Evaluation, org: Organisation, app_context: None
) -> None:
    evaluation = _evaluation(submitted_evaluation.id)
    assert evaluation.released_at is None
    services.release(evaluation, _user(org, who))
    db.session.commit()
    assert evaluation.status == EvaluationStatus.RELEASED
    assert evaluation.released_at is not None
    [event] = _events(evaluation.id, "evaluation.released")
    assert (event.before, event.after) == ({"status": "submitted"}, {"status": "released"})


@pytest.mark.parametrize(
    ("record", "who"),
    [
        ("draft_id", "supervisor_a"),
        ("released_id", "supervisor_a"),
        ("submitted_id", "supervisor_b"),
        ("submitted_id", "supervisor_none"),
        ("submitted_id", "agent_a1"),
        ("submitted_id", "admin"),
    ],
)
def test_release_is_refused(
    record: str, who: str, records: dict[str, int], org: Organisation, app_context: None
) -> None:
    evaluation = _evaluation(records[record])
    status = evaluation.status
    released_events = len(_events(evaluation.id, "evaluation.released"))
    with pytest.raises(EvaluationRuleError):
        services.release(evaluation, _user(org, who))
    db.session.rollback()
    assert evaluation.status == status
    assert len(_events(evaluation.id, "evaluation.released")) == released_events


# --- acknowledge -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("comment", "stored"), [("  Thanks, noted.  ", "Thanks, noted."), ("   ", None), (None, None)]
)
def test_acknowledge(
    comment: str | None,
    stored: str | None,
    released_evaluation: Evaluation,
    org: Organisation,
    app_context: None,
) -> None:
    evaluation = _evaluation(released_evaluation.id)
    services.acknowledge(evaluation, _user(org, "agent_a1"), comment)
    db.session.commit()
    assert evaluation.status == EvaluationStatus.ACKNOWLEDGED
    assert evaluation.acknowledged_at is not None
    assert evaluation.acknowledgement_comment == stored
    [event] = _events(evaluation.id, "evaluation.acknowledged")
    assert event.after == {"comment": stored}


@pytest.mark.parametrize(
    ("record", "who"),
    [
        ("released_id", "agent_a2"),  # not their evaluation
        ("released_id", "supervisor_a"),
        ("submitted_id", "agent_a1"),  # not released yet
        ("draft_id", "agent_a1"),
        ("disputed_id", "agent_a1"),
    ],
)
def test_acknowledge_is_refused(
    record: str, who: str, records: dict[str, int], org: Organisation, app_context: None
) -> None:
    evaluation = _evaluation(records[record])
    status = evaluation.status
    with pytest.raises(EvaluationRuleError):
        services.acknowledge(evaluation, _user(org, who), "ok")
    db.session.rollback()
    assert evaluation.status == status
    assert evaluation.acknowledged_at is None


def test_acknowledged_feedback_cannot_be_acknowledged_again(
    released_evaluation: Evaluation, org: Organisation, app_context: None
) -> None:
    evaluation = _evaluation(released_evaluation.id)
    agent = _user(org, "agent_a1")
    services.acknowledge(evaluation, agent, "first")
    db.session.commit()
    with pytest.raises(EvaluationRuleError):
        services.acknowledge(evaluation, agent, "second")
    db.session.rollback()
    assert evaluation.acknowledgement_comment == "first"


# --- raise_dispute ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("after_release", "allowed"),
    [
        (timedelta(0), True),
        (timedelta(days=3), True),
        (timedelta(days=7), True),  # exactly at the deadline
        (timedelta(days=7, seconds=1), False),
        (timedelta(days=30), False),
    ],
)
def test_dispute_window(
    after_release: timedelta,
    allowed: bool,
    released_evaluation: Evaluation,
    org: Organisation,
    app_context: None,
) -> None:
    evaluation = _evaluation(released_evaluation.id)
    now = evaluation.released_at + after_release
    assert services.dispute_deadline(evaluation, 7) == evaluation.released_at + timedelta(days=7)
    agent = _user(org, "agent_a1")
    if allowed:
        dispute = services.raise_dispute(evaluation, agent, {}, "Wrong", window_days=7, now=now)
        assert dispute.status == DisputeStatus.OPEN
        assert evaluation.status == EvaluationStatus.DISPUTED
    else:
        with pytest.raises(EvaluationRuleError, match="7 days"):
            services.raise_dispute(evaluation, agent, {}, "Wrong", window_days=7, now=now)
        db.session.rollback()
        assert evaluation.status == EvaluationStatus.RELEASED
        assert (
            db.session.scalar(sa.select(Dispute.id).where(Dispute.evaluation_id == evaluation.id))
            is None
        )


def test_the_window_follows_the_configured_days(
    released_evaluation: Evaluation, org: Organisation, app_context: None
) -> None:
    evaluation = _evaluation(released_evaluation.id)
    later = evaluation.released_at + timedelta(days=8)
    agent = _user(org, "agent_a1")
    with pytest.raises(EvaluationRuleError, match="7 days"):
        services.raise_dispute(evaluation, agent, {}, "Late", window_days=7, now=later)
    db.session.rollback()
    dispute = services.raise_dispute(evaluation, agent, {}, "Late", window_days=10, now=later)
    assert dispute.evaluation_id == evaluation.id


def test_raise_dispute_records_criteria_reasons_and_revision(
    released_evaluation: Evaluation, org: Organisation, app_context: None
) -> None:
    evaluation = _evaluation(released_evaluation.id)
    agent = _user(org, "agent_a1")
    dispute = services.raise_dispute(
        evaluation,
        agent,
        {"greeting": "  I did greet.  ", "empathy": "I apologised twice."},
        "  ",
        window_days=7,
    )
    db.session.commit()
    assert dispute.criterion_keys == ["empathy", "greeting"]
    assert dispute.criterion_reasons == {
        "greeting": "I did greet.",
        "empathy": "I apologised twice.",
    }
    assert dispute.reason == ""  # nothing about the evaluation as a whole
    # People read labels, in the scorecard's order, each with its reason.
    assert [(c.label, c.reason) for c in dispute.disputed_criteria] == [
        ("Greeting", "I did greet."),
        ("Empathy", "I apologised twice."),
    ]
    assert (dispute.status, dispute.raised_by_id, dispute.revision_before) == (
        DisputeStatus.OPEN,
        agent.id,
        1,
    )
    assert dispute.revision_after is None and dispute.resolved_by_id is None
    assert evaluation.status == EvaluationStatus.DISPUTED
    [event] = _events(evaluation.id, "dispute.raised")
    assert event.after == {"dispute_id": dispute.id, "criteria": ["empathy", "greeting"]}


@pytest.mark.parametrize(
    ("criteria", "reason", "message"),
    [
        ({"greeting": "Yes", "closing": "No"}, "", "Choose criteria of this evaluation"),
        ({"GREETING": "Keys are exact"}, "", "Choose criteria of this evaluation"),
        ({}, "", "Give a reason"),  # no reason at all
        ({}, "   \n ", "Give a reason"),
        # One reason for all is not enough: each disputed criterion needs its own.
        ({"empathy": "   \n "}, "I was kind", "Say why you dispute Empathy"),
        ({"greeting": "", "empathy": ""}, "Both wrong", "Say why you dispute Greeting, Empathy"),
        ({"empathy": "x" * 4001}, "", "at most 4000 characters"),
    ],
)
def test_raise_dispute_refuses_unknown_criteria_and_missing_reasons(
    criteria: dict[str, str],
    reason: str,
    message: str,
    released_evaluation: Evaluation,
    org: Organisation,
    app_context: None,
) -> None:
    evaluation = _evaluation(released_evaluation.id)
    with pytest.raises(EvaluationRuleError, match=message):
        services.raise_dispute(evaluation, _user(org, "agent_a1"), criteria, reason, window_days=7)
    db.session.rollback()
    assert evaluation.status == EvaluationStatus.RELEASED
    assert _events(evaluation.id, "dispute.raised") == []


@pytest.mark.parametrize(
    ("record", "who"),
    [
        ("draft_id", "agent_a1"),
        ("submitted_id", "agent_a1"),
        ("disputed_id", "agent_a1"),  # already disputed
        ("released_id", "agent_a2"),  # someone else's
        ("released_id", "supervisor_a"),
    ],
)
def test_only_the_agent_disputes_and_only_released_feedback(
    record: str, who: str, records: dict[str, int], org: Organisation, app_context: None
) -> None:
    evaluation = _evaluation(records[record])
    status = evaluation.status
    with pytest.raises(EvaluationRuleError):
        services.raise_dispute(evaluation, _user(org, who), {}, "No", window_days=7)
    db.session.rollback()
    assert evaluation.status == status


def test_acknowledged_feedback_cannot_be_disputed(
    released_evaluation: Evaluation, org: Organisation, app_context: None
) -> None:
    evaluation = _evaluation(released_evaluation.id)
    agent = _user(org, "agent_a1")
    services.acknowledge(evaluation, agent, None)
    with pytest.raises(EvaluationRuleError):
        services.raise_dispute(evaluation, agent, {}, "Changed my mind", window_days=7)


# --- uphold / reject -------------------------------------------------------------------------


def test_uphold_rescores_as_a_new_revision_and_keeps_the_old_one(
    disputed_evaluation: Evaluation, open_dispute: Dispute, org: Organisation, app_context: None
) -> None:
    resolver = _user(org, "supervisor_a")  # the evaluation was scored by the manager
    dispute = db.session.get(Dispute, open_dispute.id)
    evaluation = dispute.evaluation
    [old] = db.session.scalars(
        sa.select(EvaluationRevision).where(EvaluationRevision.evaluation_id == evaluation.id)
    )
    old_content = dict(old.content)

    result = services.uphold_dispute(
        dispute,
        resolver,
        "  Listened again.  ",
        _edit(evaluation, {"greeting": False, "empathy": 5}, comments={"greeting": "No brand"}),
    )
    db.session.commit()
    db.session.expire_all()

    assert result.score == pytest.approx(200 / 3)
    evaluation = _evaluation(disputed_evaluation.id)
    assert (evaluation.status, evaluation.revision) == (EvaluationStatus.RESOLVED, 2)
    assert evaluation.score == pytest.approx(200 / 3)
    assert evaluation.passed is False
    assert _rows(evaluation) == {
        "greeting": (0.0, False, 0.0, "No brand"),
        "empathy": (5.0, False, 1.0, None),
    }
    revisions = db.session.scalars(
        sa.select(EvaluationRevision)
        .where(EvaluationRevision.evaluation_id == evaluation.id)
        .order_by(EvaluationRevision.number)
    ).all()
    assert [r.number for r in revisions] == [1, 2]
    first, second = revisions
    assert first.content == old_content
    assert first.content["answers"] == {
        "greeting": {"value": True, "comment": None},
        "empathy": {"value": 4, "comment": None},
    }
    assert first.score == pytest.approx(RECORD_SCORE)
    assert (second.reason, second.created_by_id) == ("dispute upheld", resolver.id)
    assert second.score == pytest.approx(200 / 3)
    assert second.content["answers"]["greeting"] == {"value": False, "comment": "No brand"}

    dispute = db.session.get(Dispute, open_dispute.id)
    assert dispute.status == DisputeStatus.UPHELD
    assert (dispute.revision_before, dispute.revision_after) == (1, 2)
    assert (dispute.resolved_by_id, dispute.resolution_note) == (resolver.id, "Listened again.")
    assert dispute.resolved_at is not None
    [event] = _events(evaluation.id, "dispute.upheld")
    assert event.before == {
        "score": pytest.approx(RECORD_SCORE),
        "raw_score": pytest.approx(RECORD_SCORE),
        "auto_failed": False,
        "revision": 1,
    }
    assert event.after == {
        "score": pytest.approx(200 / 3),
        "raw_score": pytest.approx(200 / 3),
        "auto_failed": False,
        "revision": 2,
        "dispute_id": dispute.id,
    }


def test_uphold_needs_every_answer_and_a_current_lock_version(
    open_dispute: Dispute, org: Organisation, app_context: None
) -> None:
    resolver = _user(org, "supervisor_a")
    dispute = db.session.get(Dispute, open_dispute.id)
    evaluation = dispute.evaluation
    with pytest.raises(AnswerError) as raised:
        services.uphold_dispute(dispute, resolver, "Re-scored", _edit(evaluation, {"greeting": 0}))
    assert {key for key, _ in raised.value.problems} == {"greeting", "empathy"}
    db.session.rollback()
    stale = _edit(evaluation, {"greeting": True, "empathy": 5}, lock=evaluation.lock_version - 1)
    with pytest.raises(StaleEvaluation):
        services.uphold_dispute(dispute, resolver, "Re-scored", stale)
    db.session.rollback()
    assert dispute.status == DisputeStatus.OPEN
    assert (evaluation.status, evaluation.revision) == (EvaluationStatus.DISPUTED, 1)


def test_reject_keeps_the_score_and_tells_the_agent_why(
    open_dispute: Dispute, org: Organisation, app_context: None
) -> None:
    resolver = _user(org, "supervisor_a")
    dispute = db.session.get(Dispute, open_dispute.id)
    evaluation = dispute.evaluation
    answers_before = _rows(evaluation)
    services.reject_dispute(dispute, resolver, " The greeting lacked the brand. ")
    db.session.commit()
    assert dispute.status == DisputeStatus.REJECTED
    assert dispute.resolution_note == "The greeting lacked the brand."
    assert (dispute.resolved_by_id, dispute.revision_before, dispute.revision_after) == (
        resolver.id,
        1,
        1,
    )
    assert (evaluation.status, evaluation.revision) == (EvaluationStatus.RESOLVED, 1)
    assert evaluation.score == pytest.approx(RECORD_SCORE)
    assert _rows(evaluation) == answers_before
    [event] = _events(evaluation.id, "dispute.rejected")
    assert event.after == {"dispute_id": dispute.id, "note": "The greeting lacked the brand."}

    # Decided once, decided for good.
    with pytest.raises(EvaluationRuleError, match="already been decided"):
        services.reject_dispute(dispute, resolver, "Again")
    with pytest.raises(EvaluationRuleError, match="already been decided"):
        services.uphold_dispute(
            dispute, resolver, "Again", _edit(evaluation, {"greeting": True, "empathy": 5})
        )


@pytest.mark.parametrize("note", ["", "   "])
def test_a_decision_needs_a_note(
    note: str, open_dispute: Dispute, org: Organisation, app_context: None
) -> None:
    dispute = db.session.get(Dispute, open_dispute.id)
    with pytest.raises(EvaluationRuleError, match="Explain"):
        services.reject_dispute(dispute, _user(org, "supervisor_a"), note)
    assert dispute.status == DisputeStatus.OPEN


def _dispute_on(record: str, records: dict[str, int], org: Organisation) -> Dispute:
    """The records' dispute (scored by the manager), or a new one on supervisor A's
    released evaluation."""
    if record == "disputed_id":
        return db.session.get(Dispute, records["dispute_id"])
    evaluation = _evaluation(records[record])
    dispute = services.raise_dispute(evaluation, _user(org, "agent_a1"), {}, "No", window_days=7)
    db.session.commit()
    return dispute


@pytest.mark.parametrize(
    ("record", "who", "allowed"),
    [
        # Scored by the manager: the manager may not decide, supervisor A may.
        ("disputed_id", "manager", False),
        ("disputed_id", "supervisor_a", True),
        ("disputed_id", "agent_a1", False),  # the agent who raised it
        ("disputed_id", "supervisor_b", False),  # another team's supervisor
        ("disputed_id", "supervisor_none", False),
        ("disputed_id", "admin", False),
        # Scored by supervisor A: a manager may decide, supervisor A may not.
        ("released_id", "supervisor_a", False),
        ("released_id", "manager", True),
        ("released_id", "supervisor_b", False),
        ("released_id", "agent_a1", False),
    ],
)
@pytest.mark.parametrize("decision", ["reject", "uphold"])
def test_who_may_decide_a_dispute(
    decision: str,
    record: str,
    who: str,
    allowed: bool,
    records: dict[str, int],
    org: Organisation,
    app_context: None,
) -> None:
    dispute = _dispute_on(record, records, org)
    resolver = _user(org, who)
    evaluation = dispute.evaluation

    def decide() -> None:
        if decision == "reject":
            services.reject_dispute(dispute, resolver, "Decided")
        else:
            edit = _edit(evaluation, {"greeting": True, "empathy": 5})
            services.uphold_dispute(dispute, resolver, "Decided", edit)

    if allowed:
        decide()
        db.session.commit()
        assert dispute.status == (
            DisputeStatus.REJECTED if decision == "reject" else DisputeStatus.UPHELD
        )
        assert dispute.resolved_by_id == resolver.id
    else:
        with pytest.raises(EvaluationRuleError, match="nobody decides about their own"):
            decide()
        db.session.rollback()
        assert dispute.status == DisputeStatus.OPEN
        assert evaluation.status == EvaluationStatus.DISPUTED


# --- delete_draft ----------------------------------------------------------------------------


def test_delete_draft_removes_it_and_audits_what_it_held(
    assignment: Assignment, draft_evaluation: Evaluation, org: Organisation, app_context: None
) -> None:
    supervisor = _user(org, "supervisor_a")
    evaluation = _evaluation(draft_evaluation.id)
    services.save_draft(
        evaluation,
        _edit(evaluation, {"greeting": True}, {"greeting": "Good"}, {"strengths": "Warm"}),
        supervisor,
    )
    db.session.commit()
    services.delete_draft(evaluation, supervisor)
    db.session.commit()
    assert _evaluation(draft_evaluation.id) is None
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Answer.id)).where(Answer.evaluation_id == draft_evaluation.id)
        )
        == 0
    )
    [event] = _events(draft_evaluation.id, "evaluation.deleted")
    assert event.before == {
        "answers": {"greeting": {"value": True, "comment": "Good"}},
        "overall_comment": None,
        "strengths": "Warm",
        "opportunities": None,
    }
    # The interaction stays, and can be evaluated again.
    assert db.session.get(Interaction, assignment.interaction_id) is not None


@pytest.mark.parametrize(
    ("record", "who"),
    [
        ("submitted_id", "supervisor_a"),
        ("released_id", "supervisor_a"),
        ("disputed_id", "manager"),
        ("draft_id", "supervisor_b"),  # not theirs
        ("draft_id", "agent_a1"),
    ],
)
def test_only_drafts_are_deleted_and_only_by_their_editors(
    record: str, who: str, records: dict[str, int], org: Organisation, app_context: None
) -> None:
    evaluation = _evaluation(records[record])
    with pytest.raises(EvaluationRuleError, match="Only a draft"):
        services.delete_draft(evaluation, _user(org, who))
    db.session.rollback()
    assert _evaluation(records[record]) is not None
    assert _events(records[record], "evaluation.deleted") == []


# --- the audit trail of a whole life ---------------------------------------------------------


def test_every_transition_is_audited_in_order(
    draft_evaluation: Evaluation, org: Organisation, app_context: None
) -> None:
    supervisor, agent, manager = (
        _user(org, key) for key in ("supervisor_a", "agent_a1", "manager")
    )
    evaluation = _evaluation(draft_evaluation.id)
    services.save_draft(evaluation, _edit(evaluation, {"greeting": True}), supervisor)
    services.submit(evaluation, _edit(evaluation, {"greeting": True, "empathy": 3}), supervisor)
    db.session.flush()
    dispute = services.raise_dispute(
        evaluation, agent, {"empathy": "I was kind"}, "", window_days=7
    )
    services.uphold_dispute(
        dispute, manager, "Fair", _edit(evaluation, {"greeting": True, "empathy": 5})
    )
    db.session.commit()
    events = _events(evaluation.id)
    assert [event.action for event in events] == [
        "evaluation.started",
        "evaluation.saved",
        "evaluation.submitted",
        "evaluation.released",
        "dispute.raised",
        "dispute.upheld",
    ]
    upheld = events[-1]
    assert upheld.before["score"] == pytest.approx(100 * 2 / 3)
    assert upheld.after["score"] == pytest.approx(100.0)
    assert (upheld.before["revision"], upheld.after["revision"]) == (1, 2)


def test_audit_events_name_the_actor_given_to_the_service(
    draft_evaluation: Evaluation, org: Organisation, app_context: None
) -> None:
    supervisor = _user(org, "supervisor_a")
    evaluation = _evaluation(draft_evaluation.id)
    services.submit(evaluation, _edit(evaluation, {"greeting": True, "empathy": 3}), supervisor)
    db.session.commit()
    actors = {
        event.action: event.actor_id
        for event in _events(evaluation.id)
        if event.action in ("evaluation.submitted", "evaluation.released")
    }
    assert actors == {"evaluation.submitted": supervisor.id, "evaluation.released": supervisor.id}
