"""KPI math (DESIGN.md "KPI math") and combined performance ("Combined performance").

Every expectation is computed by hand in the comments next to it: sums first, then one ratio
of the sums. The fixtures carry the traps: a day with zero contacts, days without survey
responses, and a month where the mean of the daily ratios is far from the ratio of the sums.
"""

from __future__ import annotations

import json
import math
import statistics
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from scipy import stats as scipy_stats

from qa_app import create_app
from qa_app.audit.models import AuditEvent
from qa_app.auth.models import Role, User
from qa_app.evaluations.models import SCORED, Evaluation
from qa_app.extensions import db
from qa_app.stats.agent_performance import agent_performance, performance_by_agent
from qa_app.stats.filters import ReportFilters
from qa_app.stats.kpis import KPIS, KpiTotals, kpi_totals, kpi_totals_by_agent
from qa_app.stats.models import AgentDailyStat, KpiTarget
from qa_app.stats.performance import (
    ATTAINMENT_CAP,
    MeanWithInterval,
    Target,
    agent_composite,
    attainment,
    composite,
    kpi_index,
    mean_with_interval,
)
from qa_app.stats.services import (
    DEFAULT_TARGETS,
    criterion_breakdown,
    monthly_qa,
    save_target,
    targets_for_team,
)
from tests.conftest import Organisation, make_config

NOV_1, NOV_30 = date(2026, 11, 1), date(2026, 11, 30)

# Two-sided 95 % Student t quantiles t(0.975, df), from SciPy here independently of the app.
T975 = {df: float(scipy_stats.t.ppf(0.975, df)) for df in (1, 2, 4, 10, 29, 30, 31, 120)}


def day(n: int) -> date:
    """A day of November 2026."""
    return date(2026, 11, n)


# --------------------------------------------------------------------------- KpiTotals (pure)


def test_empty_totals_have_no_kpis_at_all() -> None:
    totals = KpiTotals()
    assert [totals.kpi(kpi.key) for kpi in KPIS] == [None] * 5
    assert [totals.denominator(kpi.key) for kpi in KPIS] == [0] * 5


@pytest.mark.parametrize(
    ("totals", "expected"),
    [
        # 33000 s / 100 contacts = 330 s
        (KpiTotals(contacts_handled=100, handle_seconds=33_000), {"aht_seconds": 330.0}),
        # 100 contacts / (50400 s / 3600 = 14 h) = 7.142857…
        (
            KpiTotals(contacts_handled=100, logged_in_seconds=50_400),
            # (and AHT 0 / 100 = 0: contacts are the denominator, handle time is missing)
            {"contacts_per_hour": 100 / 14, "aht_seconds": 0.0},
        ),
        # 18 of 21 satisfied = 85.714…%
        (KpiTotals(csat_responses=21, csat_positive=18), {"csat_pct": 100 * 18 / 21}),
        # (12 promoters − 3 detractors) / 21 = 42.857…
        (
            KpiTotals(nps_responses=21, nps_promoters=12, nps_detractors=3),
            {"nps": 100 * 9 / 21},
        ),
        # more detractors than promoters: (1 − 4) / 5 = −60
        (KpiTotals(nps_responses=5, nps_promoters=1, nps_detractors=4), {"nps": -60.0}),
        # 30 of 42 resolved = 71.428…%
        (KpiTotals(fcr_eligible=42, fcr_resolved=30), {"fcr_pct": 100 * 30 / 42}),
    ],
)
def test_each_kpi_is_one_ratio_of_sums(totals: KpiTotals, expected: dict[str, float]) -> None:
    for kpi in KPIS:
        if kpi.key in expected:
            assert totals.kpi(kpi.key) == pytest.approx(expected[kpi.key])
            assert getattr(totals, kpi.key) == pytest.approx(expected[kpi.key])
        else:
            assert totals.kpi(kpi.key) is None, kpi.key


@pytest.mark.parametrize(
    ("totals", "kpi", "value"),
    [
        # logged in all day, no contacts: 0 contacts per hour is a real 0, AHT has no data
        (KpiTotals(logged_in_seconds=7200), "contacts_per_hour", 0.0),
        (KpiTotals(logged_in_seconds=7200), "aht_seconds", None),
        # responses but none positive: 0% is data; no responses: no data
        (KpiTotals(csat_responses=4), "csat_pct", 0.0),
        (KpiTotals(csat_positive=0, csat_responses=0), "csat_pct", None),
        (KpiTotals(nps_responses=3, nps_promoters=1, nps_detractors=1), "nps", 0.0),
        (KpiTotals(nps_promoters=0, nps_detractors=0), "nps", None),
        (KpiTotals(fcr_eligible=5), "fcr_pct", 0.0),
        (KpiTotals(fcr_resolved=0), "fcr_pct", None),
        # contacts without handle time: AHT 0 (no denominator problem)
        (KpiTotals(contacts_handled=3), "aht_seconds", 0.0),
    ],
)
def test_zero_is_data_only_when_the_denominator_is_not_zero(
    totals: KpiTotals, kpi: str, value: float | None
) -> None:
    assert totals.kpi(kpi) == value
    assert (totals.kpi(kpi) is None) == (value is None)


def test_denominators_are_the_n_behind_each_kpi() -> None:
    totals = KpiTotals(
        contacts_handled=100,
        logged_in_seconds=50_400 + 1800,  # 14.5 h: whole hours are the n shown
        csat_responses=21,
        nps_responses=19,
        fcr_eligible=42,
    )
    assert {kpi.key: totals.denominator(kpi.key) for kpi in KPIS} == {
        "aht_seconds": 100,
        "contacts_per_hour": 14,
        "csat_pct": 21,
        "nps": 19,
        "fcr_pct": 42,
    }


def test_kpi_directions() -> None:
    assert {kpi.key: kpi.direction for kpi in KPIS} == {
        "aht_seconds": "lower",
        "contacts_per_hour": "higher",
        "csat_pct": "higher",
        "nps": "higher",
        "fcr_pct": "higher",
    }


# ------------------------------------------------------------------ totals in the database

