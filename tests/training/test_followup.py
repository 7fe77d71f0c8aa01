"""Did coaching work? The change of each focus area with its 95 % interval and the words that
match it, on fixed data (Welch recomputed with SciPy here, the bootstrap's seed), on many
generated data sets (no words ever claim an effect whose interval includes zero), the
equal periods around the issue, the pooled team view and who may see it."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats as scipy_stats

from qa_app.auth.models import User
from qa_app.database import utcnow
from qa_app.evaluations.models import SCORED, Answer
from qa_app.extensions import db
from qa_app.i18n import format_signed
from qa_app.stats.evidence import Difference, Verdict, mean_difference, ratio_difference
from qa_app.stats.models import AgentDailyStat
from qa_app.training import plans
from qa_app.training.effects import (
    POINTS,
    effect_words,
    follow_up_window,
    shown_effect,
)
from qa_app.training.followup import compare_items
from qa_app.training.models import FocusKind, TrainingModule, TrainingPlan, TrainingPlanItem
from tests.conftest import Organisation

FOLLOW_UP = "/training/follow-up"
ISSUED = datetime(2026, 9, 1, 10, 0, tzinfo=UTC)
NOW = ISSUED + timedelta(days=60)
TODAY = NOW.date()
# Empathy answers (r) of agent A1: twelve in the 60 days before the plan, ten after.
BEFORE_R = [0.5, 0.25, 0.5, 0.75, 0.5, 0.25, 0.5, 0.5, 0.75, 0.25, 0.5, 0.5]
AFTER_R = [0.75, 0.75, 1.0, 0.5, 0.75, 1.0, 0.75, 0.5, 1.0, 0.75]


# ------------------------------------------------------------------------ pure: the words


@pytest.fixture
def english(app: Flask) -> Iterator[None]:
    """A request in English, for words and numbers in the reader's locale."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


@pytest.mark.parametrize(
    ("low", "high", "lower_is_better", "verdict"),
    [
        (3.2, 18.7, False, Verdict.BETTER),
        (-18.7, -3.2, False, Verdict.WORSE),
        (-8.0, 14.0, False, Verdict.NO_CLEAR_CHANGE),
        # 0.4 is shown as 0 (the low end rounds down): the shown interval touches zero, so
        # it is no clear change although the computed one is above zero.
        (0.4, 14.0, False, Verdict.NO_CLEAR_CHANGE),
        (-14.0, -0.4, False, Verdict.NO_CLEAR_CHANGE),
        (1.0, 14.0, False, Verdict.BETTER),
        # For handle time lower is better: a fall is better, a rise worse.
        (-60.0, -20.0, True, Verdict.BETTER),
        (20.0, 60.0, True, Verdict.WORSE),
        (-20.0, 60.0, True, Verdict.NO_CLEAR_CHANGE),
    ],
)
def test_the_verdict_follows_the_shown_interval(
    low: float, high: float, lower_is_better: bool, verdict: Verdict
) -> None:
    difference = Difference((low + high) / 2, low, high, 10, 10, "welch")
    effect = shown_effect(difference, POINTS, lower_is_better=lower_is_better)
    assert effect.verdict == verdict
    assert effect.low is not None and effect.high is not None
    assert effect.low <= low and effect.high >= high  # rounded outward: it contains it
    assert (effect.low, effect.high) == (math.floor(low), math.ceil(high))


