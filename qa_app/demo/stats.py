"""Six months of demo daily statistics: raw totals per agent and working day (DESIGN.md, KPI math).

Deterministic for a seed and a day, and loosely tied to the QA story in `demo_activity`: an
agent weak on empathy gets lower CSAT and NPS, weak on resolution lower FCR and more
transfers, weak on de-escalation a longer handle time. A few centre-wide trap days (an outage
with no contacts, a survey-tool failure with no responses) keep the KPI pages honest.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa

from qa_app.auth.models import Role, User
from qa_app.demo.activity import DEMO_SOURCE, MONTHS, WEAKNESSES
from qa_app.demo.organisation import DEMO_DOMAIN
from qa_app.extensions import db
from qa_app.stats.models import ALL_CHANNELS, AgentDailyStat
from qa_app.teams.models import Team

DAYS = MONTHS * 30
CHUNK = 1000
ABSENCE_RATE = 0.05


@dataclass(frozen=True)
class StatProfile:
    """An agent's typical day: pace, handle time, and the rates customers report."""

    contacts_per_hour: float
    aht_seconds: float
    csat_rate: float
    promoter_rate: float
    detractor_share: float  # of the non-promoters, so promoters + detractors ≤ responses
    fcr_rate: float
    transfer_rate: float


def demo_weaknesses() -> dict[int, str | None]:
    """Each team agent's QA weakness, derived exactly as `demo_activity._profiles` does."""
    # Same order as seed_activity (teams by id, then agents by name): the weakness follows
    # the index in that list, so every agent in a team counts, demo or not.
    # Sorted in Python, as seed_activity sorts them: not by the database's collation.
    rows = db.session.execute(
        sa.select(Team.id, User.display_name, User.id)
        .join(Team, User.team_id == Team.id)
        .where(User.role == Role.AGENT, User.active.is_(True))
    ).all()
    ids = [agent_id for _team, _name, agent_id in sorted(rows)]
    names = list(WEAKNESSES)
    return {
        agent_id: names[index % len(names)] if index % 3 != 2 else None
        for index, agent_id in enumerate(ids)
    }


def _profile(weakness: str | None, rng: random.Random) -> StatProfile:
    """A believable profile, pulled down where the agent's QA weakness would show."""
    aht = rng.uniform(370, 440) if weakness == "de-escalation" else rng.uniform(270, 400)
    # Pace follows handle time (nobody takes ten 8-minute contacts an hour): 70-88 % occupancy.
    pace = min(10.0, max(7.2, rng.uniform(0.70, 0.88) * 3600 / aht))
    cold = weakness == "empathy"
    unresolved = weakness == "resolution"
    return StatProfile(
        contacts_per_hour=pace,
        aht_seconds=aht,
        csat_rate=rng.uniform(0.68, 0.78) if cold else rng.uniform(0.82, 0.93),
        promoter_rate=rng.uniform(0.30, 0.42) if cold else rng.uniform(0.48, 0.62),
        detractor_share=rng.uniform(0.28, 0.40) if cold else rng.uniform(0.10, 0.25),
        fcr_rate=rng.uniform(0.58, 0.68) if unresolved else rng.uniform(0.72, 0.86),
        transfer_rate=rng.uniform(0.05, 0.08) if unresolved else rng.uniform(0.015, 0.04),
    )


def _binomial(rng: random.Random, n: int, p: float) -> int:
    """Successes out of n (normal approximation; random.binomialvariate needs Python 3.12)."""
    draw = rng.gauss(n * p, (n * p * (1 - p)) ** 0.5)
    return min(n, max(0, round(draw)))


