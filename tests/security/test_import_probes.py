"""Imports tell nothing about people and records out of the importer's sight (issue 17,
finding 2).

Supervisor B imports interactions; before, naming team A's agent answered "not an agent of
your teams" where a made-up one answered "unknown agent", a deactivated agent of team A was
named by their e-mail address, and team A's call reference answered with team A's
interaction id. Now, for every way in (the API, the web import and, for statistics, the
command line), the answer for a person out of sight is, character for character, the answer
for a key nobody has with the key put in its place, and names no one; a reference of team A
meets nothing of team B's.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import AgentIdentity, Role, User
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from tests.conftest import CSRF_INPUT, Organisation, post_form

NOBODY = "Z-404"  # no user has this key
# Keys of people supervisor B may not import for: team A's agent, team A's deactivated
# agent, and users who are not agents (by external id and by e-mail).
OUT_OF_SIGHT = {
    "A-1": "a1@example.test",
    "a1@example.test": "a1@example.test",
    "A-9": "gone@example.test",
    "gone@example.test": "gone@example.test",
    "S-1": "sup.a@example.test",
    "sup.a@example.test": "sup.a@example.test",
    "admin@example.test": "admin@example.test",
    # Issue 18: team A's agent by their id in the file's source, and by their unique name.
    "GEN-A1": "a1@example.test",
    "Ann Alpha": "a1@example.test",
}
# For the statistics imports (administrators and managers see every agent): non-agents, by
# every key, their id in the import's source and their unique name too.
NOT_AGENTS = ("S-1", "sup.a@example.test", "admin@example.test", "IMP-S1", "Sam Super")
EMAILS = set(OUT_OF_SIGHT.values())
ALERT = re.compile(r'<div class="alert alert-danger".*?</div>', re.S)


@pytest.fixture
def centre(app: Flask, org: Organisation, make_user: Callable[..., User]) -> Organisation:
    """External ids for A1 (A-1), B1 (B-1) and supervisor A (S-1); a deactivated agent of
    team A (A-9, gone@example.test). A1 is "Ann Alpha" with the genesys id GEN-A1;
    supervisor A is "Sam Super" with the id IMP-S1 in the source "import"."""
    make_user(Role.AGENT, org.team_a, email="gone@example.test", external_id="A-9", active=False)
    with app.app_context():
        for key, external_id in (("agent_a1", "A-1"), ("agent_b1", "B-1"), ("supervisor_a", "S-1")):
            db.session.get_one(User, org.member(key).id).external_id = external_id
        db.session.get_one(User, org.agent_a1.id).display_name = "Ann Alpha"
        db.session.get_one(User, org.supervisor_a.id).display_name = "Sam Super"
        db.session.add_all(
            [
                AgentIdentity(user_id=org.agent_a1.id, source="genesys", external_id="GEN-A1"),
                AgentIdentity(user_id=org.supervisor_a.id, source="import", external_id="IMP-S1"),
            ]
        )
        db.session.commit()
    return org


def _call(agent: str, ref: str = "P-1", source: str = "genesys") -> dict[str, Any]:
    return {
        "agent": agent,
        "channel": "phone",
        "occurred_at": "2026-11-02T10:15:00+01:00",
        "external_ref": ref,
        "source": source,
    }


def api_interactions(api: Any) -> Callable[[str], str]:
    def answer(key: str) -> str:
        response = api.post("/api/v1/interactions", [_call(key)])
        return f"{response.status_code} {json.dumps(response.json, sort_keys=True)}"

    return answer


def web_upload(client: FlaskClient, path: str, text: str, **fields: str) -> str:
    """The page's list of problems after uploading `text` (the whole page is checked for
    names separately)."""
    data = {**fields, "file": (io.BytesIO(text.encode()), "file.csv")}
    response = post_form(client, path, data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    alert = ALERT.search(page)
    assert alert, page[:500]
    return f"{response.status_code} {alert.group(0)}\n{page}"


def web_interactions(client: FlaskClient) -> Callable[[str], str]:
    def answer(key: str) -> str:
        text = f"Agent,Channel,Date,Call ID\n{key},phone,2026-11-02 09:00,P-1\n"
        return web_upload(client, "/interactions/import", text, source="genesys", dry_run="y")

    return answer


STATS = "Agent;Date;Calls Handled\n{key};2026-11-02;1\n"


def api_stats(api: Any) -> Callable[[str], str]:
    def answer(key: str) -> str:
        rows = [{"agent": key, "day": "2026-11-02", "contacts_handled": 1}]
        response = api.post("/api/v1/stats?dry_run=true", rows)
        return f"{response.status_code} {json.dumps(response.json, sort_keys=True)}"

    return answer


def web_stats(client: FlaskClient) -> Callable[[str], str]:
    def answer(key: str) -> str:
        text = STATS.format(key=key)
        return web_upload(client, "/stats/import", text, source="import", dry_run="y")

    return answer


def cli_stats(app: Flask, tmp_path: Path) -> Callable[[str], str]:
    def answer(key: str) -> str:
        path = tmp_path / "stats.csv"
        path.write_text(STATS.format(key=key), encoding="utf-8")
        result = app.test_cli_runner().invoke(args=["import-stats", str(path), "--dry-run"])
        return f"{result.exit_code} {result.stdout} {result.stderr}"

    return answer


def _page_without_token(answer: str) -> str:
    """Pages carry a fresh CSRF token each time: leave it out of the comparison."""
    return CSRF_INPUT.sub("", answer)


WAYS = ["api_interactions", "web_interactions", "api_stats", "web_stats", "cli_stats"]


@pytest.mark.parametrize("way", WAYS)
def test_someone_out_of_sight_is_answered_like_nobody(
    app: Flask,
    centre: Organisation,
    way: str,
    sign_in_as: Callable[[User], FlaskClient],
    api_as: Callable[[User], Any],
    tmp_path: Path,
) -> None:
    supervisor, manager = centre.supervisor_b, centre.manager
    answer, probes = {
        "api_interactions": (lambda: api_interactions(api_as(supervisor)), OUT_OF_SIGHT),
        "web_interactions": (lambda: web_interactions(sign_in_as(supervisor)), OUT_OF_SIGHT),
        "api_stats": (lambda: api_stats(api_as(manager)), NOT_AGENTS),
        "web_stats": (lambda: web_stats(sign_in_as(manager)), NOT_AGENTS),
        "cli_stats": (lambda: cli_stats(app, tmp_path), NOT_AGENTS),
    }[way]
    ask = answer()
    nobody = _page_without_token(ask(NOBODY))
    assert "unknown agent" in nobody
    for key in probes:
        given = _page_without_token(ask(key))
        assert given == nobody.replace(NOBODY, key), key
        assert not {email for email in EMAILS if email in given} - {key}, key


def test_another_teams_reference_meets_nothing_of_theirs(
    app: Flask,
    centre: Organisation,
    api_as: Callable[[User], Any],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    theirs = api_as(centre.supervisor_a).post("/api/v1/interactions", [_call("A-1", "CALL-7")])
    assert theirs.status_code == 201
    their_id = theirs.json["data"][0]["id"]

    # Supervisor B's answer for team A's reference is their answer for a fresh one.
    api = api_as(centre.supervisor_b)
    fresh = api.post("/api/v1/interactions", [_call("B-1", "CALL-8")])
    shared = api.post("/api/v1/interactions", [_call("B-1", "CALL-7")])
    assert (shared.status_code, fresh.status_code) == (201, 201)
    [mine], [new] = shared.json["data"], fresh.json["data"]
    assert mine["id"] != their_id
    assert {k: v for k, v in mine.items() if k not in ("id", "external_ref")} == {
        k: v for k, v in new.items() if k not in ("id", "external_ref")
    }
    assert {k: v for k, v in shared.json.items() if k != "data"} == {
        k: v for k, v in fresh.json.items() if k != "data"
    }
    # Sending it again is idempotent within B's own records.
    again = api.post("/api/v1/interactions", [_call("B-1", "CALL-7")])
    assert again.json["data"][0] == mine | {"created": False}

    # The web import counts it as new, like any reference B has not imported.
    theirs_too = api_as(centre.supervisor_a).post(
        "/api/v1/interactions", [_call("A-1", "CALL-7", source="other")]
    )
    assert theirs_too.status_code == 201
    client = sign_in_as(centre.supervisor_b)
    checked = {}
    for ref in ("CALL-9", "CALL-7"):
        text = f"Agent,Channel,Date,Call ID\nB-1,phone,2026-11-02 09:00,{ref}\n"
        data = {"source": "other", "dry_run": "y", "file": (io.BytesIO(text.encode()), "c.csv")}
        response = post_form(
            client, "/interactions/import", data, content_type="multipart/form-data"
        )
        found = re.search(r"The file is correct: [^<]*", response.get_data(as_text=True))
        assert found, ref
        checked[ref] = found.group(0)
    assert checked["CALL-7"] == checked["CALL-9"]
    assert "1 agent. 1 interaction is new. 0 were already imported." in checked["CALL-7"]
    with app.app_context():
        stored = db.session.scalars(
            sa.select(Interaction.agent_id).where(Interaction.external_ref == "CALL-7")
        ).all()
    # A's two (sources genesys and other) and B's one; none of B's answers named A's.
    assert sorted(stored) == sorted([centre.agent_a1.id, centre.agent_a1.id, centre.agent_b1.id])