@pytest.mark.usefixtures("english")
def test_the_words_of_each_verdict() -> None:
    better = shown_effect(Difference(11.2, 3.4, 18.6, 12, 10, "welch"), POINTS)
    assert effect_words(better) == "better (+11 points, 95 % interval +3 to +19)"
    worse = shown_effect(Difference(-6.3, -11.2, -1.4, 12, 10, "welch"), POINTS)
    assert effect_words(worse) == "worse (-6 points, 95 % interval -12 to -1)"
    # -1.9 to -0.7 is shown as -2 to 0: no claim of a change the figures do not show.
    edge = shown_effect(Difference(-1.2, -1.9, -0.7, 12, 10, "welch"), POINTS)
    assert effect_words(edge) == "no clear change (interval -2 to 0)"
    unclear = shown_effect(Difference(3.0, -7.6, 13.2, 12, 10, "welch"), POINTS)
    assert effect_words(unclear) == "no clear change (interval -8 to +14)"
    few = shown_effect(Difference(None, None, None, 7, 2, ""), POINTS)
    assert effect_words(few) == "too few evaluations after the plan to tell (n = 2)"
    few = shown_effect(Difference(None, None, None, 1, 5, ""), POINTS)
    assert effect_words(few) == "too few evaluations before the plan to tell (n = 1)"
    few = shown_effect(Difference(None, None, None, 0, 2, ""), POINTS)
    assert effect_words(few) == (
        "too few evaluations before and after the plan to tell (n = 0 and 2)"
    )
    aht = shown_effect(
        Difference(-38.6, -52.2, -21.1, 20, 20, "bootstrap"), "seconds", lower_is_better=True
    )
    assert effect_words(aht) == "better (-39 seconds, 95 % interval -53 to -21)"
    csat = shown_effect(Difference(4.26, 1.04, 7.5, 20, 20, "bootstrap"), "percentage_points")
    assert effect_words(csat) == "better (+4.3 percentage points, 95 % interval +1.0 to +7.5)"
    days = shown_effect(Difference(None, None, None, 9, 1, ""), "seconds")
    assert effect_words(days) == "too few days with figures after the plan to tell (n = 1)"
    # The form agrees with the number shown: 1.4 is plural, 1.0 and +1 singular.
    small = shown_effect(Difference(1.4, 0.2, 2.6, 30, 30, "welch"), "percentage_points")
    assert effect_words(small) == "better (+1.4 percentage points, 95 % interval +0.2 to +2.6)"
    one = shown_effect(Difference(1.04, 0.2, 2.6, 30, 30, "welch"), "percentage_points")
    assert effect_words(one) == "better (+1.0 percentage point, 95 % interval +0.2 to +2.6)"
    whole = shown_effect(Difference(1.4, 1.1, 2.0, 30, 30, "welch"), POINTS)
    assert effect_words(whole) == "better (+1 point, 95 % interval +1 to +2)"


def test_signed_numbers_in_the_readers_locale(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "fi"}):
        assert format_signed(-8.0) == "\N{MINUS SIGN}8"  # Finnish writes a true minus
        assert format_signed(4.26, 1) == "+4,3"
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert format_signed(1234.5, 1) == "+1.234,5"
        assert format_signed(-0.2) == "0"  # zero as shown carries no sign
        assert format_signed(None) == "–"


SCORES = st.lists(st.integers(0, 20).map(lambda v: v * 5.0), min_size=0, max_size=16)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=SCORES, after=SCORES, lower_is_better=st.booleans())
def test_no_words_claim_an_effect_whose_interval_includes_zero(
    app: Flask, before: list[float], after: list[float], lower_is_better: bool
) -> None:
    """Welch, bootstrap and too-few cases alike: "better" or "worse" only when the whole
    computed interval, and the whole shown one, is on one side of zero."""
    difference = mean_difference(before, after)
    effect = shown_effect(difference, POINTS, lower_is_better=lower_is_better)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        words = effect_words(effect)
    if difference.low is None or difference.high is None:
        assert effect.verdict == Verdict.TOO_FEW and words.startswith("too few")
        return
    assert effect.low is not None and effect.high is not None
    claims = effect.verdict in (Verdict.BETTER, Verdict.WORSE)
    includes_zero = difference.low <= 0 <= difference.high
    assert not (claims and includes_zero)
    assert not (claims and effect.low <= 0 <= effect.high)
    rises = difference.low > 0 and effect.low > 0
    falls = difference.high < 0 and effect.high < 0
    if effect.verdict == Verdict.BETTER:
        assert falls if lower_is_better else rises
        assert words.startswith("better (")
    elif effect.verdict == Verdict.WORSE:
        assert rises if lower_is_better else falls
        assert words.startswith("worse (")
    else:
        assert effect.verdict == Verdict.NO_CLEAR_CHANGE
        assert words.startswith("no clear change (interval ")


