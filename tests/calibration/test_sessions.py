"""The rules of a calibration session and its results, without a request."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from qa_app.auth.models import Role, User
from qa_app.calibration import promotion, services
from qa_app.calibration.agreement import Level, krippendorff_alpha
from qa_app.calibration.models import CalibrationSession
from qa_app.calibration.results import (
    OVERALL,
    agreement_by_month,
    agreement_table,
    evaluator_drift,
    session_results,
)
from qa_app.evaluations.models import Evaluation
from qa_app.extensions import db
from qa_app.scoring import AnswerError
from tests.calibration.conftest import build_session

# greeting yes/no (weight 1), empathy 1–5 (weight 2): r = (v − 1)/4.
EXPERT = [{"greeting": True, "empathy": 4}, {"greeting": False, "empathy": 2}]
CLOSE = [{"greeting": True, "empathy": 4}, {"greeting": False, "empathy": 3}]
FAR = [{"greeting": False, "empathy": 5}, {"greeting": True, "empathy": 5}]


@pytest.fixture
def ctx(app: Any) -> Any:
    with app.app_context():
        yield


def expert_session(org: Any, **kwargs: Any) -> CalibrationSession:
    return build_session(
        org,
        participants=[org.supervisor_a, org.supervisor_b],
        expert=org.manager,
        scores={org.manager.id: EXPERT, org.supervisor_a.id: CLOSE, org.supervisor_b.id: FAR},
        **kwargs,
    )


def test_results_compare_each_participant_with_the_expert(ctx: Any, org: Any) -> None:
    session = expert_session(org, close=True)
    results = session_results(session)
    assert set(results.compared) == {org.supervisor_a.id, org.supervisor_b.id}
    by_user = {p.user_id: p for p in results.participants}
    close, far = by_user[org.supervisor_a.id], by_user[org.supervisor_b.id]
    # CLOSE differs on the second call's empathy only: |0.5 − 0.25| with weight 2 of a total
    # weight of 2 × (1 + 2) = 6 → 1 − 0.5/6.
    assert close.alignment == pytest.approx(1 - 0.5 / 6, abs=1e-12)
    # FAR: greeting wrong twice (1 + 1), empathy |1 − .75|·2 + |1 − .25|·2 = 2.
    assert far.alignment == pytest.approx(1 - 4 / 6, abs=1e-12)
    assert close.within_tolerance == pytest.approx(3 / 4)
    assert (close.interactions, far.interactions) == (2, 2)  # both beside the expert's
    assert far.within_tolerance == 0
    rows = {(r.item_id, r.key): r for r in results.criteria}
    first, second = (item.id for item in session.items)
    assert rows[(second, "empathy")].deviations[org.supervisor_a.id] == pytest.approx(25)
    assert rows[(second, "empathy")].spread == pytest.approx(75)
    assert rows[(second, "empathy")].flagged
    assert not rows[(first, "greeting")].flagged or rows[(first, "greeting")].spread
    assert results.widest[0].spread == max(r.spread or 0 for r in results.criteria)
    # Scores: 100·(1·1 + 2·0.75)/3 and so on, recomputed from r.
    expert_first = 100 * (1 + 2 * 0.75) / 3
    far_first = 100 * (0 + 2 * 1) / 3
    expert_second = 100 * (0 + 2 * 0.25) / 3
    far_second = 100 * (1 + 2 * 1) / 3
    assert far.score_deviation == pytest.approx(
        ((far_first - expert_first) + (far_second - expert_second)) / 2
    )


def test_consensus_benchmark_is_the_median_and_the_majority(ctx: Any, org: Any) -> None:
    third = db.session.get_one(User, org.supervisor_none.id)
    session = build_session(
        org,
        participants=[org.supervisor_a, org.supervisor_b, third],
        interactions=1,
        scores={
            org.supervisor_a.id: [{"greeting": True, "empathy": 4}],
            org.supervisor_b.id: [{"greeting": True, "empathy": 2}],
            third.id: [{"greeting": False, "empathy": 5}],
        },
        close=True,
    )
    results = session_results(session)
    assert len(results.compared) == 3
    bench = results.items[0].benchmark
    assert bench is not None
    assert bench.r == {"greeting": 1.0, "empathy": 0.75}
    assert results.items[0].critical_unanimous is True


def test_a_participant_sees_others_only_after_submitting_everything(ctx: Any, org: Any) -> None:
    session = build_session(org, participants=[org.supervisor_a, org.supervisor_b])
    sup_a = db.session.get_one(User, org.supervisor_a.id)
    manager = db.session.get_one(User, org.manager.id)
    assert not services.sees_others(sup_a, session)
    assert not services.sees_others(manager, session)  # the organiser too
    services.save_score(session.items[0], sup_a, EXPERT[0], {}, None, final=True)
    assert not services.sees_others(sup_a, session)
    services.save_score(session.items[1], sup_a, EXPERT[1], {}, None, final=True)
    assert services.sees_others(sup_a, session)
    with pytest.raises(services.CalibrationError):
        services.save_score(session.items[1], sup_a, CLOSE[1], {}, None, final=True)
    services.close_session(session, manager)
    assert services.sees_others(manager, session)
    agent = db.session.get_one(User, org.agent_a1.id)
    assert not services.sees_others(agent, session)
    assert not services.can_view(agent, session)


def test_submitting_needs_every_answer_and_drafts_stay_out(ctx: Any, org: Any) -> None:
    session = build_session(org, participants=[org.supervisor_a, org.supervisor_b])
    sup_a = db.session.get_one(User, org.supervisor_a.id)
    with pytest.raises(AnswerError):
        services.save_score(session.items[0], sup_a, {"greeting": True}, {}, None, final=True)
    services.save_score(session.items[0], sup_a, {"greeting": True}, {}, None, final=False)
    services.close_session(session, db.session.get_one(User, org.manager.id))
    assert all(not row.answers for row in session_results(session).criteria)


def test_who_may_organise(ctx: Any, org: Any) -> None:
    sup_a = db.session.get_one(User, org.supervisor_a.id)
    assert not services.can_organise(sup_a)
    sup_a.qa_lead = True
    assert services.can_organise(sup_a)
    assert services.can_organise(db.session.get_one(User, org.manager.id))
    assert not services.can_organise(db.session.get_one(User, org.admin.id))
    assert not services.can_organise(db.session.get_one(User, org.agent_a1.id))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": " "}, "title"),
        ({"participants": "one"}, "two evaluators"),
        ({"participants": "agent"}, "does not score"),
        ({"interactions": []}, "at least one interaction"),
    ],
)
def test_bad_sessions_are_refused_whole(ctx: Any, org: Any, change: dict, message: str) -> None:
    from qa_app.scorecards.models import ScorecardVersion
    from tests.conftest import SCORECARD_TOML, _publish_scorecard

    _publish_scorecard(SCORECARD_TOML)
    version = db.session.scalar(sa.select(ScorecardVersion))
    people = {
        "one": [db.session.get_one(User, org.supervisor_a.id)],
        "agent": [db.session.get_one(User, u.id) for u in (org.supervisor_a, org.agent_b1)],
    }
    from qa_app.interactions.services import create_interaction

    manager = db.session.get_one(User, org.manager.id)
    call = create_interaction(
        db.session.get_one(User, org.agent_a1.id),
        channel="phone",
        occurred_at=datetime(2026, 11, 2, tzinfo=UTC),
        actor=manager,
    )
    fields: dict[str, Any] = {
        "title": "T",
        "version": version,
        "interactions": [call],
        "participants": [
            db.session.get_one(User, u.id) for u in (org.supervisor_a, org.supervisor_b)
        ],
    }
    fields.update(
        {
            k: people.get(v, v) if isinstance(v, str) and k == "participants" else v
            for k, v in change.items()
        }
    )
    with pytest.raises(services.CalibrationError, match=message):
        services.create_session(manager, services.NewSession(**fields), date_today())
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CalibrationSession)) == 0


def date_today() -> Any:
    from tests.calibration.conftest import TODAY

    return TODAY


def test_promoting_the_benchmark_makes_one_audited_evaluation(ctx: Any, org: Any) -> None:
    session = expert_session(org, close=True)
    manager = db.session.get_one(User, org.manager.id)
    sup_a = db.session.get_one(User, org.supervisor_a.id)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Evaluation)) == 0
    with pytest.raises(services.CalibrationError):
        promotion.promote_benchmark(session.items[0], sup_a)
    evaluation = promotion.promote_benchmark(session.items[0], manager)
    assert evaluation.evaluator_id == org.manager.id
    assert evaluation.agent_id == org.agent_a1.id
    assert evaluation.score == pytest.approx(100 * (1 + 2 * 0.75) / 3)
    assert session.items[0].promoted_evaluation_id == evaluation.id
    with pytest.raises(services.CalibrationError, match="already"):
        promotion.promote_benchmark(session.items[0], manager)
    from qa_app.audit.models import AuditEvent

    actions = set(db.session.scalars(sa.select(AuditEvent.action)))
    assert {"calibration.promoted", "evaluation.submitted"} <= actions
    assert manager.role == Role.MANAGER


def test_agreement_over_sessions_matches_alpha_of_the_same_units(ctx: Any, org: Any) -> None:
    first = expert_session(
        org, close=True, closed_at=datetime(2026, 10, 5, tzinfo=UTC), title="October"
    )
    second = expert_session(
        org, close=True, closed_at=datetime(2026, 11, 5, tzinfo=UTC), title="November"
    )
    table = {row.key: row for row in agreement_table([first, second], resamples=200)}
    # Raters: manager, supervisor A, supervisor B (sorted by id); four interactions.
    raters = sorted([org.manager.id, org.supervisor_a.id, org.supervisor_b.id])
    by_rater = {org.manager.id: EXPERT, org.supervisor_a.id: CLOSE, org.supervisor_b.id: FAR}
    greeting = [
        [float(by_rater[u][i]["greeting"]) for u in raters] for _ in range(2) for i in range(2)
    ]
    assert table["greeting"].alpha == pytest.approx(
        krippendorff_alpha(greeting, Level.NOMINAL), abs=1e-12
    )
    assert table["greeting"].units == 4
    assert table[OVERALL].level == Level.INTERVAL
    months = agreement_by_month([first, second])
    assert [m.month.month for m in months] == [10, 11]
    drift = evaluator_drift([first, second])
    assert set(drift) == {org.supervisor_a.id, org.supervisor_b.id}
    assert drift[org.supervisor_b.id].deviation.n == 4


def test_months_are_the_centres_months(ctx: Any, org: Any) -> None:
    """A session closed at 23:30 UTC on 31 October closed in November in Helsinki."""
    from zoneinfo import ZoneInfo

    late = expert_session(
        org, close=True, closed_at=datetime(2026, 10, 31, 23, 30, tzinfo=UTC), title="Late"
    )
    helsinki = ZoneInfo("Europe/Helsinki")
    assert [m.month.month for m in agreement_by_month([late])] == [10]
    assert [m.month.month for m in agreement_by_month([late], helsinki)] == [11]
    drift = evaluator_drift([late], helsinki)[org.supervisor_b.id]
    assert [month.month for month in drift.by_month] == [11]


def test_the_selection_of_closed_sessions_counts_days_in_the_centres_zone(
    ctx: Any, org: Any
) -> None:
    from datetime import date
    from zoneinfo import ZoneInfo

    from qa_app.calibration.selection import closed_in

    late = expert_session(
        org, close=True, closed_at=datetime(2026, 10, 31, 23, 30, tzinfo=UTC), title="Late"
    )
    card = late.version.scorecard_id
    helsinki = ZoneInfo("Europe/Helsinki")
    november = (date(2026, 11, 1), date(2026, 11, 30))
    assert [s.id for s in closed_in(card, *november, helsinki)] == [late.id]
    assert closed_in(card, *november, UTC) == []
    outsider = db.session.get_one(User, org.supervisor_none.id)
    assert closed_in(card, *november, helsinki, outsider) == []
