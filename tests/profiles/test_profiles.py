"""Import profiles: a file no preset knows is refused, the user says once how to read it,
and that source's files (and files of the same shape) are then read by the saved profile —
through the service, the web editor and the command line. Expected figures are computed
here from the file with plain Python."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.interactions.importer import import_interactions
from qa_app.profiles.models import ImportProfile
from qa_app.profiles.services import (
    ProfileError,
    profile_definition,
    read_profile_file,
    save_profile,
    suggested_fields,
)
from qa_app.stats.importer import import_stats
from qa_app.stats.models import AgentDailyStat
from qa_app.uploads.presets import PresetError, parse_profile
from qa_app.uploads.reader import TableError
from tests.conftest import Organisation, post_form
from tests.interactions.test_vendor_exports import stored as stored_interactions
from tests.stats.test_import import stored
from tests.support.imports import import_as

# A team's ACD report no preset knows: title lines, German headers, the agent's e-mail beside
# their name, US dates that both orders could read, minutes with a decimal comma, its own
# channel words and a totals row.
ACD = """Tagesbericht Team Nord;;;;;;
Erstellt am 13.12.2026;;;;;;
Bearbeiter;E-Mail;Datum;Kanal;Gespräche;Gesprächszeit;Nacharbeit
Ann;a1@example.test;{day};Telefon;10;95,5;12
Ann;a1@example.test;{day};Chat;4;30;0
Bob;a2@example.test;{day};Telefon;7;61;7,5
Summe;;;;21;186,5;19,5
"""
FIELDS = ["", "agent", "day", "channel", "contacts_handled", "handle_seconds", "acw_seconds"]
CHANNELS = {"telefon": "phone", "chat": "chat"}


def acd_file(day: str = "12/11/2026") -> bytes:
    return ACD.format(day=day).encode()


def expected_acd(text: str, iso_day: str) -> dict[tuple[str, str, str], dict[str, int]]:
    """The stored totals the ACD file must give: per channel and their "all" row, minutes in
    seconds (read here with csv and Decimal, not with the importer's parsers)."""
    lines = text.splitlines()[2:]
    expected: dict[tuple[str, str, str], dict[str, int]] = {}
    for row in csv.DictReader(lines, delimiter=";"):
        if row["Bearbeiter"] == "Summe":
            continue
        channel = CHANNELS[row["Kanal"].casefold()]
        figures = {
            "contacts_handled": int(row["Gespräche"]),
            "handle_seconds": int(Decimal(row["Gesprächszeit"].replace(",", ".")) * 60),
            "acw_seconds": int(Decimal(row["Nacharbeit"].replace(",", ".")) * 60),
        }
        for key in ((row["E-Mail"], iso_day, channel), (row["E-Mail"], iso_day, "all")):
            totals = expected.setdefault(key, {})
            for name, value in figures.items():
                totals[name] = totals.get(name, 0) + value
    return {key: {k: v for k, v in figures.items() if v} for key, figures in expected.items()}


def acd_definition() -> dict[str, Any]:
    headers = ACD.splitlines()[2].split(";")
    return profile_definition(
        "statistics",
        headers,
        FIELDS,
        date_order="month-first",
        timezone=None,
        duration_unit="minutes",
        channels=CHANNELS,
    )


def save_acd_profile(app: Flask, org: Organisation, source: str = "acd-nord") -> None:
    with app.app_context():
        manager = db.session.get_one(User, org.manager.id)
        save_profile("statistics", source, acd_definition(), manager)
        db.session.commit()


def run_stats(app: Flask, org: Organisation, data: bytes, **options: Any) -> Any:
    options.setdefault("source", "acd-nord")
    return import_as(
        app,
        org.manager.id,
        import_stats,
        data,
        "tagesbericht.csv",
        max_bytes=1_000_000,
        max_rows=1000,
        **options,
    )


def stat_sources(app: Flask) -> set[str]:
    with app.app_context():
        return set(db.session.scalars(sa.select(AgentDailyStat.source)))


def test_an_unknown_export_is_refused_then_read_by_its_saved_profile(
    app: Flask, org: Organisation
) -> None:
    with pytest.raises(TableError) as refused:
        run_stats(app, org, acd_file())
    assert "missing column" in str(refused.value)
    assert stored(app) == {}

    save_acd_profile(app, org)
    report = run_stats(app, org, acd_file())

    assert report.recognised == 'the import profile "acd-nord"'
    # 12/11/2026 read month-first, as the profile says: 11 December.
    expected = expected_acd(ACD.format(day="12/11/2026"), "2026-12-11")
    assert stored(app) == expected
    assert (report.agent_days, report.rows) == (len(expected), 3)  # the totals row skipped


def test_a_profile_reads_files_of_the_same_shape_under_another_source(
    app: Flask, org: Organisation
) -> None:
    save_acd_profile(app, org)
    run_stats(app, org, acd_file("12/11/2026"))
    report = run_stats(app, org, acd_file("12/11/2026"), source="acd-sued")

    assert report.recognised == 'the import profile "acd-nord"'
    # Stored under the source it was imported as: the first source's rows stay.
    assert stat_sources(app) == {"acd-nord", "acd-sued"}
    assert (report.new, report.replaced) == (report.agent_days, 0)


def test_a_source_with_a_profile_is_read_by_it_whatever_the_file_looks_like(
    app: Flask, org: Organisation
) -> None:
    """A file imported as a source with a profile is read by that profile: one whose columns
    do not fit is refused naming the profile's column, never read by another layout."""
    save_acd_profile(app, org)
    plain = b"Agent,Date,Calls Handled\na1@example.test,2026-12-11,4\n"
    with pytest.raises(TableError) as refused:
        run_stats(app, org, plain)
    assert '"Bearbeiter"' not in str(refused.value)
    assert 'accepted names: "E-Mail"' in str(refused.value)
    assert stored(app) == {}
    assert run_stats(app, org, plain, source="pbx").rows == 1  # another source: as before


# An interaction export with the agent's name and e-mail (two columns the usual names both
# take for the agent), New York local times, durations in milliseconds and its own words.
CALLS = """Agent,Agent Email,Call ID,Start,Direction,Talk (raw)
Ann,a1@example.test,N-1,2026-12-11 09:15:00,INBOUND,312500
Ann,a1@example.test,N-2,2026-12-11 23:40:00,Web form,60000
Bob,a2@example.test,N-3,2026-12-12 00:05:00,INBOUND,1000
"""
CALL_FIELDS = ["", "agent", "external_ref", "occurred_at", "channel", "duration"]


def run_calls(app: Flask, org: Organisation, data: bytes, **options: Any) -> Any:
    options.setdefault("source", "dialer")
    return import_as(
        app,
        org.manager.id,
        import_interactions,
        data,
        "calls.csv",
        max_bytes=1_000_000,
        max_rows=1000,
        **options,
    )


def test_a_profile_chooses_between_two_agent_columns_and_reads_times_in_its_zone(
    app: Flask, org: Organisation
) -> None:
    with pytest.raises(TableError) as refused:
        run_calls(app, org, CALLS.encode())
    assert 'columns "Agent", "Agent Email" could each be the agent' in str(refused.value)

    definition = profile_definition(
        "interactions",
        CALLS.splitlines()[0].split(","),
        CALL_FIELDS,
        date_order=None,
        timezone="America/New_York",
        duration_unit="milliseconds",
        channels={"inbound": "phone", "web form": "email"},
    )
    with app.app_context():
        save_profile("interactions", "dialer", definition, db.session.get_one(User, org.manager.id))
        db.session.commit()
    report = run_calls(app, org, CALLS.encode())

    assert report.new == 3
    new_york = ZoneInfo("America/New_York")
    words = {"INBOUND": "phone", "Web form": "email"}
    expected = {
        row["Call ID"]: (
            row["Agent Email"],
            words[row["Direction"]],
            datetime.fromisoformat(row["Start"]).replace(tzinfo=new_york).astimezone(UTC),
            int((Decimal(row["Talk (raw)"]) / 1000).quantize(Decimal(1), ROUND_HALF_UP)),
        )
        for row in csv.DictReader(io.StringIO(CALLS))
    }
    got = {
        ref: (r["agent"], r["channel"], r["occurred_at"], r["duration_seconds"])
        for ref, r in stored_interactions(app).items()
    }
    assert got == expected
    # 23:40 in New York is the next day in UTC: the zone was applied, not the centre's.
    assert got["N-2"][2] == datetime(2026, 12, 12, 4, 40, tzinfo=UTC)


def test_the_editor_shows_the_refused_file_and_saving_it_lets_the_file_in(
    app: Flask, org: Organisation, sign_in_as: Any
) -> None:
    manager = sign_in_as(org.manager)
    upload = {"source": "acd-nord", "date_order": "", "file": (io.BytesIO(acd_file()), "t.csv")}
    page = post_form(manager, "/stats/import", upload, content_type="multipart/form-data")
    text = page.get_data(as_text=True)

    assert page.status_code == 400
    assert "Tell QA Coach how to read this system" in text
    for header in ("Bearbeiter", "Gesprächszeit", "Nacharbeit"):
        assert 'id="column-' in text and f">{header}</th>" in text
    assert "95,5 · 30 · 61" in text  # the column's first values
    assert "Tagesbericht" not in text.split("profile-editor-title")[1].split("</table>")[0]

    headers = ACD.splitlines()[2].split(";")
    import json

    choices = {
        "profile-kind": "statistics",
        "profile-headers": json.dumps(headers),
        "profile-source": "acd-nord",
        "profile-date_order": "month-first",
        "profile-duration_unit": "minutes",
        "profile-channels": "Telefon = phone\nChat = chat",
        "field": FIELDS,
    }
    token = {"profile-csrf_token": _token(text)}
    saved = manager.post("/import-profiles/save", data={**choices, **token})
    assert saved.status_code == 302
    assert saved.headers["Location"] == "/stats/import?source=acd-nord"
    assert 'value="acd-nord"' in manager.get(saved.headers["Location"]).get_data(as_text=True)

    upload = {"source": "acd-nord", "file": (io.BytesIO(acd_file()), "t.csv")}
    done = post_form(manager, "/stats/import", upload, content_type="multipart/form-data")
    assert done.status_code == 302
    assert stored(app) == expected_acd(ACD.format(day="12/11/2026"), "2026-12-11")


def _token(page: str) -> str:
    from tests.conftest import CSRF_INPUT

    match = CSRF_INPUT.search(page)
    assert match is not None
    return match.group(1) or match.group(2)


def test_a_choice_that_cannot_make_a_profile_is_refused_with_the_choices_kept(
    app: Flask, org: Organisation, sign_in_as: Any
) -> None:
    import json

    manager = sign_in_as(org.manager)
    headers = ACD.splitlines()[2].split(";")
    twice = ["agent", "agent", "day", "", "contacts_handled", "", ""]
    page = manager.get("/import-profiles/")
    data = {
        "profile-kind": "statistics",
        "profile-headers": json.dumps(headers),
        "profile-source": "acd-nord",
        "field": twice,
        "profile-csrf_token": _token(page.get_data(as_text=True)),
    }
    answer = manager.post("/import-profiles/save", data=data)
    text = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert "&#34;E-Mail&#34; and &#34;Bearbeiter&#34; are both chosen as agent" in text
    assert text.count('value="agent" selected') == 2  # the choices kept
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ImportProfile.id))) == 0


