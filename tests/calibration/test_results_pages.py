"""The figures' pages: a session's results (and the blind rule on them), agreement and drift
over sessions; the figures shown are the ones calibration.results computes."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import krippendorff
import numpy as np
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale

from qa_app.auth.models import User
from qa_app.calibration import services
from qa_app.calibration.agreement import Level, krippendorff_alpha
from qa_app.calibration.models import CalibrationAnswer, CalibrationScore, CalibrationSession
from qa_app.calibration.results import Drift, session_results
from qa_app.extensions import db
from qa_app.i18n import format_number, format_share
from qa_app.scorecards.models import Scorecard
from qa_app.stats.performance import MeanWithInterval
from tests.calibration.conftest import build_session
from tests.conftest import Organisation

# greeting yes/no (weight 1), empathy 1–5 (weight 2): r = (v − 1)/4.
EXPERT = [{"greeting": True, "empathy": 4}, {"greeting": False, "empathy": 2}]
CLOSE = [{"greeting": True, "empathy": 4}, {"greeting": False, "empathy": 3}]
FAR = [{"greeting": False, "empathy": 5}, {"greeting": True, "empathy": 5}]

SignIn = Callable[[User], FlaskClient]


def cell(page: str, marker: str, figure: str) -> str:
    """The text of the `data-figure` cell in the table row carrying `marker`."""
    row = re.search(rf"<tr {marker}.*?</tr>", page, re.S)
    assert row, marker
    found = re.search(rf'data-figure="{figure}">(.*?)</td>', row.group(0), re.S)
    assert found, (marker, figure)
    return found.group(1).strip()


def expert_session(app: Flask, org: Organisation, **kwargs: Any) -> int:
    """Manager = expert; supervisor A close to them, B far; a comment from each on the second
    call's empathy (the widest spread)."""
    with app.app_context():
        session = build_session(
            org,
            participants=[org.supervisor_a, org.supervisor_b],
            expert=org.manager,
            scores={org.manager.id: EXPERT, org.supervisor_a.id: CLOSE, org.supervisor_b.id: FAR},
            **kwargs,
        )
        second = session.items[1].id
        for user, text in ((org.supervisor_a, "Warm enough"), (org.supervisor_b, "Very kind")):
            answer = db.session.scalar(
                sa.select(CalibrationAnswer)
                .join(CalibrationScore)
                .where(
                    CalibrationScore.item_id == second,
                    CalibrationScore.user_id == user.id,
                    CalibrationAnswer.criterion_key == "empathy",
                )
            )
            answer.comment = text
        db.session.commit()
        return session.id