DAYS = st.lists(
    st.tuples(st.integers(0, 50), st.integers(1, 50)).map(lambda p: (float(p[0]), float(p[1]))),
    max_size=14,
)


@settings(max_examples=150, deadline=None)
@given(before=DAYS, after=DAYS)
def test_kpi_changes_are_ratios_of_totals_and_claim_nothing_across_zero(
    before: list[tuple[float, float]], after: list[tuple[float, float]]
) -> None:
    difference = ratio_difference(before, after)
    if difference.estimate is None:
        assert min(len(before), len(after)) < 3
        return
    total = sum(n for n, _ in after) / sum(d for _, d in after)
    assert difference.estimate == pytest.approx(
        total - sum(n for n, _ in before) / sum(d for _, d in before), abs=1e-12
    )
    effect = shown_effect(difference, "percentage_points")
    assert difference.low is not None and difference.high is not None
    if difference.low <= 0 <= difference.high:
        assert effect.verdict == Verdict.NO_CLEAR_CHANGE


def test_the_ratio_bootstrap_is_reproducible_with_its_seed() -> None:
    before = [(4830.0, 10.0), (6120.0, 12.0), (3710.0, 8.0), (5390.0, 11.0), (4170.0, 9.0),
              (5020.0, 13.0), (2950.0, 7.0)]  # fmt: skip
    after = [(4000.0, 10.0), (4310.0, 9.0), (3770.0, 11.0), (4580.0, 10.0), (4090.0, 8.0),
             (3350.0, 9.0)]  # fmt: skip
    first = ratio_difference(before, after, seed=7)
    assert first == ratio_difference(before, after, seed=7)
    assert first != ratio_difference(before, after, seed=8)
    assert first.estimate == pytest.approx(24100 / 57 - 32190 / 70)


def test_the_same_values_in_another_order_give_the_same_interval() -> None:
    """Databases return rows in no set order: the seeded bootstrap must not depend on it."""
    before, after = [50.0, 25.0, 75.0, 50.0, 0.0, 50.0], [75.0, 100.0, 50.0, 75.0, 100.0]
    first = mean_difference(before, after)
    assert first.method == "bootstrap"
    assert first == mean_difference(before[::-1], [after[i] for i in (3, 0, 4, 2, 1)])
    days = [(4830.0, 10.0), (6120.0, 12.0), (3710.0, 8.0), (5390.0, 11.0)]
    later = [(4000.0, 10.0), (4310.0, 9.0), (3770.0, 11.0), (4580.0, 10.0)]
    assert ratio_difference(days, later) == ratio_difference(days[::-1], later[::-1])


def test_the_periods_are_equally_long_on_both_sides() -> None:
    window = follow_up_window(ISSUED, ISSUED.date(), now=NOW, today=TODAY, days=30)
    assert window.issued_at - window.before_from == window.after_until - window.issued_at
    assert window.length == timedelta(days=30) and window.days == 30
    assert (window.first_day, window.end_day) == (date(2026, 8, 2), date(2026, 10, 1))
    # A plan 10 days old compares 10 days on each side, not 30 before with 10 after.
    young = follow_up_window(
        NOW - timedelta(days=10), TODAY - timedelta(days=10), now=NOW, today=TODAY, days=30
    )
    assert young.length == timedelta(days=10) and young.days == 10
    assert young.first_day == TODAY - timedelta(days=20) and young.end_day == TODAY


# --------------------------------------------------------------- with the database: fixed data