# Agent A1, November 2026 (channel "all"). Columns: contacts, handle s, logged-in s,
# CSAT responses/positive, NPS responses/promoters/detractors, FCR eligible/resolved, transfers.
#   Nov 2: 80 contacts, 24000 s (AHT 300), 8 h, CSAT 18/20 (90%), NPS 20: 12 P 2 D (+50),
#          FCR 30/40 (75%), 4 transfers                      → 10 contacts/h
#   Nov 3:  2 contacts,  1800 s (AHT 900), 1 h, CSAT 0/1 (0%), NPS 1: 0 P 1 D (−100),
#          FCR 0/2 (0%), 1 transfer                           →  2 contacts/h
#   Nov 4:  0 contacts (training day), 2 h logged in, no surveys → 0 contacts/h, AHT no data
#   Nov 5: 18 contacts,  7200 s (AHT 400), 3 h, no survey responses, no FCR → 6 contacts/h
# Sums: 100 contacts, 33000 s, 50400 s = 14 h, CSAT 18/21, NPS 21: 12 P 3 D, FCR 30/42, 5 tr.
#   AHT = 33000/100 = 330 s         (mean of the daily AHTs: (300+900+400)/3 = 533.3)
#   per hour = 100/14 = 7.142857    (mean of daily rates: (10+2+0+6)/4 = 4.5)
#   CSAT = 100·18/21 = 85.714%      (mean of daily CSATs: (90+0)/2 = 45)
#   NPS = 100·(12−3)/21 = 42.857    (mean of daily NPS: (50−100)/2 = −25)
#   FCR = 100·30/42 = 71.429%       (mean of daily FCRs: (75+0)/2 = 37.5)
A1_NOVEMBER = {
    day(2): dict(
        contacts_handled=80, handle_seconds=24_000, logged_in_seconds=28_800,
        csat_responses=20, csat_positive=18, nps_responses=20, nps_promoters=12,
        nps_detractors=2, fcr_eligible=40, fcr_resolved=30, transfers=4,
    ),
    day(3): dict(
        contacts_handled=2, handle_seconds=1_800, logged_in_seconds=3_600,
        csat_responses=1, csat_positive=0, nps_responses=1, nps_promoters=0,
        nps_detractors=1, fcr_eligible=2, fcr_resolved=0, transfers=1,
    ),
    day(4): dict(contacts_handled=0, handle_seconds=0, logged_in_seconds=7_200),
    day(5): dict(contacts_handled=18, handle_seconds=7_200, logged_in_seconds=10_800),
}  # fmt: skip
A1_TOTALS = KpiTotals(
    days=4,
    contacts_handled=100,
    handle_seconds=33_000,
    logged_in_seconds=50_400,
    csat_responses=21,
    csat_positive=18,
    nps_responses=21,
    nps_promoters=12,
    nps_detractors=3,
    fcr_eligible=42,
    fcr_resolved=30,
    transfers=5,
)
# Agent A2: Nov 2: 20 contacts, 5000 s, 4 h, CSAT 5/5, NPS 5: 5 P 0 D, FCR 10/10;
#           Nov 6: a row of zeros (scheduled, never logged in).
A2_NOVEMBER = {
    day(2): dict(
        contacts_handled=20, handle_seconds=5_000, logged_in_seconds=14_400,
        csat_responses=5, csat_positive=5, nps_responses=5, nps_promoters=5,
        nps_detractors=0, fcr_eligible=10, fcr_resolved=10,
    ),
    day(6): {},
}  # fmt: skip
# Agent B1 (team B): Nov 3: 10 contacts, 6000 s (AHT 600), 2 h, no surveys. B2: no rows.
B1_NOVEMBER = {day(3): dict(contacts_handled=10, handle_seconds=6_000, logged_in_seconds=7_200)}


@pytest.fixture
def month(app: Flask, org: Organisation) -> dict[str, int]:
    """The November rows above, plus rows that must not count: outside the month (Oct 31,
    Dec 1, with absurd numbers) and per-channel rows of A1 on Nov 2."""
    ids = {key: org.member(f"agent_{key}").id for key in ("a1", "a2", "b1", "b2")}
    with app.app_context():
        for key, days in (("a1", A1_NOVEMBER), ("a2", A2_NOVEMBER), ("b1", B1_NOVEMBER)):
            for when, totals in days.items():
                db.session.add(AgentDailyStat(agent_id=ids[key], day=when, **totals))
        for when in (date(2026, 10, 31), date(2026, 12, 1)):
            db.session.add(
                AgentDailyStat(
                    agent_id=ids["a1"],
                    day=when,
                    contacts_handled=1000,
                    handle_seconds=1000,
                    logged_in_seconds=3600,
                    csat_responses=1000,
                )
            )
        # Per-channel rows are kept apart from the day's "all" row (never summed into it).
        db.session.add_all(
            [
                AgentDailyStat(
                    agent_id=ids["a1"],
                    day=day(2),
                    channel="phone",
                    contacts_handled=50,
                    handle_seconds=15_000,
                    logged_in_seconds=18_000,
                ),
                AgentDailyStat(
                    agent_id=ids["a1"],
                    day=day(2),
                    channel="chat",
                    contacts_handled=30,
                    handle_seconds=9_000,
                    csat_responses=4,
                    csat_positive=1,
                ),
                AgentDailyStat(
                    agent_id=ids["b1"],
                    day=day(3),
                    channel="phone",
                    contacts_handled=10,
                    handle_seconds=4_000,
                ),
            ]
        )
        db.session.commit()
    return ids


def test_a_month_is_the_ratio_of_its_sums_not_the_mean_of_its_days(
    app: Flask, month: dict[str, int]
) -> None:
    with app.app_context():
        totals = kpi_totals([month["a1"]], NOV_1, NOV_30)
    assert totals == A1_TOTALS
    assert totals.aht_seconds == pytest.approx(330.0)  # 33000 / 100
    assert totals.contacts_per_hour == pytest.approx(100 / 14)  # 7.142857
    assert totals.csat_pct == pytest.approx(100 * 18 / 21)  # 85.714
    assert totals.nps == pytest.approx(100 * 9 / 21)  # 42.857
    assert totals.fcr_pct == pytest.approx(100 * 30 / 42)  # 71.429

    # The classic trap: the mean of the daily ratios (days with a denominator only).
    daily = [KpiTotals(**row) for row in A1_NOVEMBER.values()]

    def naive(key: str) -> float:
        return statistics.fmean(v for t in daily if (v := t.kpi(key)) is not None)

    naive_means = {
        "aht_seconds": (300 + 900 + 400) / 3,
        "contacts_per_hour": (10 + 2 + 0 + 6) / 4,
        "csat_pct": (90 + 0) / 2,
        "nps": (50 - 100) / 2,
        "fcr_pct": (75 + 0) / 2,
    }
    for kpi in KPIS:
        assert naive(kpi.key) == pytest.approx(naive_means[kpi.key])
        assert totals.kpi(kpi.key) != pytest.approx(naive_means[kpi.key], abs=1), kpi.key


