"""Which agent an import's agent value names, for every way in (file, CLI, API).

For a file of source S a value matches, in this order: (a) an agent's id in S
(`AgentIdentity`), (b) an agent's `external_id`, the id that holds in any source, (c) an
agent's e-mail (in any case), (d) an agent's exact display name when no other of the
importer's agents has it: reported as a warning, never silently. A name two agents share
is refused with its own message. Only the agents the importer may see
(`scope.agents_visible_to`) are ever looked at, so the answer for a value is the same
whether nobody or someone out of sight holds it (issue 17).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext

from qa_app.auth.models import AgentIdentity, User
from qa_app.extensions import db
from qa_app.teams.scope import UNKNOWN_AGENT, agents_visible_to

LOOKUP_CHUNK = 5000


class MatchedBy(StrEnum):
    """How an import's agent value was matched to an agent."""

    SOURCE_ID = "source id"
    EXTERNAL_ID = "external id"
    EMAIL = "e-mail"
    NAME = "name"


@dataclass(frozen=True)
class NameMatch:
    """A value matched only by an agent's display name: told in the import's result."""

    value: str
    agent_id: int
    agent_name: str
    source: str

    def __str__(self) -> str:
        return _(
            "matched '%(value)s' by name; link their %(source)s id to be sure (agent %(agent)s)",
            value=self.value,
            source=self.source,
            agent=self.agent_id,
        )


def shared_name(count: int, name: str, source: str) -> str:
    """Why a display name several of the importer's agents have matches none of them."""
    return ngettext(
        "%(num)d of your agents is called '%(name)s'; add their %(source)s ids",
        "%(num)d of your agents are called '%(name)s'; add their %(source)s ids",
        count,
        name=name,
        source=source,
    )


class AgentMatches(dict[str, User]):
    """The agents an import's values name (the value as given, stripped → agent), how each
    was matched (`how`), and why a value naming several agents was refused (`refused`)."""

    def __init__(self, source: str) -> None:
        super().__init__()
        self.source = source
        self.how: dict[str, MatchedBy] = {}
        self.refused: dict[str, str] = {}
        self._unknown: str | None = None

    def add(self, value: str, agent: User, how: MatchedBy) -> None:
        """Record that `value` names `agent`, matched `how`."""
        self[value] = agent
        self.how[value] = how

    def merge(self, other: AgentMatches) -> None:
        """Take in the matches of another look-up of the same source (a later chunk)."""
        self.update(other)
        self.how.update(other.how)
        self.refused.update(other.refused)

    def reason(self, value: str) -> str:
        """Why `value` names none of the importer's agents."""
        if value in self.refused:
            return self.refused[value]
        if self._unknown is None:  # translated once: a file of another team's agents
            self._unknown = str(UNKNOWN_AGENT)  # is unknown on every row
        return self._unknown

    def name_matches(self) -> list[NameMatch]:
        """The values matched by display name only, in the order of the values."""
        return [
            NameMatch(value, self[value].id, self[value].display_name, self.source)
            for value, how in sorted(self.how.items())
            if how == MatchedBy.NAME
        ]


def refusal(agents: object, value: str) -> str:
    """Why `value` names no agent in `agents` (an `AgentMatches`, or a plain mapping)."""
    return agents.reason(value) if isinstance(agents, AgentMatches) else str(UNKNOWN_AGENT)


def match_agents(keys: Iterable[object], user: User, source: str) -> AgentMatches:
    """The agents `user` may see that the values `keys` name in a file of `source`."""
    matches = AgentMatches(source)
    values = sorted({text for key in keys if key is not None and (text := str(key).strip())})
    for start in range(0, len(values), LOOKUP_CHUNK):
        _match_chunk(values[start : start + LOOKUP_CHUNK], user, matches)
    return matches


def _match_chunk(values: list[str], user: User, matches: AgentMatches) -> None:
    visible = agents_visible_to(user).order_by(None)
    remaining = set(values)
    by_identity = visible.join(AgentIdentity, AgentIdentity.user_id == User.id).where(
        AgentIdentity.source == matches.source.strip().lower(),
        AgentIdentity.external_id.in_(values),
    )
    rows = db.session.execute(by_identity.add_columns(AgentIdentity.external_id))
    for agent, external_id in rows:
        matches.add(external_id, agent, MatchedBy.SOURCE_ID)
        remaining.discard(external_id)
    if remaining:
        query = visible.where(User.external_id.in_(sorted(remaining)))
        for agent in db.session.scalars(query):
            matches.add(agent.external_id or "", agent, MatchedBy.EXTERNAL_ID)
            remaining.discard(agent.external_id or "")
    if remaining:
        by_email: dict[str, list[str]] = {}
        for value in remaining:
            by_email.setdefault(value.lower(), []).append(value)
        for agent in db.session.scalars(visible.where(User.email.in_(sorted(by_email)))):
            for value in by_email[agent.email]:
                matches.add(value, agent, MatchedBy.EMAIL)
                remaining.discard(value)
    if remaining:
        named: dict[str, list[User]] = {}
        for agent in db.session.scalars(visible.where(User.display_name.in_(sorted(remaining)))):
            named.setdefault(agent.display_name, []).append(agent)
        for name, agents in named.items():
            if len(agents) == 1:
                matches.add(name, agents[0], MatchedBy.NAME)
            else:
                matches.refused[name] = shared_name(len(agents), name, matches.source)


def identity_sources(user_ids: Iterable[int]) -> dict[int, list[AgentIdentity]]:
    """Each user's identities, by source name."""
    ids = sorted(set(user_ids))
    found: dict[int, list[AgentIdentity]] = {user_id: [] for user_id in ids}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        query = (
            sa.select(AgentIdentity)
            .where(AgentIdentity.user_id.in_(ids[start : start + LOOKUP_CHUNK]))
            .order_by(AgentIdentity.source)
        )
        for identity in db.session.scalars(query):
            found[identity.user_id].append(identity)
    return found