def test_a_supervisor_may_not_save_or_open_a_statistics_profile(
    app: Flask, org: Organisation, sign_in_as: Any
) -> None:
    import json

    save_acd_profile(app, org)
    supervisor = sign_in_as(org.supervisor_a)
    index = supervisor.get("/import-profiles/").get_data(as_text=True)
    assert "acd-nord" not in index
    assert 'value="statistics"' not in index
    data = {
        "profile-kind": "statistics",
        "profile-headers": json.dumps(["Agent", "Date", "Calls"]),
        "profile-source": "acd-nord",
        "field": ["agent", "day", "contacts_handled"],
        "profile-csrf_token": _token(index),
    }
    assert supervisor.post("/import-profiles/save", data=data).status_code == 403
    with app.app_context():
        profile = db.session.scalar(sa.select(ImportProfile))
        assert profile is not None and profile.definition == acd_definition()
        profile_id = profile.id
    assert supervisor.get(f"/import-profiles/{profile_id}").status_code == 403


def test_a_downloaded_profile_reads_the_file_on_the_command_line(
    app: Flask, org: Organisation, sign_in_as: Any, tmp_path: Path
) -> None:
    save_acd_profile(app, org)
    with app.app_context():
        profile = db.session.scalar(sa.select(ImportProfile))
        assert profile is not None
        profile_id = profile.id
    download = sign_in_as(org.manager).get(f"/import-profiles/{profile_id}/profile.toml")
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    toml = tmp_path / "acd.toml"
    toml.write_bytes(download.data)
    with app.app_context():  # the file alone must read it, not the saved profile
        db.session.execute(sa.delete(ImportProfile))
        db.session.commit()
    report_file = tmp_path / "tagesbericht.csv"
    report_file.write_bytes(acd_file())
    runner = app.test_cli_runner()

    done = runner.invoke(
        args=["import-stats", str(report_file), "--source", "nord", "--profile", str(toml)]
    )
    assert done.exit_code == 0, done.output
    assert 'Recognised as the import profile "nord"' in done.stdout
    assert stored(app) == expected_acd(ACD.format(day="12/11/2026"), "2026-12-11")

    wrong = runner.invoke(
        args=["import-interactions", str(report_file), "--profile", str(toml), "--dry-run"]
    )
    assert wrong.exit_code == 1
    assert "a statistics profile; this import reads interactions" in wrong.output
    broken = tmp_path / "broken.toml"
    broken.write_text('kind = "statistics"\ncolumns = { A = "agent" }\ntimezone = "Mars/Base"\n')
    refused = runner.invoke(args=["import-stats", str(report_file), "--profile", str(broken)])
    assert refused.exit_code == 1
    assert "timezone" in refused.output and "Mars/Base" in refused.output