def _module(key: str) -> TrainingModule:
    module = db.session.scalar(sa.select(TrainingModule).where(TrainingModule.key == key))
    if module is None:
        module = TrainingModule(
            key=key, title=key.title(), skill="Skill", description="About it.", expected_minutes=30
        )
        db.session.add(module)
        db.session.flush()
    return module


def _plan(
    agent: User, coach: User, issued_at: datetime, focus: list[tuple[str, str, str]]
) -> TrainingPlan:
    """An issued plan with one item per (kind, key, label) focus area."""
    start = issued_at.date() - timedelta(days=90)
    plan = plans.create_plan(agent, start, issued_at.date() - timedelta(days=1), coach)
    for kind, key, label in focus:
        item = plans.add_item(plan, _module(f"module-{key}"), issued_at.date(), coach)
        item.focus_kind, item.focus_key, item.focus_label = kind, key, label
    plans.issue_plan(plan, coach)
    plan.issued_at, plan.issued_on = issued_at, issued_at.date()
    db.session.flush()
    return plan


def _scored(
    make_evaluation: Callable[..., Any],
    agent: User,
    at: datetime,
    empathy: float,
    ref: str,
    evaluator: User | None = None,
) -> None:
    """A released evaluation of `agent` submitted at `at` whose empathy answer is r."""
    evaluation = make_evaluation(
        agent=agent, evaluator=evaluator, ref=ref, occurred_at=at, commit=False
    )
    evaluation.submitted_at = at
    answer = db.session.scalar(
        sa.select(Answer).where(
            Answer.evaluation_id == evaluation.id, Answer.criterion_key == "empathy"
        )
    )
    answer.normalised = empathy


def _evaluations(
    make_evaluation: Callable[..., Any],
    agent: User,
    issued_at: datetime,
    before: list[float],
    after: list[float],
    *,
    spacing: int = 4,
    evaluator: User | None = None,
) -> None:
    for i, r in enumerate(before):
        at = issued_at - timedelta(days=2 + spacing * i)
        _scored(make_evaluation, agent, at, r, f"B-{agent.id}-{i}", evaluator)
    for i, r in enumerate(after):
        at = issued_at + timedelta(days=1 + spacing * i, hours=1)
        _scored(make_evaluation, agent, at, r, f"A-{agent.id}-{i}", evaluator)


def test_a_criterion_change_with_welchs_interval_recomputed_with_scipy(
    app: Flask, org: Organisation, make_evaluation: Callable[..., Any]
) -> None:
    with app.app_context():
        agent = db.session.get(User, org.agent_a1.id)
        coach = db.session.get(User, org.supervisor_a.id)
        plan = _plan(agent, coach, ISSUED, [(FocusKind.CRITERION, "empathy", "Empathy")])
        _evaluations(make_evaluation, agent, ISSUED, BEFORE_R, AFTER_R)
        # Outside the 60 days on either side: left out.
        _scored(make_evaluation, agent, ISSUED - timedelta(days=61), 0.0, "OLD")
        _scored(make_evaluation, agent, NOW + timedelta(hours=1), 0.0, "LATE")
        db.session.commit()
        result = compare_items(plan.items, statuses=SCORED, now=NOW, today=TODAY, days=60)
        found = result[plan.items[0].id]
        assert (found.before_n, found.after_n) == (12, 10)
        assert found.before == pytest.approx(statistics.fmean(BEFORE_R))
        assert found.after == pytest.approx(statistics.fmean(AFTER_R))
        reference = scipy_stats.ttest_ind(
            [100 * r for r in AFTER_R], [100 * r for r in BEFORE_R], equal_var=False
        ).confidence_interval(0.95)
        change = 100 * (statistics.fmean(AFTER_R) - statistics.fmean(BEFORE_R))
        # 77.5 − 47.9 = +29.6 points, 95 % interval +17.6 to +41.6 by Welch.
        assert found.effect.change == round(change)
        assert (found.effect.low, found.effect.high) == (
            math.floor(reference.low),
            math.ceil(reference.high),
        )
        assert found.verdict == Verdict.BETTER
        with app.test_request_context(headers={"Accept-Language": "en"}):
            assert found.words == (
                f"better (+{round(change)} points, 95 % interval "
                f"+{math.floor(reference.low)} to +{math.ceil(reference.high)})"
            )
        # The same data give the same figures every time (the bootstrap's seed is fixed).
        small = compare_items(plan.items, statuses=SCORED, now=NOW, today=TODAY, days=20)
        assert small == compare_items(plan.items, statuses=SCORED, now=NOW, today=TODAY, days=20)
        assert (small[plan.items[0].id].before_n, small[plan.items[0].id].after_n) == (5, 5)


