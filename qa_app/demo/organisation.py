"""The demo organisation: deterministic, idempotent, with fixed logins.

Later features extend `seed_demo` with scorecards, evaluations and statistics.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import sqlalchemy as sa

from qa_app.auth.models import Role, User
from qa_app.auth.passwords import hash_password
from qa_app.extensions import db
from qa_app.teams.models import Team

DEMO_DOMAIN = "demo.test"
TEAM_NAMES = ("Customer Service", "Technical Support", "Billing & Payments")
AGENTS_PER_TEAM = 10
# Workflows the demo shows: this team's evaluations wait for a supervisor to release them,
# and this team has a second supervisor, who decides disputes about the first one's scoring.
MANUAL_RELEASE_TEAM = "Technical Support"
TWO_SUPERVISORS_TEAM = "Customer Service"

# Contact centres we aim at work in English, German, Polish, Finnish and Norwegian.
FIRST_NAMES = (
    "Anna",
    "Lukas",
    "Sophie",
    "Jonas",
    "Marta",
    "Piotr",
    "Aino",
    "Eero",
    "Ingrid",
    "Lars",
    "Emily",
    "James",
    "Lea",
    "Felix",
    "Zofia",
    "Kacper",
    "Helmi",
    "Ville",
    "Sigrid",
    "Magnus",
    "Olivia",
    "Daniel",
    "Hannah",
    "Tobias",
    "Agnieszka",
    "Tomasz",
    "Venla",
    "Juho",
    "Nora",
    "Henrik",
    "Grace",
    "Samuel",
    "Mia",
    "Paul",
    "Karolina",
    "Michał",
    "Emmi",
    "Mikko",
    "Ida",
    "Sander",
)
LAST_NAMES = (
    "Schneider",
    "Müller",
    "Weber",
    "Fischer",
    "Nowak",
    "Kowalski",
    "Wiśniewska",
    "Wójcik",
    "Korhonen",
    "Virtanen",
    "Mäkinen",
    "Nieminen",
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Smith",
    "Taylor",
    "Brown",
    "Wilson",
    "Becker",
    "Hoffmann",
    "Kamińska",
    "Lewandowski",
    "Hämäläinen",
    "Laine",
    "Berg",
    "Haugen",
    "Walker",
    "Clarke",
)


@dataclass(frozen=True)
class DemoLogin:
    """A demo account to print for the person trying the app."""

    email: str
    role: str
    name: str
    team: str | None


@dataclass
class DemoSummary:
    """What `seed_demo` did: how many rows it created, and the logins that exist."""

    created_users: int = 0
    created_teams: int = 0
    logins: list[DemoLogin] = field(default_factory=list)


def demo_email(role: Role, number: int) -> str:
    """The demo address: `agent@demo.test` for the first of a role, then `agent02@…`."""
    return (
        f"{role.value}@{DEMO_DOMAIN}" if number == 1 else f"{role.value}{number:02d}@{DEMO_DOMAIN}"
    )


def _people(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        if name not in names:
            names.append(name)
    return names


def seed_demo(seed: int = 1, password: str = "demo1234") -> DemoSummary:  # noqa: S107
    """Create the demo organisation where it is missing; never change existing rows.

    1 admin, 1 manager, 4 supervisors (one per team, and a second one in
    TWO_SUPERVISORS_TEAM), 3 teams (MANUAL_RELEASE_TEAM releases by hand) and 30 agents
    (10 per team).
    """
    rng = random.Random(seed)
    summary = DemoSummary()
    # Every demo account shares one password, so hash it once (scrypt is deliberately slow).
    password_hash = hash_password(password)
    # admin, manager, a supervisor per team and the second one, the agents
    names = iter(_people(rng, 2 + len(TEAM_NAMES) + 1 + len(TEAM_NAMES) * AGENTS_PER_TEAM))

    existing = {
        user.email: user
        for user in db.session.scalars(sa.select(User).where(User.email.like(f"%@{DEMO_DOMAIN}")))
    }
    teams = {
        team.name: team
        for team in db.session.scalars(sa.select(Team).where(Team.name.in_(TEAM_NAMES)))
    }

    def person(role: Role, number: int, team: Team | None = None) -> User:
        email = demo_email(role, number)
        name = next(names)
        user = existing.get(email)
        if user is None:
            user = User(
                email=email,
                display_name=name,
                role=role.value,
                password_hash=password_hash,
                team=team if role == Role.AGENT else None,
                external_id=f"{10000 + number}" if role == Role.AGENT else None,
            )
            db.session.add(user)
            existing[email] = user
            summary.created_users += 1
        summary.logins.append(
            DemoLogin(email, role.value, user.display_name, team.name if team else None)
        )
        return user

    person(Role.ADMIN, 1)
    person(Role.MANAGER, 1)
    for index, team_name in enumerate(TEAM_NAMES):
        team = teams.get(team_name)
        if team is None:
            team = Team(
                name=team_name,
                release_mode="manual" if team_name == MANUAL_RELEASE_TEAM else "immediate",
            )
            db.session.add(team)
            summary.created_teams += 1
        supervisor = person(Role.SUPERVISOR, index + 1, team)
        if supervisor not in team.supervisors:
            team.supervisors.append(supervisor)
        for offset in range(AGENTS_PER_TEAM):
            person(Role.AGENT, index * AGENTS_PER_TEAM + offset + 1, team)
        teams[team_name] = team
    # Made last, so that everyone else keeps the name an earlier seed gave them.
    second = person(Role.SUPERVISOR, len(TEAM_NAMES) + 1, teams[TWO_SUPERVISORS_TEAM])
    db.session.flush()  # users compare by id (Flask-Login): new ones all look alike as None
    if second not in teams[TWO_SUPERVISORS_TEAM].supervisors:
        teams[TWO_SUPERVISORS_TEAM].supervisors.append(second)
    db.session.flush()
    return summary


def has_users() -> bool:
    """True when the database holds any user (so a first start has happened)."""
    return db.session.scalar(sa.select(User.id).limit(1)) is not None