def test_results_page_shows_the_session_figures(
    app: Flask, org: Organisation, sign_in_as: SignIn
) -> None:
    session_id = expert_session(app, org, close=True)
    page = sign_in_as(org.manager).get(f"/calibration/{session_id}/results").get_data(True)
    a, b = f'data-participant="{org.supervisor_a.id}"', f'data-participant="{org.supervisor_b.id}"'
    # By hand (see test_sessions): A differs on the second call's empathy only (3 vs 2,
    # weight 2 of 6): alignment 1 − 0.5/6; B: 1 − 4/6. Scores 100·Σw·r/3.
    assert cell(page, a, "alignment") == "91.7%"
    assert cell(page, b, "alignment") == "33.3%"
    assert cell(page, a, "within_tolerance") == "75%"
    assert cell(page, b, "within_tolerance") == "0%"
    assert cell(page, a, "critical_agreement") == "100%"
    # A: 0 and +16.67 → +8.3; B: (200/3 − 250/3) and (100 − 50/3) → +33.3.
    assert cell(page, a, "score_deviation") == "+8.3"
    assert cell(page, b, "score_deviation") == "+33.3"
    with app.test_request_context():
        figures = session_results(db.session.get_one(CalibrationSession, session_id))
        by_user = {p.user_id: p for p in figures.participants}
        assert by_user[org.supervisor_a.id].alignment == pytest.approx(1 - 0.5 / 6)
        assert cell(page, b, "score_deviation") == "+" + format_number(
            by_user[org.supervisor_b.id].score_deviation, 1
        )
        second_id = figures.items[1].item_id
        empathy = next(r for r in figures.widest if (r.item_id, r.key) == (second_id, "empathy"))
    # The benchmark is named; every answer is shown as the scorecard asks it.
    manager_name = _name(app, org.manager.id)
    assert f"The answers of the expert, {manager_name}." in page
    # The second call's empathy (2 vs 3 vs 5: 75 points) is among the flagged spreads, with
    # everyone's comment side by side.
    assert empathy.spread == pytest.approx(75)
    flagged = re.search(rf'data-flagged="{second_id}-empathy".*?</table>', page, re.S).group(0)
    assert "spread of 75 points" in flagged
    assert "Warm enough" in flagged and "Very kind" in flagged
    assert re.search(r"<td>5</td>\s*<td class=\"text-end\">\+75</td>", flagged)
    second = re.search(rf'data-item="{second_id}".*?</table>', page, re.S).group(0)
    greeting = re.search(r'data-row="greeting".*?</tr>', second, re.S).group(0)
    assert f'data-user="{org.supervisor_b.id}">Yes <span' in greeting  # B said yes, expert no
    assert "(+100)" in greeting


def _name(app: Flask, user_id: int) -> str:
    with app.app_context():
        return db.session.get_one(User, user_id).display_name


def test_results_follow_the_blind_rule(app: Flask, org: Organisation, sign_in_as: SignIn) -> None:
    # Open; A has submitted everything, B one call of two; the manager organised it (not
    # scoring).
    with app.app_context():
        session = build_session(
            org,
            participants=[org.supervisor_a, org.supervisor_b],
            scores={org.supervisor_a.id: CLOSE},
        )
        b = db.session.get_one(User, org.supervisor_b.id)
        services.save_score(session.items[0], b, FAR[0], {}, None, final=True)
        session_id = session.id
        db.session.commit()
    path = f"/calibration/{session_id}/results"
    for waiting, sentence in (
        (org.supervisor_b, "when you have submitted all your interactions or the session closes"),
        (org.manager, "The results appear when the session closes."),  # organiser, not scoring
    ):
        response = sign_in_as(waiting).get(path)
        assert response.status_code == 200
        page = response.get_data(True)
        assert 'data-blind="waiting"' in page and sentence in page
        assert "data-participant" not in page and "data-item" not in page
    seen = sign_in_as(org.supervisor_a).get(path).get_data(True)
    assert "data-blind" not in seen and f'data-participant="{org.supervisor_a.id}"' in seen
    assert sign_in_as(org.supervisor_none).get(path).status_code == 404  # not in it
    assert sign_in_as(org.agent_a1).get(path).status_code == 403  # whose call it is
    assert sign_in_as(org.admin).get(path).status_code == 403
    assert sign_in_as(org.manager).get("/calibration/999999/results").status_code == 404


# --- agreement over sessions ----------------------------------------------------------------

# Three evaluators, consensus benchmark; two calls a session.
ROUND_ONE = {
    "a": [{"greeting": True, "empathy": 4}, {"greeting": False, "empathy": 2}],
    "b": [{"greeting": True, "empathy": 5}, {"greeting": True, "empathy": 2}],
    "none": [{"greeting": False, "empathy": 3}, {"greeting": False, "empathy": 1}],
}
ROUND_TWO = {
    "a": [{"greeting": True, "empathy": 3}, {"greeting": True, "empathy": 5}],
    "b": [{"greeting": True, "empathy": 3}, {"greeting": False, "empathy": 4}],
    "none": [{"greeting": True, "empathy": 2}, {"greeting": False, "empathy": 5}],
}