def test_profile_definitions_need_each_field_once_and_the_fields_a_file_needs() -> None:
    headers = ["Who", "When", "Calls"]
    with pytest.raises(ProfileError, match="choose a column for: day or interval"):
        profile_definition(
            "statistics", headers, ["agent", "", "contacts_handled"], date_order=None,
            timezone=None, duration_unit=None, channels={},
        )  # fmt: skip
    with pytest.raises(ProfileError, match="choose a column for: channel, external_ref"):
        profile_definition(
            "interactions", headers, ["agent", "occurred_at", ""], date_order=None,
            timezone=None, duration_unit=None, channels={},
        )  # fmt: skip
    with pytest.raises(PresetError, match="not a time zone name"):
        parse_profile("x", {"kind": "statistics", "columns": {"A": "agent"}, "timezone": "Nowhere"})
    with pytest.raises(PresetError, match="unknown key"):
        parse_profile("x", {"kind": "statistics", "columns": {"A": "agent"}, "layout": "x"})


def test_the_editor_guesses_as_the_importer_would() -> None:
    genesys = ["Interval Start", "Agent Id", "Agent Name", "Media Type", "Handle", "Total Handle"]
    assert suggested_fields(genesys, "statistics") == [
        "interval", "agent", "", "channel", "contacts_handled", "handle_seconds",
    ]  # fmt: skip
    # The usual names; a field goes to its first column only.
    plain = ["Agent", "Agent Email", "Date", "Calls Handled", "Unknown"]
    assert suggested_fields(plain, "statistics") == ["agent", "", "day", "contacts_handled", ""]


def test_the_readmes_profile_example_is_a_valid_profile() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    profile = read_profile_file(example, "acd-nord", "README.md", "statistics")
    assert profile.columns["e mail"] == "agent"
    assert (profile.day_first, profile.duration_unit) == (False, "minutes")