def test_days_without_surveys_give_no_data_never_zero(app: Flask, month: dict[str, int]) -> None:
    with app.app_context():
        # Nov 4–5: a zero-contact day and a day with contacts but no survey responses.
        quiet = kpi_totals([month["a1"]], day(4), day(5))
        # Nov 4 alone: no contacts at all, but logged in.
        idle = kpi_totals([month["a1"]], day(4), day(4))
        # B1's month: contacts and time, never a survey.
        b1 = kpi_totals([month["b1"]], NOV_1, NOV_30)
    # 18 contacts, 7200 s → AHT 400; 18 / (18000 s = 5 h) = 3.6 per hour
    assert (quiet.days, quiet.aht_seconds, quiet.contacts_per_hour) == (2, 400.0, 3.6)
    assert (quiet.csat_pct, quiet.nps, quiet.fcr_pct) == (None, None, None)
    # 0 contacts in 2 h: 0 per hour (a real zero); AHT, CSAT, NPS, FCR: no data
    assert idle.contacts_per_hour == 0.0
    assert (idle.aht_seconds, idle.csat_pct, idle.nps, idle.fcr_pct) == (None,) * 4
    assert (b1.aht_seconds, b1.contacts_per_hour) == (600.0, 5.0)  # 6000/10; 10/2 h
    assert (b1.csat_pct, b1.nps, b1.fcr_pct) == (None, None, None)


def test_a_row_of_zeros_counts_as_a_day_and_nothing_else(app: Flask, month: dict[str, int]) -> None:
    with app.app_context():
        totals = kpi_totals([month["a2"]], day(6), day(6))
    assert totals == KpiTotals(days=1)
    assert [totals.kpi(kpi.key) for kpi in KPIS] == [None] * 5


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # bounds are inclusive: the first and the last day both count
        (day(2), day(2), (1, 80, 24_000)),
        (day(5), day(5), (1, 18, 7_200)),
        (day(2), day(5), (4, 100, 33_000)),
        # Nov 3–5: 2 + 0 + 18 = 20 contacts, 1800 + 0 + 7200 = 9000 s
        (day(3), day(5), (3, 20, 9_000)),
        # Oct 31 – Nov 2: 1000 + 80 contacts, 1000 + 24000 s
        (date(2026, 10, 31), day(2), (2, 1080, 25_000)),
        (date(2026, 12, 1), date(2026, 12, 31), (1, 1000, 1000)),
        # a period without rows, and a period whose end is before its start
        (day(7), day(29), (0, 0, 0)),
        (day(5), day(2), (0, 0, 0)),
    ],
)
def test_periods_include_both_bounds(
    app: Flask, month: dict[str, int], start: date, end: date, expected: tuple[int, int, int]
) -> None:
    with app.app_context():
        totals = kpi_totals([month["a1"]], start, end)
    assert (totals.days, totals.contacts_handled, totals.handle_seconds) == expected


def test_agent_team_and_centre(app: Flask, org: Organisation, month: dict[str, int]) -> None:
    team_a = sa.select(User.id).where(User.team_id == org.team_a.id, User.role == Role.AGENT)
    centre = sa.select(User.id).where(User.role == Role.AGENT)
    with app.app_context():
        agent = kpi_totals([month["a1"]], NOV_1, NOV_30)
        team = kpi_totals(team_a, NOV_1, NOV_30)
        as_list = kpi_totals([month["a1"], month["a2"]], NOV_1, NOV_30)
        as_generator = kpi_totals((i for i in (month["a1"], month["a2"])), NOV_1, NOV_30)
        everyone = kpi_totals(centre, NOV_1, NOV_30)
        nobody = kpi_totals([], NOV_1, NOV_30)
        b2 = kpi_totals([month["b2"]], NOV_1, NOV_30)
    assert agent == A1_TOTALS
    # Team A = A1 + A2: 120 contacts, 38000 s, 64800 s = 18 h, CSAT 23/26, NPS 26: 17 P 3 D,
    # FCR 40/52, 5 transfers; distinct days Nov 2, 3, 4, 5, 6 = 5.
    assert team == as_list == as_generator
    assert team == KpiTotals(
        days=5, contacts_handled=120, handle_seconds=38_000, logged_in_seconds=64_800,
        csat_responses=26, csat_positive=23, nps_responses=26, nps_promoters=17,
        nps_detractors=3, fcr_eligible=52, fcr_resolved=40, transfers=5,
    )  # fmt: skip
    assert team.aht_seconds == pytest.approx(38_000 / 120)  # 316.67
    assert team.contacts_per_hour == pytest.approx(120 / 18)  # 6.667
    assert team.csat_pct == pytest.approx(100 * 23 / 26)  # 88.46
    assert team.nps == pytest.approx(100 * 14 / 26)  # 53.85
    assert team.fcr_pct == pytest.approx(100 * 40 / 52)  # 76.92
    # Centre = team A + B1: 130 contacts, 44000 s (338.46 s), 72000 s = 20 h (6.5 per hour);
    # B1 has no surveys, so the survey KPIs equal team A's.
    assert (everyone.contacts_handled, everyone.handle_seconds) == (130, 44_000)
    assert everyone.aht_seconds == pytest.approx(44_000 / 130)
    assert everyone.contacts_per_hour == pytest.approx(6.5)
    assert (everyone.csat_pct, everyone.nps, everyone.fcr_pct) == (
        team.csat_pct,
        team.nps,
        team.fcr_pct,
    )
    assert nobody == b2 == KpiTotals()


