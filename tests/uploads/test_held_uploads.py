"""A file that passed its dry run is kept on the server, so the user confirms the import
without choosing the file again; the kept file serves only the browser that sent it."""

from __future__ import annotations

import html
import io
import os
import re
import stat
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.stats.models import AgentDailyStat
from qa_app.uploads import held
from tests.conftest import Organisation, post_form

STATS = "Agent;Date;Calls Handled;AHT;Staffed Time\nA-1;2026-11-02;80;0:05:00;8:00:00\n"
CALLS = "Agent;Channel;Start Time;Call ID\nA-1;phone;2026-11-02 09:15;C-100\n"
# page, who imports, someone else who may use the page, the file, the stored rows' model
PAGES = [
    pytest.param("/stats/import", "manager", "admin", STATS, AgentDailyStat, id="statistics"),
    pytest.param(
        "/interactions/import", "manager", "supervisor_a", CALLS, Interaction, id="interactions"
    ),
]
HELD_INPUT = re.compile(r'<input type="hidden" name="held" value="([0-9a-f]{32})">')
NOT_KEPT = "The file checked before is no longer kept"


@pytest.fixture
def scratch(app: Flask, org: Organisation, tmp_path: Path) -> Path:
    """A private scratch directory of this test's own, and agent A1 known as A-1."""
    app.config["SCRATCH_DIR"] = str(tmp_path / "scratch")
    with app.app_context():
        db.session.get_one(User, org.agent_a1.id).external_id = "A-1"
        db.session.commit()
    return tmp_path / "scratch"


def rows(app: Flask, model: Any) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def kept(scratch: Path) -> list[Path]:
    return sorted(scratch.glob(f"{held.PREFIX}*")) if scratch.exists() else []


def check(client: FlaskClient, page: str, text: str) -> tuple[Any, str]:
    """A dry run of `text`; the response and the token of the kept file."""
    data = {"source": "pbx", "date_order": "", "dry_run": "y",
            "file": (io.BytesIO(text.encode()), "daily.csv")}  # fmt: skip
    response = post_form(client, page, data, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    token = HELD_INPUT.search(response.get_data(as_text=True))
    assert token, "no kept file on the page"
    return response, token.group(1)


def confirm(client: FlaskClient, page: str, token: str) -> Any:
    """The confirming post: the token, no file, dry run unticked."""
    data = {"held": token, "source": "pbx", "date_order": ""}
    return post_form(client, page, data, content_type="multipart/form-data")


@pytest.mark.parametrize(("page", "who", "_other", "text", "model"), PAGES)
def test_a_checked_file_is_imported_without_choosing_it_again(
    app: Flask,
    org: Organisation,
    sign_in_as: Any,
    scratch: Path,
    page: str,
    who: str,
    _other: str,
    text: str,
    model: Any,
) -> None:
    client = sign_in_as(org.member(who))
    response, token = check(client, page, text)

    body = html.unescape(response.get_data(as_text=True))
    assert "“daily.csv” is kept for a day" in body
    assert "Import this file" in body
    assert rows(app, model) == 0
    [directory] = kept(scratch)
    assert directory.name == held.PREFIX + token
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(scratch.stat().st_mode) == 0o700
    assert (directory / "file").read_bytes() == text.encode()

    imported = confirm(client, page, token)

    assert imported.status_code == 302, imported.get_data(as_text=True)
    assert rows(app, model) == 1
    assert kept(scratch) == []  # removed after use
    # The token is spent: a second confirmation imports nothing and asks for the file.
    again = confirm(client, page, token)
    assert again.status_code == 200
    assert NOT_KEPT in html.unescape(again.get_data(as_text=True))
    assert rows(app, model) == 1


@pytest.mark.parametrize(("page", "who", "other", "text", "model"), PAGES)
def test_another_user_or_browser_cannot_use_the_token(
    app: Flask,
    org: Organisation,
    sign_in_as: Any,
    scratch: Path,
    page: str,
    who: str,
    other: str,
    text: str,
    model: Any,
) -> None:
    _, token = check(sign_in_as(org.member(who)), page, text)

    for stranger in (sign_in_as(org.member(other)), sign_in_as(org.member(who))):
        refused = confirm(stranger, page, token)
        assert refused.status_code == 200
        assert NOT_KEPT in html.unescape(refused.get_data(as_text=True))
        assert rows(app, model) == 0
    assert len(kept(scratch)) == 1  # still there for the browser that sent it


def test_a_kept_file_changed_on_disk_or_a_day_old_is_refused(
    app: Flask, org: Organisation, sign_in_as: Any, scratch: Path
) -> None:
    client = sign_in_as(org.manager)
    _, token = check(client, "/stats/import", STATS)
    [directory] = kept(scratch)
    (directory / "file").write_bytes(STATS.replace("80", "90").encode())

    assert NOT_KEPT in html.unescape(confirm(client, "/stats/import", token).get_data(True))

    _, token = check(client, "/stats/import", STATS)
    [directory] = [d for d in kept(scratch) if d.name.endswith(token)]
    day_ago = time.time() - held.KEEP_SECONDS - 60
    os.utime(directory, (day_ago, day_ago))

    assert NOT_KEPT in html.unescape(confirm(client, "/stats/import", token).get_data(True))
    assert not directory.exists()  # swept
    assert rows(app, AgentDailyStat) == 0


def test_a_new_file_wins_over_the_kept_one(
    app: Flask, org: Organisation, sign_in_as: Any, scratch: Path
) -> None:
    client = sign_in_as(org.manager)
    _, token = check(client, "/stats/import", STATS)
    other = STATS.replace("80;", "60;")
    data = {"held": token, "source": "pbx", "date_order": "",
            "file": (io.BytesIO(other.encode()), "other.csv")}  # fmt: skip
    response = post_form(client, "/stats/import", data, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(AgentDailyStat.contacts_handled)) == 60


@pytest.mark.parametrize("token", ["", "../../etc", "0" * 32, "g" * 32])
def test_take_refuses_unknown_and_malformed_tokens(tmp_path: Path, token: str) -> None:
    assert held.take(tmp_path, token, held.owner_of(1, "sid"), kind="statistics") is None


def test_take_is_bound_to_owner_and_kind(tmp_path: Path) -> None:
    owner = held.owner_of(1, "sid")
    token = held.hold(tmp_path, b"a,b\n", "x.csv", owner, kind="statistics")
    assert held.take(tmp_path, token, owner, kind="statistics") == held.HeldFile(b"a,b\n", "x.csv")
    assert held.take(tmp_path, token, held.owner_of(2, "sid"), kind="statistics") is None
    assert held.take(tmp_path, token, held.owner_of(1, "other"), kind="statistics") is None
    assert held.take(tmp_path, token, owner, kind="interactions") is None
    assert "sid" not in (tmp_path / f"{held.PREFIX}{token}" / "meta.json").read_text()


def test_sweep_removes_only_kept_files_older_than_a_day(tmp_path: Path) -> None:
    owner = held.owner_of(1, "sid")
    old = held.hold(tmp_path, b"old", "old.csv", owner, kind="statistics")
    new = held.hold(tmp_path, b"new", "new.csv", owner, kind="statistics")
    other = tmp_path / "export-host-1-abc"
    other.mkdir()
    now = time.time() + held.KEEP_SECONDS + 1
    os.utime(tmp_path / f"{held.PREFIX}{new}", (now, now))

    removed = held.sweep_held(tmp_path, now=now)

    assert removed == [tmp_path / f"{held.PREFIX}{old}"]
    assert (tmp_path / f"{held.PREFIX}{new}").exists() and other.exists()
