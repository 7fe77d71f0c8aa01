"""Agents matched per source (issue 18): the source's own id, then the id for any source,
then the e-mail, then a display name no other visible agent has (a warning); a shared name
is refused; only the importer's agents are ever looked at."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import AgentIdentity, User
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.stats.importer import import_stats
from qa_app.stats.models import AgentDailyStat
from qa_app.teams.identities import MatchedBy, match_agents
from qa_app.teams.scope import UNKNOWN_AGENT
from qa_app.uploads.reader import TableError
from tests.conftest import Organisation, post_form


@pytest.fixture
def named(app: Flask, org: Organisation) -> Organisation:
    """A1 "Ann Agent" (genesys id G-1, external id X-1), A2 "Bob Agent" (external id G-1:
    another agent's genesys id), B1 "Ann Agent" too (team B), B2 "Cy Agent" whose name is
    A1's e-mail."""
    with app.app_context():
        changes = {
            "agent_a1": ("Ann Agent", "X-1"),
            "agent_a2": ("Bob Agent", "G-1"),
            "agent_b1": ("Ann Agent", None),
            "agent_b2": ("a2@example.test", None),
        }
        for key, (name, external_id) in changes.items():
            user = db.session.get_one(User, org.member(key).id)
            user.display_name, user.external_id = name, external_id
        db.session.add(AgentIdentity(user_id=org.agent_a1.id, source="genesys", external_id="G-1"))
        db.session.commit()
    return org


def _found(keys: list[str], actor: User, source: str) -> dict[str, tuple[int, str]]:
    matches = match_agents(keys, db.session.get_one(User, actor.id), source)
    return {key: (agent.id, str(matches.how[key])) for key, agent in matches.items()}


def test_the_sources_id_beats_the_id_for_any_source_beats_e_mail_beats_name(
    app_context: None, named: Organisation
) -> None:
    a1, a2, b2 = named.agent_a1.id, named.agent_a2.id, named.agent_b2.id
    # G-1 is A1's genesys id and A2's id for any source; a2@… is A2's e-mail and B2's name.
    assert _found(
        ["G-1", "X-1", "A2@Example.test", "a2@example.test"], named.manager, "genesys"
    ) == {
        "G-1": (a1, "source id"),
        "X-1": (a1, "external id"),
        "A2@Example.test": (a2, "e-mail"),
        "a2@example.test": (a2, "e-mail"),
    }
    # In another source, A1's genesys id is nobody's: A2's id for any source wins.
    assert _found(["G-1"], named.manager, "five9") == {"G-1": (a2, "external id")}
    assert _found(["G-1"], named.manager, "GENESYS ") == {"G-1": (a1, "source id")}
    # A name only B2 has matches B2, by name.
    assert _found(["Bob Agent"], named.manager, "zendesk") == {"Bob Agent": (a2, "name")}
    assert b2 not in {
        agent_id for agent_id, _how in _found(["a2@example.test"], named.manager, "x").values()
    }


def test_a_shared_name_is_refused_and_names_only_visible_agents(
    app_context: None, named: Organisation
) -> None:
    manager = db.session.get_one(User, named.manager.id)
    matches = match_agents(["Ann Agent", "Nobody"], manager, "zendesk")
    assert "Ann Agent" not in matches
    assert matches.reason("Ann Agent") == (
        "2 of your agents are called 'Ann Agent'; add their zendesk ids"
    )
    assert matches.reason("Nobody") == UNKNOWN_AGENT
    # Supervisor A sees only A1 of the two: to them the name is unique, as if B1 did not exist.
    assert _found(["Ann Agent"], named.supervisor_a, "zendesk") == {
        "Ann Agent": (named.agent_a1.id, MatchedBy.NAME.value)
    }
    # Supervisor B sees B1 only; A1's genesys id and id for any source are unknown to them.
    assert _found(["Ann Agent", "G-1", "X-1"], named.supervisor_b, "genesys") == {
        "Ann Agent": (named.agent_b1.id, "name")
    }


# Zendesk names the agent only (its "Assignee" column is a preset of another part of issue 18).
ZENDESK = "Agent,Date,Contacts handled\n{rows}"


def _stats(text: str, actor: User, source: str = "zendesk", dry_run: bool = False) -> Any:
    return import_stats(
        text.encode(),
        "export.csv",
        source=source,
        actor=db.session.get_one(User, actor.id),
        max_bytes=10**6,
        max_rows=1000,
        dry_run=dry_run,
    )


def test_a_name_only_file_matches_unique_names_with_a_warning(
    app_context: None, named: Organisation
) -> None:
    rows = "Bob Agent,2026-11-02,3\nBob Agent,2026-11-03,4\na1@example.test,2026-11-02,1\n"
    report = _stats(ZENDESK.format(rows=rows), named.manager)
    db.session.commit()
    assert [(m.value, m.agent_id, m.source) for m in report.name_matches] == [
        ("Bob Agent", named.agent_a2.id, "zendesk")
    ]
    assert str(report.name_matches[0]) == (
        f"matched 'Bob Agent' by name; link their zendesk id to be sure (agent {named.agent_a2.id})"
    )
    stored = db.session.execute(
        sa.select(AgentDailyStat.agent_id, sa.func.sum(AgentDailyStat.contacts_handled))
        .group_by(AgentDailyStat.agent_id)
        .order_by(AgentDailyStat.agent_id)
    ).all()
    assert stored == [(named.agent_a1.id, 1), (named.agent_a2.id, 7)]


def test_a_shared_name_and_unknown_agents_are_told_once_each(
    app_context: None, named: Organisation
) -> None:
    rows = "".join(
        f"{agent},2026-11-{day:02d},1\n"
        for day in range(1, 15)
        for agent in ("Ann Agent", "Ghost", "Bob Agent")
    )
    with pytest.raises(TableError) as error:
        _stats(ZENDESK.format(rows=rows), named.manager)
    problems = [str(problem) for problem in error.value.problems]
    ann = ", ".join(str(2 + 3 * n) for n in range(10))
    ghost = ", ".join(str(3 + 3 * n) for n in range(10))
    assert problems == [
        f'row 2, column "Agent" ("Ann Agent"): 2 of your agents are called \'Ann Agent\'; '
        f"add their zendesk ids: rows {ann}, … (14 rows)",
        f'row 3, column "Agent" ("Ghost"): {UNKNOWN_AGENT}: rows {ghost}, … (14 rows)',
    ]
    assert error.value.total == 2
    assert db.session.scalar(sa.select(sa.func.count(AgentDailyStat.id))) == 0


def test_the_web_import_lists_warnings_and_unknown_agents_with_a_link_for_admins(
    named: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    text = ZENDESK.format(rows="Bob Agent,2026-11-02,3\n")
    for user, link in ((named.admin, True), (named.manager, False)):
        client = sign_in_as(user)
        data = {"source": "zendesk", "dry_run": "y", "file": (io.BytesIO(text.encode()), "z.csv")}
        page = post_form(client, "/stats/import", data, content_type="multipart/form-data")
        html = page.get_data(as_text=True)
        assert "1 agent was matched by their name only; link their zendesk ids" in html
        assert ("/admin/identities/link?source=zendesk&amp;external_id=Bob+Agent" in html) is link
        bad = ZENDESK.format(rows="Ghost,2026-11-02,1\nGhost,2026-11-03,1\n")
        data = {"source": "zendesk", "dry_run": "y", "file": (io.BytesIO(bad.encode()), "z.csv")}
        page = post_form(client, "/stats/import", data, content_type="multipart/form-data")
        html = page.get_data(as_text=True)
        assert page.status_code == 400
        assert "Agents in the file that match none of your agents" in html
        assert f"{UNKNOWN_AGENT}: rows 2, 3 (2 rows)" in html
        assert ("/admin/identities/link?source=zendesk&amp;external_id=Ghost" in html) is link


def test_the_cli_warns_of_name_matches(app: Flask, named: Organisation, tmp_path: Path) -> None:
    path = tmp_path / "z.csv"
    path.write_text(ZENDESK.format(rows="Bob Agent,2026-11-02,3\n"), encoding="utf-8")
    result = app.test_cli_runner().invoke(
        args=["import-stats", str(path), "--source", "zendesk", "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert "Warning: matched 'Bob Agent' by name; link their zendesk id to be sure" in result.stderr


def test_the_api_reports_name_matches_and_matches_by_each_items_source(
    app: Flask, named: Organisation, api_as: Callable[[User], Any]
) -> None:
    rows = [{"agent": "Bob Agent", "day": "2026-11-02", "contacts_handled": 1}]
    response = api_as(named.manager).post("/api/v1/stats?dry_run=true", rows)
    assert response.status_code == 200
    assert response.json["warnings"] == [
        {
            "value": "Bob Agent",
            "agent_id": named.agent_a2.id,
            "source": "api",
            "message": "matched 'Bob Agent' by name; link their api id to be sure "
            f"(agent {named.agent_a2.id})",
        }
    ]
    call = {"agent": "G-1", "channel": "phone", "occurred_at": "2026-11-02T10:15:00+01:00",
            "external_ref": "C-1", "source": "genesys"}  # fmt: skip
    other = call | {"external_ref": "C-2", "source": "five9"}
    stored = api_as(named.manager).post("/api/v1/interactions", [call, other])
    assert stored.status_code == 201 and stored.json["warnings"] == []
    with app.app_context():
        agents = db.session.execute(
            sa.select(Interaction.external_ref, Interaction.agent_id).order_by(Interaction.id)
        ).all()
    # Each item's own source decides: A1's genesys id, then A2's id for any source.
    assert agents == [("C-1", named.agent_a1.id), ("C-2", named.agent_a2.id)]