def test_totals_by_agent_in_one_query(app: Flask, org: Organisation, month: dict[str, int]) -> None:
    centre = sa.select(User.id).where(User.role == Role.AGENT)
    with app.app_context():
        by_agent = kpi_totals_by_agent(centre, NOV_1, NOV_30)
        listed = kpi_totals_by_agent([month["a2"], month["b2"]], NOV_1, NOV_30)
        phone = kpi_totals_by_agent(centre, NOV_1, NOV_30, channel="phone")
    # B2 has no rows: absent, not a row of zeros
    assert set(by_agent) == {month["a1"], month["a2"], month["b1"]}
    assert by_agent[month["a1"]] == A1_TOTALS
    assert by_agent[month["a2"]].days == 2
    assert by_agent[month["a2"]].aht_seconds == 250.0  # 5000 / 20
    assert by_agent[month["b1"]].aht_seconds == 600.0  # 6000 / 10
    assert set(listed) == {month["a2"]}
    # phone rows: A1 50 contacts / 15000 s; B1 10 contacts / 4000 s
    assert {agent: totals.aht_seconds for agent, totals in phone.items()} == {
        month["a1"]: 300.0,
        month["b1"]: 400.0,
    }


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        # "all" is the day's own total row: the phone and chat rows are not added to it
        ("all", (80, 24_000, 20, 18)),
        ("phone", (50, 15_000, 0, 0)),
        ("chat", (30, 9_000, 4, 1)),
        ("email", (0, 0, 0, 0)),
    ],
)
def test_channel_rows_are_apart_from_all(
    app: Flask, month: dict[str, int], channel: str, expected: tuple[int, ...]
) -> None:
    with app.app_context():
        totals = kpi_totals([month["a1"]], day(2), day(2), channel=channel)
    assert (
        totals.contacts_handled,
        totals.handle_seconds,
        totals.csat_responses,
        totals.csat_positive,
    ) == expected


# --------------------------------------------------------------------------------- targets


def test_targets_fall_back_from_team_to_centre_to_defaults(app: Flask, org: Organisation) -> None:
    team_a, team_b = org.team_a.id, org.team_b.id
    with app.app_context():
        manager = db.session.get(User, org.manager.id)
        assert targets_for_team(team_a) == DEFAULT_TARGETS
        assert targets_for_team(None) == DEFAULT_TARGETS
        save_target(None, "aht_seconds", 300, "lower", 2.0, manager)
        save_target(None, "csat_pct", 90, "higher", 1.0, manager)
        save_target(team_a, "aht_seconds", 240, "lower", 3.0, manager)
        db.session.commit()
        a, b, centre = targets_for_team(team_a), targets_for_team(team_b), targets_for_team(None)
    # team row > centre row > default
    assert a["aht_seconds"] == Target(240, "lower", 3.0)
    assert b["aht_seconds"] == centre["aht_seconds"] == Target(300, "lower", 2.0)
    assert a["csat_pct"] == b["csat_pct"] == Target(90, "higher", 1.0)
    for key in ("contacts_per_hour", "nps", "fcr_pct"):
        assert a[key] == b[key] == centre[key] == DEFAULT_TARGETS[key]
    assert set(a) == {kpi.key for kpi in KPIS}
    # the defaults themselves are untouched
    assert DEFAULT_TARGETS["aht_seconds"] == Target(360, "lower")


def test_saving_a_target_again_updates_it_and_is_audited(app: Flask, org: Organisation) -> None:
    team_a = org.team_a.id
    with app.app_context():
        manager = db.session.get(User, org.manager.id)
        save_target(team_a, "fcr_pct", 70, "higher", 1.0, manager)
        save_target(team_a, "fcr_pct", 80, "higher", 2.0, manager)
        save_target(None, "fcr_pct", 75, "higher", 1.0, manager)
        db.session.commit()
        rows = db.session.execute(
            sa.select(
                KpiTarget.team_id, KpiTarget.kpi, KpiTarget.target, KpiTarget.weight
            ).order_by(KpiTarget.id)
        ).all()
        events = db.session.scalars(
            sa.select(AuditEvent)
            .where(AuditEvent.action == "kpi_target.saved")
            .order_by(AuditEvent.id)
        ).all()
        assert targets_for_team(team_a)["fcr_pct"] == Target(80, "higher", 2.0)
    assert [tuple(row) for row in rows] == [(team_a, "fcr_pct", 80, 2.0), (None, "fcr_pct", 75, 1)]
    assert [(e.entity_type, e.entity_id, e.actor_id) for e in events] == [
        ("team", team_a, org.manager.id),
        ("team", team_a, org.manager.id),
        ("centre", None, org.manager.id),
    ]
    assert events[0].before is None
    assert events[1].before == {"target": 70, "direction": "higher", "weight": 1.0}
    assert events[1].after == {"kpi": "fcr_pct", "target": 80, "direction": "higher", "weight": 2.0}


# ------------------------------------------------------------------------------ attainment


@pytest.mark.parametrize(
    ("actual", "target", "expected"),
    [
        (90, Target(85, "higher"), 90 / 85),  # 1.0588
        (85, Target(85, "higher"), 1.0),
        (68, Target(85, "higher"), 0.8),
        (300, Target(360, "lower"), 1.2),  # 360 / 300
        (450, Target(360, "lower"), 0.8),  # 360 / 450
        # capped at 1.25 from above
        (200, Target(100, "higher"), ATTAINMENT_CAP),
        (100, Target(360, "lower"), ATTAINMENT_CAP),  # 3.6 → 1.25
        (50, Target(30, "higher"), ATTAINMENT_CAP),  # NPS 50 vs 30: 1.667 → 1.25
        # floored at 0: a negative NPS
        (-20, Target(30, "higher"), 0.0),
        (0, Target(85, "higher"), 0.0),
        # nothing at all of a lower-is-better KPI: best possible
        (0, Target(360, "lower"), ATTAINMENT_CAP),
        # no data, no attainment; a target of 0 or below cannot be divided by
        (None, Target(85, "higher"), None),
        (None, Target(360, "lower"), None),
        (50, Target(0, "higher"), None),
        (50, Target(-10, "higher"), None),
    ],
)
def test_attainment(actual: float | None, target: Target, expected: float | None) -> None:
    result = attainment(actual, target)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)
        assert 0.0 <= result <= 1.25