def two_months(app: Flask, org: Organisation) -> list[int]:
    """Two closed consensus sessions, closed in October and November 2026."""
    people = {"a": org.supervisor_a, "b": org.supervisor_b, "none": org.supervisor_none}
    ids = []
    with app.app_context():
        for title, answers, closed in (
            ("October", ROUND_ONE, datetime(2026, 10, 20, 12, tzinfo=UTC)),
            ("November", ROUND_TWO, datetime(2026, 11, 20, 12, tzinfo=UTC)),
        ):
            ids.append(
                build_session(
                    org,
                    participants=list(people.values()),
                    scores={people[who].id: per for who, per in answers.items()},
                    close=True,
                    closed_at=closed,
                    title=title,
                ).id
            )
        db.session.commit()
    return ids


def _units(rounds: list[dict[str, list[dict[str, Any]]]], key: str) -> list[list[float | None]]:
    """α's units by hand: one row per call, one column per evaluator (a, b, none), as r."""
    rows = []
    for answers in rounds:
        for call in range(2):
            row: list[float | None] = []
            for who in ("a", "b", "none"):
                value = answers[who][call].get(key)
                if key == "greeting":
                    row.append(float(value))
                else:
                    row.append(None if value is None else (value - 1) / 4)
            rows.append(row)
    return rows


def _scores(rounds: list[dict[str, list[dict[str, Any]]]]) -> list[list[float | None]]:
    """Overall scores by hand: 100·(1·greeting + 2·r_empathy)/3."""
    greeting, empathy = _units(rounds, "greeting"), _units(rounds, "empathy")
    return [
        [100 * ((g or 0.0) + 2 * (e or 0.0)) / 3 for g, e in zip(g_row, e_row, strict=True)]
        for g_row, e_row in zip(greeting, empathy, strict=True)
    ]


def _package_alpha(units: list[list[float | None]], level: Level) -> float:
    data = np.array([[np.nan if v is None else v for v in row] for row in units], dtype=float)
    return float(krippendorff.alpha(reliability_data=data.T, level_of_measurement=str(level)))


def _scorecard_id(app: Flask) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(Scorecard.id).where(Scorecard.slug == "test-call"))


def test_agreement_page_alpha_equals_the_units_alpha(
    app: Flask, org: Organisation, sign_in_as: SignIn
) -> None:
    two_months(app, org)
    response = sign_in_as(org.manager).get(
        f"/calibration/agreement?scorecard_id={_scorecard_id(app)}"
    )
    assert response.status_code == 200
    page = response.get_data(True)
    rounds = [ROUND_ONE, ROUND_TWO]
    cases = [
        ("greeting", _units(rounds, "greeting"), Level.NOMINAL),
        ("empathy", _units(rounds, "empathy"), Level.ORDINAL),
        ("__overall__", _scores(rounds), Level.INTERVAL),
    ]
    with app.test_request_context():
        for key, units, level in cases:
            alpha = krippendorff_alpha(units, level)
            assert alpha == pytest.approx(_package_alpha(units, level), abs=1e-9)
            assert cell(page, f'data-key="{key}"', "alpha") == format_number(alpha, 3)
        # Per month: the overall score's α of that month's calls alone.
        scores = _scores(rounds)
        for month, units in (("2026-10-01", scores[:2]), ("2026-11-01", scores[2:])):
            alpha = krippendorff_alpha(units, Level.INTERVAL)
            assert alpha == pytest.approx(_package_alpha(units, Level.INTERVAL), abs=1e-9)
            assert cell(page, f'data-month="{month}"', "alpha") == format_number(alpha, 3)
    assert "nominal: the same answer or not" in page
    assert "Across 2 closed sessions" in page
    assert page.count("<circle") == 2  # one point a month on the chart
    assert "p. 241" in page
    # Drift: one row per compared evaluator, with its words.
    for user in (org.supervisor_a, org.supervisor_b, org.supervisor_none):
        assert f'data-evaluator="{user.id}"' in page