def test_a_kpi_change_in_its_own_unit_from_daily_totals(app: Flask, org: Organisation) -> None:
    """AHT from summed days (never a mean of daily AHTs); lower is better."""
    handles = {-4: (10, 5200), -3: (30, 14100), -2: (20, 9800), -1: (5, 2500),
               0: (20, 8200), 1: (10, 4300), 2: (30, 11700), 3: (10, 4000)}  # fmt: skip
    with app.app_context():
        agent = db.session.get(User, org.agent_a1.id)
        coach = db.session.get(User, org.supervisor_a.id)
        plan = _plan(agent, coach, ISSUED, [(FocusKind.KPI, "aht_seconds", "AHT")])
        for offset, (contacts, seconds) in handles.items():
            db.session.add(
                AgentDailyStat(
                    agent_id=agent.id,
                    day=ISSUED.date() + timedelta(days=offset),
                    contacts_handled=contacts,
                    handle_seconds=seconds,
                )
            )
        db.session.commit()
        found = compare_items(plan.items, statuses=SCORED, now=NOW, today=TODAY, days=4)[
            plan.items[0].id
        ]
        before = [handles[d] for d in (-4, -3, -2, -1)]
        after = [handles[d] for d in (0, 1, 2, 3)]
        assert found.before == pytest.approx(31600 / 65)  # 486.2 s
        assert found.after == pytest.approx(28200 / 70)  # 402.9 s
        assert (found.before_n, found.after_n) == (4, 4)  # days with figures
        expected = ratio_difference(
            [(float(s), float(c)) for c, s in before], [(float(s), float(c)) for c, s in after]
        )
        assert found.effect.change == round(expected.estimate or 0)
        assert found.effect.unit == "seconds"
        assert found.verdict == Verdict.BETTER  # handle time fell, the whole interval below 0
        with app.test_request_context(headers={"Accept-Language": "en"}):
            assert found.words.startswith("better (-83 seconds, 95 % interval -")


# ----------------------------------------------------------- the page: numbers, words, access


@pytest.fixture
def coached(app: Flask, org: Organisation, make_evaluation: Callable[..., Any]) -> dict[str, Any]:
    """Plans issued 30 days ago: A1 and A2 (team A) on empathy, B1 (team B) on empathy
    too; A1 and B1 improved, A2 did not."""
    issued = utcnow() - timedelta(days=30)
    data: dict[str, Any] = {"issued": issued}
    with app.app_context():
        for who, before, after in (
            ("agent_a1", [0.5, 0.25, 0.5, 0.5, 0.25, 0.5], [0.75, 1.0, 0.75, 1.0, 0.75]),
            ("agent_a2", [0.5, 0.75, 0.5, 0.75], [0.75, 0.5, 0.5, 0.75]),
            ("agent_b1", [0.25, 0.5, 0.25], [1.0, 0.75, 1.0]),
        ):
            agent = db.session.get(User, org.member(who).id)
            supervisor = "supervisor_b" if who == "agent_b1" else "supervisor_a"
            coach = db.session.get(User, org.member(supervisor).id)
            plan = _plan(agent, coach, issued, [(FocusKind.CRITERION, "empathy", "Empathy")])
            _evaluations(make_evaluation, agent, issued, before, after, spacing=5, evaluator=coach)
            data[who] = (before, after, plan.items[0].id)
        db.session.commit()
    return data