def test_the_cap_is_one_and_a_quarter() -> None:
    assert ATTAINMENT_CAP == 1.25


# ------------------------------------------------------------------------------- KPI index


@pytest.mark.parametrize(
    ("attainments", "targets", "expected"),
    [
        # equal weights: 100 × (1.2 + 0.8) / 2 = 100
        (
            {"aht_seconds": 1.2, "csat_pct": 0.8},
            {"aht_seconds": Target(360, "lower"), "csat_pct": Target(85, "higher")},
            100.0,
        ),
        # weights 1 and 3: 100 × (1·1.0 + 3·0.5) / 4 = 62.5
        (
            {"aht_seconds": 1.0, "csat_pct": 0.5},
            {"aht_seconds": Target(360, "lower", 1), "csat_pct": Target(85, "higher", 3)},
            62.5,
        ),
        # a KPI without data drops out (not a zero): 100 × 0.9 / 1
        (
            {"aht_seconds": 0.9, "csat_pct": None},
            {"aht_seconds": Target(360, "lower"), "csat_pct": Target(85, "higher", 5)},
            90.0,
        ),
        # a KPI without a target, or with weight 0, drops out too
        (
            {"aht_seconds": 0.9, "nps": 0.1, "fcr_pct": 0.2},
            {"aht_seconds": Target(360, "lower"), "fcr_pct": Target(75, "higher", 0)},
            90.0,
        ),
        # nothing with data: None, never 0
        ({"aht_seconds": None, "csat_pct": None}, dict(DEFAULT_TARGETS), None),
        ({}, dict(DEFAULT_TARGETS), None),
    ],
)
def test_kpi_index(
    attainments: dict[str, float | None], targets: dict[str, Target], expected: float | None
) -> None:
    result = kpi_index(attainments, targets)
    assert result == (None if expected is None else pytest.approx(expected))


# ------------------------------------------------------------------------------- composite


@pytest.mark.parametrize(
    ("args", "kwargs", "expected"),
    [
        # default 60/40: (60·80 + 40·100) / 100 = 88
        ((80.0, 3, 100.0), {}, 88.0),
        ((80.0, 12, 50.0), {}, 68.0),  # 48 + 20
        # configurable: 50/50 → 90; 1/3 → (80 + 300)/4 = 95
        ((80.0, 3, 100.0), {"qa_weight": 50, "kpi_weight": 50}, 90.0),
        ((80.0, 3, 100.0), {"qa_weight": 1, "kpi_weight": 3}, 95.0),
        # fewer than min_evaluations (default 3) scored evaluations: not shown
        ((80.0, 2, 100.0), {}, None),
        ((80.0, 0, 100.0), {}, None),
        ((80.0, 4, 100.0), {"min_evaluations": 5}, None),
        ((80.0, 5, 100.0), {"min_evaluations": 5}, 88.0),
        ((80.0, 1, 100.0), {"min_evaluations": 1}, 88.0),
        # without either part: not shown
        ((None, 5, 100.0), {}, None),
        ((80.0, 5, None), {}, None),
    ],
)
def test_composite(
    args: tuple[float | None, int, float | None], kwargs: dict[str, Any], expected: float | None
) -> None:
    result = composite(*args, **kwargs)
    assert result == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("qa", "attainments", "pass_mark", "critical_failures", "expected", "flags"),
    [
        # Every KPI beaten: the index is 125, but K counts each attainment up to 1.0 only:
        # K = 100 → (60 × 57 + 40 × 100) / 100 = 74.2, not (60 × 57 + 40 × 125) / 100 = 84.2;
        # QA 57 is below the pass mark 80: flagged.
        (57.0, dict.fromkeys("abcde", 1.25), 80.0, 0, 0.6 * 57 + 0.4 * 100, ["below_pass_mark"]),
        # K = 100 × (1 + 0.5 + 1) / 3 = 83.33 (the 1.2 counts as 1); QA 90 ≥ 85; an auto-fail
        (
            90.0,
            {"a": 1.2, "b": 0.5, "c": 1.0},
            85.0,
            1,
            0.6 * 90 + 0.4 * 250 / 3,
            ["critical_failure"],
        ),
        # both flags; exactly at the pass mark is not below it
        (70.0, {"a": 0.9}, 80.0, 2, 0.6 * 70 + 0.4 * 90, ["below_pass_mark", "critical_failure"]),
        (80.0, {"a": 0.9}, 80.0, 0, 0.6 * 80 + 0.4 * 90, []),
    ],
)
def test_agent_composite_caps_attainment_at_one_and_flags_quality(
    qa: float,
    attainments: dict[str, float],
    pass_mark: float,
    critical_failures: int,
    expected: float,
    flags: list[str],
) -> None:
    targets = {key: Target(1.0, "higher") for key in attainments}
    result = agent_composite(
        MeanWithInterval(qa, 5),
        attainments,
        targets,
        pass_mark=pass_mark,
        critical_failures=critical_failures,
    )
    assert result.value == pytest.approx(expected)
    assert result.kpi_part == pytest.approx(
        100 * sum(min(a, 1.0) for a in attainments.values()) / len(attainments)
    )
    assert list(result.flags) == flags
    # the KPI index on its own keeps its 1.25 cap
    assert kpi_index(attainments, targets) == pytest.approx(
        100 * sum(attainments.values()) / len(attainments)
    )


def test_flags_stand_without_a_composite() -> None:
    # Two evaluations (below MIN_EVALUATIONS) and no KPI data: no composite, still flagged.
    result = agent_composite(MeanWithInterval(40.0, 2), {}, {}, pass_mark=80.0, critical_failures=1)
    assert (result.value, result.kpi_part) == (None, None)
    assert result.flags == ("below_pass_mark", "critical_failure")
    nothing = agent_composite(
        MeanWithInterval(None, 0), {}, {}, pass_mark=None, critical_failures=0
    )
    assert nothing.flags == ()


# ------------------------------------------------------------------------ mean and interval


def test_mean_of_nothing_is_no_data() -> None:
    result = mean_with_interval([])
    assert result == MeanWithInterval(None, 0, None, None)
    assert result.half_width is None


def test_one_value_has_a_mean_but_no_interval() -> None:
    result = mean_with_interval([72.5])
    assert (result.mean, result.n, result.low, result.high, result.half_width) == (
        72.5,
        1,
        None,
        None,
        None,
    )


