"""Demo daily statistics: `qa_app.demo.stats.seed_stats` on top of the demo organisation."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from statistics import mean
from typing import Any

import pytest
import sqlalchemy as sa

from qa_app.auth.models import Role, User
from qa_app.demo.activity import _profiles
from qa_app.demo.organisation import seed_demo
from qa_app.demo.stats import DAYS, demo_weaknesses, seed_stats
from qa_app.extensions import db
from qa_app.stats.kpis import KpiTotals, kpi_totals
from qa_app.stats.models import TOTAL_COLUMNS, AgentDailyStat
from qa_app.teams.models import Team

TODAY = date(2026, 11, 23)
START = TODAY - timedelta(days=DAYS)
YESTERDAY = TODAY - timedelta(days=1)
WORKING_DAYS = sum((START + timedelta(days=n)).weekday() < 5 for n in range(DAYS))


def demo_agents() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role == Role.AGENT, User.email.like("%@demo.test"))
            .order_by(User.email)
        )
    )


def all_rows() -> list[dict[str, Any]]:
    """Every stored row as plain values, keyed by agent e-mail (ids differ between runs)."""
    query = (
        sa.select(User.email, AgentDailyStat)
        .join(User, User.id == AgentDailyStat.agent_id)
        .order_by(User.email, AgentDailyStat.day)
    )
    return [
        {
            "email": email,
            "day": row.day,
            "channel": row.channel,
            "source": row.source,
            "imported_at": row.imported_at,
            **{name: getattr(row, name) for name in TOTAL_COLUMNS},
        }
        for email, row in db.session.execute(query)
    ]


@pytest.fixture
def seeded(app_context: None) -> int:
    """The demo organisation with six months of statistics; returns the rows created."""
    seed_demo(seed=1)
    created = seed_stats(1, TODAY)
    db.session.commit()
    return created


def test_rows_cover_working_days_only(seeded: int) -> None:
    rows = all_rows()
    assert len(rows) == seeded > 0
    assert all(row["day"].weekday() < 5 for row in rows)
    assert all(START <= row["day"] <= YESTERDAY for row in rows)
    assert {(row["channel"], row["source"]) for row in rows} == {("all", "demo")}
    per_agent: dict[str, int] = defaultdict(int)
    for row in rows:
        per_agent[row["email"]] += 1
    # Everyone is present on most working days, absent on roughly one in twenty.
    assert set(per_agent) == {agent.email for agent in demo_agents()}
    assert all(0.85 * WORKING_DAYS <= n < WORKING_DAYS for n in per_agent.values())
    assert 0.02 < 1 - len(rows) / (WORKING_DAYS * len(per_agent)) < 0.08


def test_totals_are_consistent(seeded: int) -> None:
    for row in all_rows():
        assert all(row[name] >= 0 for name in TOTAL_COLUMNS), row
        assert (
            row["talk_seconds"] + row["hold_seconds"] + row["acw_seconds"]
            == (row["handle_seconds"])
        )
        assert row["handle_seconds"] <= row["logged_in_seconds"], row
        assert 7 * 3600 <= row["logged_in_seconds"] <= 8 * 3600, row
        assert row["csat_positive"] <= row["csat_responses"] <= row["contacts_handled"], row
        assert row["nps_promoters"] + row["nps_detractors"] <= row["nps_responses"], row
        assert row["nps_responses"] <= row["contacts_handled"], row
        assert row["fcr_resolved"] <= row["fcr_eligible"] <= row["contacts_handled"], row
        assert row["transfers"] <= row["contacts_handled"], row


def agent_totals() -> dict[int, KpiTotals]:
    return {agent.id: kpi_totals([agent.id], START, YESTERDAY) for agent in demo_agents()}


def test_kpis_per_agent_are_plausible(seeded: int) -> None:
    totals = agent_totals()
    assert len(totals) == 30
    for agent_id, kpis in totals.items():
        assert 250 <= kpis.aht_seconds <= 520, (agent_id, kpis)
        assert 6.5 <= kpis.contacts_per_hour <= 10.5, (agent_id, kpis)
        assert 60 <= kpis.csat_pct <= 96, (agent_id, kpis)
        assert -20 <= kpis.nps <= 65, (agent_id, kpis)
        assert 50 <= kpis.fcr_pct <= 90, (agent_id, kpis)
        assert 0.005 <= kpis.transfers / kpis.contacts_handled <= 0.1, (agent_id, kpis)
        # Surveys reach a fraction of customers: CSAT ~20 %, NPS ~10 %, FCR-eligible ~60 %.
        assert 0.15 <= kpis.csat_responses / kpis.contacts_handled <= 0.25
        assert 0.07 <= kpis.nps_responses / kpis.contacts_handled <= 0.13
        assert 0.55 <= kpis.fcr_eligible / kpis.contacts_handled <= 0.65


def test_weaknesses_match_the_qa_profiles(seeded: int) -> None:
    # The agent list exactly as seed_activity builds it; the rng only decides skill.
    teams = db.session.scalars(sa.select(Team).order_by(Team.id))
    agents = [a for t in teams for a in t.agents if a.active and a.role == Role.AGENT]
    expected = {aid: p.weakness for aid, p in _profiles(agents, random.Random(0)).items()}
    assert demo_weaknesses() == expected
    assert set(expected.values()) == {
        None,
        "empathy",
        "de-escalation",
        "resolution",
        "documentation",
    }


def test_weak_agents_show_it_in_their_kpis(seeded: int) -> None:
    totals = agent_totals()
    weaknesses = demo_weaknesses()

    def average(kpi: str, weak: bool, weakness: str) -> float:
        values = [
            totals[agent_id].kpi(kpi)
            for agent_id, their in weaknesses.items()
            if (their == weakness) == weak
        ]
        assert values
        return mean(values)

    assert average("csat_pct", True, "empathy") < average("csat_pct", False, "empathy")
    assert average("nps", True, "empathy") < average("nps", False, "empathy")
    assert average("fcr_pct", True, "resolution") < average("fcr_pct", False, "resolution")
    assert average("aht_seconds", True, "de-escalation") > average(
        "aht_seconds", False, "de-escalation"
    )


def test_seeding_twice_adds_nothing(seeded: int) -> None:
    assert seed_stats(1, TODAY) == 0
    assert seed_stats(2, TODAY + timedelta(days=7)) == 0
    assert db.session.scalar(sa.select(sa.func.count(AgentDailyStat.id))) == seeded


def test_same_seed_and_day_give_identical_rows(seeded: int) -> None:
    first = all_rows()
    db.session.execute(sa.delete(AgentDailyStat))
    assert seed_stats(1, TODAY) == seeded
    assert all_rows() == first
    db.session.execute(sa.delete(AgentDailyStat))
    seed_stats(2, TODAY)
    assert all_rows() != first


def test_trap_days_exist(seeded: int) -> None:
    rows = all_rows()
    outages = {r["day"] for r in rows if r["contacts_handled"] == 0}
    assert outages
    for day in outages:
        # An outage hits everyone: logged in, nothing handled, and every KPI but pace is no data.
        assert all(r["logged_in_seconds"] > 0 for r in rows if r["day"] == day)
        kpis = kpi_totals([agent.id for agent in demo_agents()], day, day)
        assert kpis.contacts_per_hour == 0
        assert kpis.aht_seconds is kpis.csat_pct is kpis.nps is kpis.fcr_pct is None
    no_survey = {
        r["day"]
        for r in rows
        if r["contacts_handled"] > 0 and r["csat_responses"] == r["nps_responses"] == 0
    }
    assert no_survey
    day = min(no_survey)
    kpis = kpi_totals([agent.id for agent in demo_agents()], day, day)
    assert kpis.aht_seconds and kpis.csat_pct is None and kpis.nps is None


def test_only_active_demo_agents_and_imported_days_are_kept(app_context: None) -> None:
    seed_demo(seed=1)
    outsider = User(
        email="outsider@example.test",
        display_name="Out Sider",
        role=Role.AGENT,
        password_hash="x",
        team=db.session.scalar(sa.select(Team).order_by(Team.id).limit(1)),
    )
    db.session.add(outsider)
    leaver = db.session.scalar(sa.select(User).where(User.email == "agent30@demo.test"))
    leaver.active = False
    agent = db.session.scalar(sa.select(User).where(User.email == "agent@demo.test"))
    imported = AgentDailyStat(
        agent_id=agent.id, day=date(2026, 11, 20), contacts_handled=42, source="import"
    )
    db.session.add(imported)
    db.session.flush()

    assert seed_stats(1, TODAY) > 0
    with_rows = set(db.session.scalars(sa.select(AgentDailyStat.agent_id).distinct()))
    assert outsider.id not in with_rows
    assert leaver.id not in with_rows
    assert len(with_rows) == 29
    kept = db.session.scalars(
        sa.select(AgentDailyStat).where(
            AgentDailyStat.agent_id == agent.id, AgentDailyStat.day == date(2026, 11, 20)
        )
    ).one()
    assert (kept.source, kept.contacts_handled) == ("import", 42)