def _day(profile: StatProfile, rng: random.Random, trap: str | None) -> dict[str, int]:
    """One day's totals; on an outage day the agent is logged in but handles nothing."""
    logged_in = round(min(8 * 3600, max(7 * 3600, rng.gauss(7.5 * 3600, 900))))
    aht = profile.aht_seconds * rng.gauss(1, 0.06)
    contacts = 0
    if trap != "outage":
        contacts = max(0, round(logged_in / 3600 * profile.contacts_per_hour * rng.gauss(1, 0.06)))
        # Handle time can never exceed the time logged in, whatever the noise says.
        contacts = min(contacts, int(0.97 * logged_in / aht))
    handle = round(contacts * aht)
    hold = round(handle * rng.uniform(0.08, 0.12))
    acw = round(handle * rng.uniform(0.13, 0.17))
    surveyed = trap != "no_survey"
    csat = round(contacts * rng.uniform(0.15, 0.25)) if surveyed else 0
    nps = _binomial(rng, contacts, 0.10) if surveyed else 0
    promoters = _binomial(rng, nps, profile.promoter_rate)
    eligible = _binomial(rng, contacts, 0.6)
    return {
        "contacts_handled": contacts,
        "handle_seconds": handle,
        "talk_seconds": handle - hold - acw,
        "hold_seconds": hold,
        "acw_seconds": acw,
        "logged_in_seconds": logged_in,
        "csat_responses": csat,
        "csat_positive": _binomial(rng, csat, profile.csat_rate),
        "nps_responses": nps,
        "nps_promoters": promoters,
        "nps_detractors": _binomial(rng, nps - promoters, profile.detractor_share),
        "fcr_eligible": eligible,
        "fcr_resolved": _binomial(rng, eligible, profile.fcr_rate),
        "transfers": _binomial(rng, contacts, profile.transfer_rate),
    }


def seed_stats(seed: int, today: date) -> int:
    """Create daily stats for every active demo agent over 180 days up to yesterday."""
    if db.session.scalar(
        sa.select(AgentDailyStat.id).where(AgentDailyStat.source == DEMO_SOURCE).limit(1)
    ):
        return 0
    agents = db.session.execute(
        sa.select(User.id, User.email)
        .where(User.role == Role.AGENT, User.active.is_(True))
        .where(User.email.like(f"%@{DEMO_DOMAIN}"))
        .order_by(User.email)
    ).all()
    weaknesses = demo_weaknesses()
    start = today - timedelta(days=DAYS)
    days = [d for d in (start + timedelta(days=n) for n in range(DAYS)) if d.weekday() < 5]
    # Outages and survey failures hit the whole centre on the same days.
    picked = random.Random(f"traps:{seed}:{today}").sample(days, 5)  # noqa: S311
    traps = dict.fromkeys(picked[:2], "outage") | dict.fromkeys(picked[2:], "no_survey")
    # Days already imported win: demo figures would add to theirs (KPIs sum every source).
    query = sa.select(AgentDailyStat.agent_id, AgentDailyStat.day).where(
        AgentDailyStat.channel == ALL_CHANNELS, AgentDailyStat.day >= start
    )
    taken = {(agent_id, day) for agent_id, day in db.session.execute(query)}
    fixed = {"channel": ALL_CHANNELS, "source": DEMO_SOURCE}
    rows: list[dict[str, Any]] = []
    for agent_id, email in agents:
        # One generator per agent, keyed by e-mail: adding an agent changes nobody else's days.
        rng = random.Random(f"stats:{seed}:{today}:{email}")  # noqa: S311
        profile = _profile(weaknesses.get(agent_id), rng)
        for day in days:
            if rng.random() < ABSENCE_RATE or (agent_id, day) in taken:
                continue
            totals = _day(profile, rng, traps.get(day))
            # "Imported" late the same evening: the same seed gives identical rows, and
            # yesterday's rows are never imported after now (the next morning could be).
            at = datetime.combine(day, time(23), UTC)
            rows.append({**fixed, "agent_id": agent_id, "day": day, "imported_at": at, **totals})
    for offset in range(0, len(rows), CHUNK):
        db.session.execute(sa.insert(AgentDailyStat), rows[offset : offset + CHUNK])
    db.session.flush()
    return len(rows)