def test_two_values_use_t_with_one_degree_of_freedom() -> None:
    # 40, 50: mean 45, s = √50 = 7.0711, s/√2 = 5, t(0.975, 1) = 12.7062 → ± 63.531
    # → 45 − 63.531 = −18.531 clipped to 0; 45 + 63.531 = 108.531 clipped to 100
    result = mean_with_interval([40, 50])
    assert (result.mean, result.n, result.low, result.high) == (45.0, 2, 0, 100)
    # inside wide bounds the same interval is ± 63.531
    wide = mean_with_interval([40, 50], bounds=(-1000, 1000))
    assert (wide.low, wide.high) == pytest.approx((45 - 63.531, 45 + 63.531), abs=5e-4)
    assert wide.half_width == pytest.approx(5 * T975[1], abs=1e-12)


@pytest.mark.parametrize(
    ("n", "printed"),
    # The printed t table's values to three decimals; beyond 30 degrees of freedom t stays
    # above the normal 1.96 (t(0.975, 31) = 2.0395, t(0.975, 120) = 1.9799).
    [(2, 12.706), (3, 4.303), (5, 2.776), (11, 2.228), (30, 2.045), (31, 2.042), (32, 2.040),
     (121, 1.980)],
)  # fmt: skip
def test_known_t_values(n: int, printed: float) -> None:
    t = T975[n - 1]
    assert round(t, 3) == printed
    values = [50.0 + (i % 2) * 2 + i / 1000 for i in range(n)]
    result = mean_with_interval(values)
    s = statistics.stdev(values)
    assert result.mean == pytest.approx(statistics.fmean(values))
    assert result.half_width == pytest.approx(t * s / math.sqrt(n), rel=1e-12)
    assert result.high - result.mean == pytest.approx(t * s / math.sqrt(n), rel=1e-12)


@pytest.mark.parametrize(
    ("values", "bounds", "expected"),
    [
        # 0, 10: mean 5 ± 63.53 → [0 (clipped), 68.53]
        ([0, 10], (0, 100), (5.0, 0, 68.53)),
        # 90, 100: mean 95 ± 63.53 → [31.47, 100 (clipped)]
        ([90, 100], (0, 100), (95.0, 31.47, 100)),
        # identical values: no spread, the interval is the mean
        ([80, 80, 80], (0, 100), (80.0, 80.0, 80.0)),
        # 70, 80, 90: s = 10, ± 4.3027·10/√3 = 24.84 → [55.16, 100 (clipped from 104.84)]
        ([70, 80, 90], (0, 100), (80.0, 55.16, 100)),
        # other bounds, e.g. a 0..1 ratio: 0.5, 0.7 → 0.6 ± 12.7062·0.1 → [0, 1]
        ([0.5, 0.7], (0, 1), (0.6, 0, 1)),
    ],
)
def test_intervals_are_clipped_to_the_bounds(
    values: list[float], bounds: tuple[float, float], expected: tuple[float, float, float]
) -> None:
    result = mean_with_interval(values, bounds=bounds)
    assert (result.mean, result.low, result.high) == pytest.approx(expected, abs=0.01)
    assert bounds[0] <= result.low <= result.mean <= result.high <= bounds[1]


# -------------------------------------------------------- agent picture and `report agent`

REPORT_KEYS = {
    "qa_score", "qa_n", "qa_ci_low", "qa_ci_high", "aht_seconds", "contacts_per_hour",
    "csat_pct", "nps", "fcr_pct", "kpi_index", "composite", "composite_flags",
}  # fmt: skip


def today() -> date:
    return datetime.now(UTC).date()


@pytest.fixture
def scored(app: Flask, records: dict[str, int]) -> list[int]:
    """A1's three scored evaluations (submitted, released, disputed; the draft has no score),
    rescored 70, 80 and 90 so the mean (80) and its interval are easy to check."""
    ids = [records["submitted_id"], records["released_id"], records["disputed_id"]]
    with app.app_context():
        for evaluation_id, score in zip(ids, (70.0, 80.0, 90.0), strict=True):
            db.session.get(Evaluation, evaluation_id).score = score
        db.session.commit()
    return ids


def add_recent_stats(app: Flask, agent_id: int) -> None:
    """Two recent days for an agent.
    Yesterday: 40 contacts, 12000 s (AHT 300), 5 h, CSAT 9/10, NPS 10: 6 P 1 D, FCR 16/20.
    Two days ago: 0 contacts, 1 h logged in, no surveys.
    Totals: AHT 12000/40 = 300; 40 / 6 h = 6.667 per hour; CSAT 90%; NPS 50; FCR 80%."""
    with app.app_context():
        db.session.add_all(
            [
                AgentDailyStat(
                    agent_id=agent_id, day=today() - timedelta(days=1), contacts_handled=40,
                    handle_seconds=12_000, logged_in_seconds=18_000, csat_responses=10,
                    csat_positive=9, nps_responses=10, nps_promoters=6, nps_detractors=1,
                    fcr_eligible=20, fcr_resolved=16,
                ),
                AgentDailyStat(
                    agent_id=agent_id, day=today() - timedelta(days=2), logged_in_seconds=3_600
                ),
            ]
        )  # fmt: skip
        db.session.commit()


# Default targets: AHT 360 lower → 360/300 = 1.2; 8 per hour → 6.667/8 = 0.8333;
# CSAT 85 → 90/85 = 1.0588; NPS 30 → 50/30 = 1.667 → capped 1.25; FCR 75 → 80/75 = 1.0667.
# KPI index = 100 × (1.2 + 0.8333 + 1.0588 + 1.25 + 1.0667) / 5 = 108.18
EXPECTED_INDEX = 100 * (360 / 300 + (40 / 6) / 8 + 90 / 85 + 1.25 + 80 / 75) / 5
# The composite's K (DESIGN.md) counts each attainment up to 1.0 only: AHT 1.2 → 1,
# per hour 0.8333, CSAT 1.0588 → 1, NPS 1.667 → 1, FCR 1.0667 → 1 = 96.67, not 108.18.
EXPECTED_K = 100 * (1 + (40 / 6) / 8 + 1 + 1 + 1) / 5
# (60 × 80 + 40 × 96.67) / 100 = 86.67
EXPECTED_COMPOSITE = (60 * 80 + 40 * EXPECTED_K) / 100
# QA 70, 80, 90: mean 80, s = 10, ± t(0.975, 2) × 10 / √3 = 4.3027 × 5.7735 = 24.84
# → [55.16, 100]
EXPECTED_LOW = 80 - T975[2] * 10 / math.sqrt(3)