def test_agreement_page_filters_by_period(
    app: Flask, org: Organisation, sign_in_as: SignIn
) -> None:
    two_months(app, org)
    card = _scorecard_id(app)
    page = (
        sign_in_as(org.manager)
        .get(f"/calibration/agreement?scorecard_id={card}&start=2026-11-01&end=2026-11-30")
        .get_data(True)
    )
    assert "Across 1 closed session:" in page
    assert 'data-month="2026-11-01"' in page and 'data-month="2026-10-01"' not in page
    bad = sign_in_as(org.manager).get("/calibration/agreement?start=2026-12-01&end=2026-01-01")
    assert bad.status_code == 400
    assert "The period ends before it starts." in bad.get_data(True)


def test_agreement_page_shows_only_sessions_the_reader_may_open(
    app: Flask, org: Organisation, sign_in_as: SignIn, make_calibration: Callable[..., int]
) -> None:
    two_months(app, org)  # supervisor A took part in both
    make_calibration(
        participants=[org.supervisor_b, org.supervisor_none],
        scores={org.supervisor_b.id: CLOSE, org.supervisor_none.id: FAR},
        close=True,
        title="Without A",
    )
    assert "Across 3 closed sessions" in sign_in_as(org.manager).get(
        "/calibration/agreement"
    ).get_data(True)
    mine = sign_in_as(org.supervisor_a).get("/calibration/agreement").get_data(True)
    assert "Across 2 closed sessions" in mine and "Without A" not in mine
    assert sign_in_as(org.agent_a1).get("/calibration/agreement").status_code == 403
    assert sign_in_as(org.admin).get("/calibration/agreement").status_code == 403


def test_agreement_page_without_sessions(app: Flask, org: Organisation, sign_in_as: SignIn) -> None:
    response = sign_in_as(org.supervisor_none).get("/calibration/agreement")
    assert response.status_code == 200
    assert 'data-empty="sessions"' in response.get_data(True)


def test_results_speak_the_readers_locale(
    app: Flask, org: Organisation, sign_in_as: SignIn
) -> None:
    session_id = expert_session(app, org, close=True)
    with app.app_context():
        db.session.get_one(User, org.manager.id).locale = "de"
        db.session.commit()
    page = sign_in_as(org.manager).get(f"/calibration/{session_id}/results").get_data(True)
    with app.test_request_context(), force_locale("de"):
        expected = format_share(1 - 0.5 / 6, 1)
    assert "," in expected
    assert cell(page, f'data-participant="{org.supervisor_a.id}"', "alignment") == expected
    assert cell(page, f'data-participant="{org.supervisor_b.id}"', "score_deviation") == "+33,3"


@pytest.mark.parametrize(
    ("deviation", "reading"),
    [
        (MeanWithInterval(6.0, 8, 2.0, 10.0), "higher"),
        (MeanWithInterval(-6.0, 8, -10.0, -2.0), "lower"),
        (MeanWithInterval(1.0, 8, -3.0, 5.0), "in_line"),
        (MeanWithInterval(12.0, 1), "too_few"),
    ],
)
def test_drift_reading(deviation: MeanWithInterval, reading: str) -> None:
    assert Drift(1, deviation).reading == reading


def test_agreement_page_reads_the_scorings_once_whatever_the_months(
    app: Flask, org: Organisation, sign_in_as: SignIn
) -> None:
    """α per criterion, drift and α per month come from one load of the sessions' scorings:
    one query of the scores and one of their answers, not three and one more a month."""
    two_months(app, org)
    browser = sign_in_as(org.manager)
    with app.app_context():
        engine = db.engine
    read: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM calibration_answer" in statement or "FROM calibration_score" in statement:
            read.append(statement)

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        page = browser.get(f"/calibration/agreement?scorecard_id={_scorecard_id(app)}")
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    assert page.status_code == 200
    assert len(read) == 2, read