def _expected_words(app: Flask, before: list[float], after: list[float]) -> str:
    difference = mean_difference([100 * r for r in before], [100 * r for r in after])
    with app.test_request_context(headers={"Accept-Language": "en"}):
        return effect_words(shown_effect(difference, POINTS))


def _section(page: str, table_id: str) -> str:
    start = page.index(f'id="{table_id}"')
    return page[start : page.index("</table>", start)]


def test_the_page_shows_each_plan_and_the_pooled_team_view(
    app: Flask,
    org: Organisation,
    coached: dict[str, Any],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    page = sign_in_as(org.supervisor_a).get(FOLLOW_UP).get_data(as_text=True)
    each = _section(page, "plans")
    a1_before, a1_after, _ = coached["agent_a1"]
    a2_before, a2_after, _ = coached["agent_a2"]
    a1 = _expected_words(app, a1_before, a1_after)
    a2 = _expected_words(app, a2_before, a2_after)
    assert a1.startswith("better (+") and a2.startswith("no clear change (interval ")
    assert a1 in each and a2 in each
    assert "(n = 6)" in each and "(n = 5)" in each and "(n = 4)" in each
    assert 'data-verdict="better"' in each and 'data-verdict="no_clear_change"' in each
    assert org.agent_b1.display_name not in page  # team B is not this supervisor's
    pooled = _section(page, "pooled")
    together = _expected_words(app, a1_before + a2_before, a1_after + a2_after)
    assert "Empathy" in pooled and together in pooled
    assert "(n = 10)" in pooled and "(n = 9)" in pooled

    # A manager pools every team's plans.
    everything = sign_in_as(org.manager).get(FOLLOW_UP).get_data(as_text=True)
    b1_before, b1_after, _ = coached["agent_b1"]
    centre = _expected_words(app, a1_before + a2_before + b1_before, a1_after + a2_after + b1_after)
    assert centre in _section(everything, "pooled")
    assert org.agent_b1.display_name in everything
    # Supervisor B pools only B1's plan.
    theirs = sign_in_as(org.supervisor_b).get(FOLLOW_UP).get_data(as_text=True)
    assert _expected_words(app, b1_before, b1_after) in _section(theirs, "pooled")
    assert org.agent_a1.display_name not in theirs


def test_the_periods_can_be_chosen_on_the_page(
    org: Organisation, coached: dict[str, Any], sign_in_as: Callable[[User], FlaskClient]
) -> None:
    client = sign_in_as(org.supervisor_a)
    page = client.get(FOLLOW_UP, query_string={"compare": 10}).get_data(as_text=True)
    assert 'name="compare"' in page and 'value="10"' in page
    # 10 days on each side: A1's evaluations 2 and 7 days before, 1 and 6 days after.
    assert "too few evaluations before and after the plan to tell (n = 2 and 2)" in _section(
        page, "plans"
    )
    clamped = client.get(FOLLOW_UP, query_string={"compare": 5000}).get_data(as_text=True)
    assert 'value="365"' in clamped


def test_agents_never_see_the_team_view_but_see_their_own_plans_effect(
    app: Flask,
    org: Organisation,
    coached: dict[str, Any],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    agent = sign_in_as(org.agent_a1)
    assert agent.get(FOLLOW_UP).status_code == 403
    with app.app_context():
        _, _, item_id = coached["agent_a1"]
        plan_id = db.session.get(TrainingPlanItem, item_id).plan_id
    own = agent.get(f"/training/plans/{plan_id}").get_data(as_text=True)
    # An agent counts only evaluations released to them: all of these are.
    a1_before, a1_after, _ = coached["agent_a1"]
    assert _expected_words(app, a1_before, a1_after) in own