def test_agent_picture(app: Flask, org: Organisation, scored: list[int]) -> None:
    add_recent_stats(app, org.agent_a1.id)
    with app.app_context():
        # A2 (same team): 10 contacts, 6000 s, 1 h; only for the team totals.
        db.session.add(
            AgentDailyStat(
                agent_id=org.agent_a2.id,
                day=today() - timedelta(days=1),
                contacts_handled=10,
                handle_seconds=6_000,
                logged_in_seconds=3_600,
            )
        )
        db.session.commit()
        agent = db.session.get(User, org.agent_a1.id)
        picture = agent_performance(
            ReportFilters(today() - timedelta(days=30), today(), agent_id=agent.id)
        )
        report = picture.public_figures()
    assert set(report) == REPORT_KEYS
    assert (picture.qa.mean, picture.qa.n) == (80.0, 3)
    assert picture.qa.low == pytest.approx(EXPECTED_LOW)
    assert picture.qa.high == 100
    assert picture.totals.contacts_handled == 40
    # team A: 50 contacts, 18000 s → 360 s; 50 / 7 h
    assert picture.team_totals.aht_seconds == 360.0
    assert picture.team_totals.contacts_per_hour == pytest.approx(50 / 7)
    assert picture.targets == DEFAULT_TARGETS
    assert picture.attainments == pytest.approx(
        {
            "aht_seconds": 1.2,
            "contacts_per_hour": (40 / 6) / 8,
            "csat_pct": 90 / 85,
            "nps": 1.25,
            "fcr_pct": 80 / 75,
        }
    )
    # QA 80 is not below the pass mark (80) and nothing auto-failed: no flag
    assert report.pop("composite_flags") == []
    assert report == pytest.approx(
        {
            "qa_score": 80.0,
            "qa_n": 3,
            "qa_ci_low": EXPECTED_LOW,
            "qa_ci_high": 100,
            "aht_seconds": 300.0,
            "contacts_per_hour": 40 / 6,
            "csat_pct": 90.0,
            "nps": 50.0,
            "fcr_pct": 80.0,
            "kpi_index": EXPECTED_INDEX,
            "composite": EXPECTED_COMPOSITE,
        }
    )


def test_agent_picture_uses_the_team_targets_and_the_configured_weights(
    app: Flask, org: Organisation, scored: list[int]
) -> None:
    add_recent_stats(app, org.agent_a1.id)
    app.config.update(COMPOSITE_QA_WEIGHT=1, COMPOSITE_KPI_WEIGHT=1)
    with app.app_context():
        manager = db.session.get(User, org.manager.id)
        # only AHT counts: weight 0 drops the others; team target 240 → 240/300 = 0.8
        for kpi in KPIS:
            save_target(org.team_a.id, kpi.key, 1, kpi.direction, 0.0, manager)
        save_target(org.team_a.id, "aht_seconds", 240, "lower", 1.0, manager)
        db.session.commit()
        picture = agent_performance(
            ReportFilters(today() - timedelta(days=30), today(), agent_id=org.agent_a1.id)
        )
    assert picture.attainments["aht_seconds"] == pytest.approx(0.8)
    assert picture.kpi_index == pytest.approx(80.0)
    # (1 × 80 + 1 × 80) / 2 = 80
    assert picture.composite == pytest.approx(80.0)


def test_no_composite_below_the_minimum_evaluations(
    app: Flask, org: Organisation, scored: list[int]
) -> None:
    add_recent_stats(app, org.agent_a1.id)
    app.config["MIN_EVALUATIONS"] = 4
    with app.app_context():
        picture = agent_performance(
            ReportFilters(today() - timedelta(days=30), today(), agent_id=org.agent_a1.id)
        )
    # both parts are still shown; only the composite is withheld
    assert (picture.qa.n, picture.min_evaluations) == (3, 4)
    assert picture.kpi_index == pytest.approx(EXPECTED_INDEX)
    assert picture.composite is None


def test_agent_picture_without_any_data_is_all_null(app: Flask, org: Organisation) -> None:
    with app.app_context():
        picture = agent_performance(
            ReportFilters(today() - timedelta(days=30), today(), agent_id=org.agent_a2.id)
        )
    assert picture.public_figures() == {
        "qa_score": None, "qa_n": 0, "qa_ci_low": None, "qa_ci_high": None,
        "aht_seconds": None, "contacts_per_hour": None, "csat_pct": None, "nps": None,
        "fcr_pct": None, "kpi_index": None, "composite": None, "composite_flags": [],
    }  # fmt: skip
    assert picture.attainments == dict.fromkeys((kpi.key for kpi in KPIS), None)


def test_agent_picture_with_contacts_but_no_surveys(
    app: Flask, org: Organisation, scored: list[int]
) -> None:
    with app.app_context():
        # 20 contacts, 7200 s (AHT 360), 4 h → 5 per hour; no surveys, no FCR
        db.session.add(
            AgentDailyStat(
                agent_id=org.agent_a1.id,
                day=today(),
                contacts_handled=20,
                handle_seconds=7_200,
                logged_in_seconds=14_400,
            )
        )
        db.session.commit()
        report = agent_performance(
            ReportFilters(today() - timedelta(days=30), today(), agent_id=org.agent_a1.id)
        ).public_figures()
    assert (report["csat_pct"], report["nps"], report["fcr_pct"]) == (None, None, None)
    # index over AHT (360/360 = 1) and per hour (5/8 = 0.625) only: 100 × 1.625 / 2 = 81.25
    assert report["kpi_index"] == pytest.approx(81.25)
    assert report["composite"] == pytest.approx((60 * 80 + 40 * 81.25) / 100)


