"""Agents' ids per source on the admin pages, from agent lists and the CLI (issue 18)."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.admin.identities import import_identities
from qa_app.audit.models import AuditEvent
from qa_app.auth.models import AgentIdentity, User
from qa_app.extensions import db
from qa_app.uploads.reader import TableError
from tests.conftest import Organisation, post_form


def _identities() -> list[tuple[int, str, str]]:
    query = sa.select(AgentIdentity.user_id, AgentIdentity.source, AgentIdentity.external_id)
    rows = db.session.execute(query.order_by(AgentIdentity.user_id, AgentIdentity.source))
    return [(user_id, source, external_id) for user_id, source, external_id in rows]


def _events() -> list[str]:
    return list(
        db.session.scalars(
            sa.select(AuditEvent.action)
            .where(AuditEvent.action.like("identity.%"))
            .order_by(AuditEvent.id)
        )
    )


def test_the_admin_adds_and_removes_an_agents_ids(
    app: Flask, org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    client = sign_in_as(org.admin)
    path = f"/admin/users/{org.agent_a1.id}/identities"
    added = post_form(client, path, {"source": " Genesys ", "external_id": "6f1c-guid"})
    assert added.status_code == 302
    # The same source again, and another agent with the same id: refused, with the reason.
    again = post_form(
        client, path, {"source": "genesys", "external_id": "other"}, follow_redirects=True
    )
    assert "already has a genesys id (6f1c-guid); remove it first" in again.get_data(as_text=True)
    taken = post_form(
        client,
        f"/admin/users/{org.agent_a2.id}/identities",
        {"source": "genesys", "external_id": "6f1c-guid"},
        follow_redirects=True,
    )
    assert "The genesys id 6f1c-guid already belongs to" in taken.get_data(as_text=True)
    page = client.get(path).get_data(as_text=True)
    assert "6f1c-guid" in page and "genesys" in page
    with app.app_context():
        assert _identities() == [(org.agent_a1.id, "genesys", "6f1c-guid")]
        identity_id = db.session.scalar(sa.select(AgentIdentity.id))
    removed = post_form(client, f"{path}/{identity_id}/remove", {})
    assert removed.status_code == 302
    # Another agent's id is not removed through this agent's page.
    with app.app_context():
        assert _identities() == []
        assert _events() == ["identity.added", "identity.removed"]


def test_an_id_of_another_user_is_not_removed_through_the_wrong_page(
    app: Flask, org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    with app.app_context():
        identity = AgentIdentity(user_id=org.agent_a1.id, source="pbx", external_id="P-1")
        db.session.add(identity)
        db.session.commit()
        identity_id = identity.id
    client = sign_in_as(org.admin)
    wrong = post_form(client, f"/admin/users/{org.agent_a2.id}/identities/{identity_id}/remove", {})
    assert wrong.status_code == 404
    with app.app_context():
        assert _identities() == [(org.agent_a1.id, "pbx", "P-1")]


def test_an_unknown_value_is_linked_from_a_pre_filled_form(
    app: Flask, org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    client = sign_in_as(org.admin)
    page = client.get("/admin/identities/link?source=five9&external_id=ann.a").get_data(
        as_text=True
    )
    assert 'value="five9"' in page and 'value="ann.a"' in page
    data = {"source": "five9", "external_id": "ann.a", "user_id": str(org.agent_a2.id)}
    assert post_form(client, "/admin/identities/link", data).status_code == 302
    with app.app_context():
        assert _identities() == [(org.agent_a2.id, "five9", "ann.a")]
        assert _events() == ["identity.added"]


LIST = "E-mail,Name,Source,External ID\n{rows}"


def _import(text: str, actor: User, dry_run: bool = False) -> object:
    return import_identities(
        text.encode(),
        "agents.csv",
        actor=db.session.get_one(User, actor.id),
        max_bytes=10**6,
        max_rows=1000,
        dry_run=dry_run,
    )


def test_an_agent_list_adds_ids_all_or_nothing(app_context: None, org: Organisation) -> None:
    with pytest.raises(TableError) as error:
        _import(
            LIST.format(
                rows="a1@example.test,,genesys,G-1\n"
                "nobody@example.test,,genesys,G-9\n"  # no such agent
                "A2@Example.test,,genesys,G-1\n"  # the same id as row 2
                ",Nobody Known,five9,F-1\n"  # no such name
                "sup.a@example.test,,genesys,G-5\n"  # not an agent
                "a2@example.test,,bad/source,X\n"
                "a2@example.test,,five9,\n"
                "a1@example.test,,genesys,G-7\n"  # a second genesys id for A1
            ),
            org.admin,
        )
    assert [str(problem) for problem in error.value.problems] == [
        'row 3, column "E-mail" ("nobody@example.test"): no agent has this e-mail',
        'row 4, column "External ID" ("G-1"): the same genesys id as row 2',
        'row 5, column "Name" ("Nobody Known"): no agent has this name',
        'row 6, column "E-mail" ("sup.a@example.test"): no agent has this e-mail',
        'row 7, column "Source" ("bad/source"): use letters, digits, spaces, dots, dashes '
        "and underscores only",
        'row 8, column "External ID": empty',
        'row 9, column "External ID" ("G-7"): row 2 gives this agent the genesys id G-1',
    ]
    assert _identities() == []
    assert _events() == []

    good = LIST.format(
        rows=f"a1@example.test,,Genesys,G-1\n,{org.agent_a2.display_name},five9,F-2\n"
    )
    dry = _import(good, org.admin, dry_run=True)
    assert (dry.added, dry.unchanged, _identities()) == (2, 0, [])  # type: ignore[attr-defined]
    report = _import(good, org.admin)
    db.session.commit()
    assert (report.added, report.unchanged) == (2, 0)  # type: ignore[attr-defined]
    assert _identities() == [(org.agent_a1.id, "genesys", "G-1"), (org.agent_a2.id, "five9", "F-2")]
    again = _import(good, org.admin)
    assert (again.added, again.unchanged) == (0, 2)  # type: ignore[attr-defined]
    assert _events() == ["identity.imported"]


def test_the_cli_links_ids_from_a_list(app: Flask, org: Organisation, tmp_path: Path) -> None:
    path = tmp_path / "agents.csv"
    path.write_text(LIST.format(rows="a1@example.test,,genesys,G-1\n"), encoding="utf-8")
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["agents", "link-ids", str(path), "--dry-run"])
    assert dry.exit_code == 0 and "Would add 1 ids from 1 rows" in dry.stdout
    done = runner.invoke(args=["agents", "link-ids", str(path)])
    assert done.exit_code == 0 and "Added 1 ids" in done.stdout
    path.write_text(LIST.format(rows="a9@example.test,,genesys,G-9\n"), encoding="utf-8")
    bad = runner.invoke(args=["agents", "link-ids", str(path)])
    assert bad.exit_code == 1
    assert 'row 2, column "E-mail" ("a9@example.test"): no agent has this e-mail' in bad.stderr
    with app.app_context():
        assert _identities() == [(org.agent_a1.id, "genesys", "G-1")]


def test_the_list_page_and_the_api_show_the_ids(
    app: Flask,
    org: Organisation,
    sign_in_as: Callable[[User], FlaskClient],
    api_as: Callable[[User], object],
) -> None:
    client = sign_in_as(org.admin)
    text = LIST.format(rows="a1@example.test,,genesys,G-1\n")
    data = {"dry_run": "", "file": (io.BytesIO(text.encode()), "agents.csv")}
    response = post_form(
        client,
        "/admin/identities/import",
        data,
        content_type="multipart/form-data",
        follow_redirects=True,
    )
    assert "Added 1 id. 0 were already there." in response.get_data(as_text=True)
    agents = api_as(org.manager).get("/api/v1/agents")  # type: ignore[attr-defined]
    by_id = {agent["id"]: agent["identities"] for agent in agents.json["data"]}
    assert by_id[org.agent_a1.id] == [{"source": "genesys", "external_id": "G-1"}]
    assert by_id[org.agent_a2.id] == []


def test_an_anonymised_agent_keeps_no_ids_and_their_export_lists_them(
    app_context: None, org: Organisation
) -> None:
    from qa_app.admin.identities import add_identity
    from qa_app.privacy.anonymise import anonymise_agent
    from qa_app.privacy.personal_data import personal_data

    agent = db.session.get_one(User, org.agent_a1.id)
    admin = db.session.get_one(User, org.admin.id)
    add_identity(agent, "genesys", "ann.secret", admin)
    db.session.commit()
    db.session.expire_all()
    assert personal_data(agent)["profile"]["identities"] == [
        {"source": "genesys", "external_id": "ann.secret"}
    ]
    agent.active = False
    db.session.commit()
    anonymise_agent(agent, admin)
    db.session.commit()
    assert _identities() == []
    after = db.session.scalars(
        sa.select(AuditEvent.after).where(AuditEvent.action == "identity.added")
    ).all()
    assert "ann.secret" not in str(after)