def test_qa_average_and_months(app: Flask, org: Organisation, scored: list[int]) -> None:
    with app.app_context():
        agent = db.session.get(User, org.agent_a1.id)
        # The QA average of agent_performance is that of the scores 70, 80 and 90.
        scores = agent_performance(
            ReportFilters(today() - timedelta(days=1), today(), agent_id=agent.id)
        ).qa
        before = agent_performance(
            ReportFilters(
                today() - timedelta(days=60), today() - timedelta(days=1), agent_id=agent.id
            )
        ).qa
        team_scores = [
            row.qa
            for row in performance_by_agent(ReportFilters(today(), today(), team_id=org.team_a.id))
        ]
        months = monthly_qa(agent, 3, today(), statuses=SCORED)
    # the draft is left out
    assert [scores] == team_scores == [mean_with_interval([70.0, 80.0, 90.0])]
    assert before.n == 0
    assert [start.day for start, _ in months] == [1, 1, 1]
    assert months[-1][0] == today().replace(day=1)
    assert [result.n for _, result in months] == [0, 0, 3]
    assert months[-1][1].mean == 80.0


def test_criterion_breakdown(app: Flask, org: Organisation, records: dict[str, int]) -> None:
    # Each of A1's three scored evaluations: greeting yes (r = 1), empathy 4 of 1..5 (r = 0.75)
    with app.app_context():
        rows = criterion_breakdown(
            db.session.get(User, org.agent_a1.id),
            today() - timedelta(days=1),
            today(),
            statuses=SCORED,
        )
        nobody = criterion_breakdown(
            db.session.get(User, org.agent_a2.id),
            today() - timedelta(days=1),
            today(),
            statuses=SCORED,
        )
    assert [(r.key, r.label, r.agent_n, r.team_n) for r in rows] == [
        ("empathy", "Empathy", 3, 3),
        ("greeting", "Greeting", 3, 3),
    ]
    assert [m for r in rows for m in (r.agent_mean, r.team_mean)] == pytest.approx(
        [0.75, 0.75, 1, 1]
    )
    assert nobody == []


def report_agent(runner: Any, *args: str) -> Any:
    return runner.invoke(args=["report", "agent", *args])


def test_report_agent_prints_json(
    app: Flask, org: Organisation, scored: list[int], runner: Any
) -> None:
    add_recent_stats(app, org.agent_a1.id)
    first, last = (today() - timedelta(days=30)).isoformat(), today().isoformat()
    result = report_agent(runner, "A1@Example.TEST", "--from", first, "--to", last)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == REPORT_KEYS | {"agent", "from", "to"}
    assert (data["agent"], data["from"], data["to"]) == ("a1@example.test", first, last)
    assert data.pop("composite_flags") == []
    assert data == pytest.approx(
        {
            **data,
            "qa_score": 80.0,
            "qa_n": 3,
            "qa_ci_low": EXPECTED_LOW,
            "qa_ci_high": 100,
            "aht_seconds": 300.0,
            "contacts_per_hour": 40 / 6,
            "csat_pct": 90.0,
            "nps": 50.0,
            "fcr_pct": 80.0,
            "kpi_index": EXPECTED_INDEX,
            "composite": EXPECTED_COMPOSITE,
        }
    )


def test_report_agent_prints_null_where_there_is_no_data(
    app: Flask, org: Organisation, runner: Any
) -> None:
    add_recent_stats(app, org.agent_a2.id)
    # only the zero-contact day (two days ago) is in the period: no KPI but contacts per hour
    day_ = (today() - timedelta(days=2)).isoformat()
    result = report_agent(
        runner, "a2@example.test", "--from", day_, "--to", day_, "--format", "json"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {key: data[key] for key in REPORT_KEYS} == {
        "qa_score": None, "qa_n": 0, "qa_ci_low": None, "qa_ci_high": None,
        "aht_seconds": None, "contacts_per_hour": 0.0, "csat_pct": None, "nps": None,
        "fcr_pct": None,
        # per hour 0 / 8 = attainment 0 → index 0; no QA → no composite
        "kpi_index": 0.0, "composite": None, "composite_flags": [],
    }  # fmt: skip
    assert '"csat_pct": null' in result.stdout


def test_report_agent_defaults_to_the_last_90_days(
    app: Flask, org: Organisation, runner: Any
) -> None:
    result = report_agent(runner, "a2@example.test")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    last = date.fromisoformat(data["to"])
    assert last == date.today()
    assert last - date.fromisoformat(data["from"]) == timedelta(days=89)
    assert data["qa_n"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nobody@example.test"], "No agent with the e-mail nobody@example.test."),
        (["sup.a@example.test"], "No agent with the e-mail sup.a@example.test."),
        (
            ["a1@example.test", "--from", "2026-11-05", "--to", "2026-11-01"],
            "--from is after --to.",
        ),
    ],
)
def test_report_agent_refuses(
    app: Flask, org: Organisation, runner: Any, args: list[str], message: str
) -> None:
    result = report_agent(runner, *args)
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stdout == ""


def test_report_agent_cuts_qa_periods_in_the_centres_time_zone(
    app: Flask, org: Organisation, scored: list[int]
) -> None:
    # With QA_TIMEZONE=Europe/Berlin, an evaluation submitted 2026-11-30 23:30 UTC was
    # submitted on 1 December locally: the December figures count it, November's do not,
    # just as the imported agent-days are the centre's local days.
    with app.app_context():
        for evaluation_id in scored:
            db.session.get(Evaluation, evaluation_id).submitted_at = datetime(
                2026, 11, 30, 23, 30, tzinfo=UTC
            )
        db.session.commit()
    berlin = create_app(
        make_config(app.config["SQLALCHEMY_DATABASE_URI"], BABEL_DEFAULT_TIMEZONE="Europe/Berlin")
    )
    try:
        runner = berlin.test_cli_runner()
        december = report_agent(
            runner, "a1@example.test", "--from", "2026-12-01", "--to", "2026-12-31"
        )
        november = report_agent(
            runner, "a1@example.test", "--from", "2026-11-01", "--to", "2026-11-30"
        )
    finally:
        with berlin.app_context():
            db.session.remove()
            db.engine.dispose()
    assert december.exit_code == november.exit_code == 0, december.output + november.output
    assert (json.loads(december.stdout)["qa_n"], json.loads(november.stdout)["qa_n"]) == (3, 0)
