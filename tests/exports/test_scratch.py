"""Exports' temporary files stay in the app's private directory (issue 17, finding 3).

openpyxl names its sheets' temporary files `openpyxl.*` in the system's shared temporary
directory, and a worker killed during an export left them there, with names and comments
in them, for good.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from qa_app import create_app
from qa_app.exports.rows import AnswerRow, EvaluationRow
from qa_app.exports.scratch import PREFIX, STALE_SECONDS, export_directory, sweep
from qa_app.exports.workbook import write_evaluations_workbook
from tests.conftest import Organisation, make_config, post_form
from tests.support.exports_data import WEEK, seed_export_data

ROOT = Path(__file__).resolve().parents[2]


def system_temp_files() -> set[str]:
    """openpyxl's files in the system's temporary directory."""
    return {name for name in os.listdir(tempfile.gettempdir()) if name.startswith("openpyxl.")}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def row(number: int) -> tuple[EvaluationRow, list[AnswerRow]]:
    evaluation = EvaluationRow(
        number, datetime(2026, 11, 2), datetime(2026, 11, 2), "Ann Agent", "Team",
        "Sam", "Card", 1, "phone", "REF", "released", 75.0, 75.0, False, True,
        "a comment naming Ann", None, None,
    )  # fmt: skip
    answer = AnswerRow(number, "greeting", "Greeting", "yes", "yes_no", 1.0, 1.0, False, None)
    return evaluation, [answer]


def test_sheets_are_written_in_the_exports_own_private_directory(tmp_path: Path) -> None:
    seen: list[tuple[list[str], int]] = []
    before = system_temp_files()

    def evaluations(directory: Path) -> Iterator[tuple[EvaluationRow, list[AnswerRow]]]:
        yield row(1)
        # In the middle of the export: where are the rows kept?
        seen.append((sorted(path.name for path in directory.iterdir()), mode(directory)))
        yield row(2)

    with export_directory(tmp_path) as directory:
        write_evaluations_workbook(
            tmp_path / "out.xlsx",
            scratch=directory,
            summaries=[],
            kpi_columns=[],
            criteria=[],
            evaluations=evaluations(directory),
            matrix=[],
        )
    [(names, directory_mode)] = seen
    assert names and all(name.startswith("sheet-") for name in names)
    assert directory_mode == 0o700
    assert mode(tmp_path) == 0o700
    assert system_temp_files() == before
    assert not directory.exists()  # removed with its files when the export ended
    assert [path.name for path in tmp_path.iterdir()] == ["out.xlsx"]


def test_a_failed_export_removes_its_directory(tmp_path: Path) -> None:
    def evaluations() -> Iterator[tuple[EvaluationRow, list[AnswerRow]]]:
        yield row(1)
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError), export_directory(tmp_path) as directory:
        write_evaluations_workbook(
            tmp_path / "out.xlsx",
            scratch=directory,
            summaries=[],
            kpi_columns=[],
            criteria=[],
            evaluations=evaluations(),
            matrix=[],
        )
    assert not directory.exists()


KILLED_EXPORT = textwrap.dedent(
    """
    import os, signal, sys
    from datetime import datetime
    from pathlib import Path
    from qa_app.exports.scratch import export_directory
    from qa_app.exports.workbook import write_evaluations_workbook
    from tests.exports.test_scratch import row

    def evaluations(directory):
        yield row(1)
        print(directory, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)  # as gunicorn kills a worker past its timeout
        yield row(2)

    with export_directory(sys.argv[1]) as directory:
        write_evaluations_workbook(
            Path(sys.argv[1]) / "out.xlsx", scratch=directory, summaries=[], kpi_columns=[],
            criteria=[], evaluations=evaluations(directory), matrix=[],
        )
    """
)


def test_what_a_killed_worker_leaves_is_removed_when_the_app_starts(tmp_path: Path) -> None:
    before = system_temp_files()
    killed = subprocess.run(  # noqa: S603 - our interpreter, our own script
        [sys.executable, "-c", KILLED_EXPORT, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert killed.returncode == -9, killed.stderr
    left = Path(killed.stdout.strip())
    assert left.parent == tmp_path and any(left.glob("sheet-*.xml"))  # rows with names in it
    assert system_temp_files() == before  # nothing in the shared directory

    create_app(make_config("sqlite://", SCRATCH_DIR=str(tmp_path)))
    assert not left.exists()


def test_start_up_leaves_running_exports_alone(tmp_path: Path) -> None:
    with export_directory(tmp_path) as running:
        (running / "sheet-1.xml").write_text("<row/>")
        assert sweep(tmp_path) == []
        assert running.exists()


def test_directories_a_day_old_or_from_ended_processes_are_swept(tmp_path: Path) -> None:
    other_host = tmp_path / f"{PREFIX}elsewhere-123-abc"
    other_host.mkdir()
    ended = tmp_path / f"{PREFIX}{socket.gethostname().replace('-', '_')}-999999999-abc"
    ended.mkdir()
    unrelated = tmp_path / "notes"
    unrelated.mkdir()
    assert sweep(tmp_path) == [ended]
    later = other_host.stat().st_mtime + STALE_SECONDS + 1
    assert sweep(tmp_path, now=later) == [other_host]
    assert unrelated.exists()


def test_the_scratch_directory_is_made_private(tmp_path: Path) -> None:
    loose = tmp_path / "scratch"
    loose.mkdir(mode=0o755)
    loose.chmod(0o755)
    app = create_app(make_config("sqlite://", SCRATCH_DIR=str(loose)))
    assert app.config["SCRATCH_DIR"] == str(loose)
    assert mode(loose) == 0o700


def test_a_web_export_leaves_nothing_behind(
    app: Flask,
    org: Organisation,
    make_scorecard: Any,
    make_evaluation: Any,
    sign_in_as: Any,
) -> None:
    seed_export_data(app, org, make_scorecard, make_evaluation)
    scratch = Path(app.config["SCRATCH_DIR"])
    before = system_temp_files(), {path.name for path in scratch.iterdir()}
    client: FlaskClient = sign_in_as(org.manager)
    form = {
        "start": WEEK[0].isoformat(),
        "end": WEEK[1].isoformat(),
        "team_id": "0",
        "agent_id": "0",
        "scorecard": "",
        "channel": "",
    }
    response = post_form(client, "/exports/", form, token_from="/exports/")
    assert response.status_code == 200
    assert response.data.startswith(b"PK")
    response.close()
    assert (system_temp_files(), {path.name for path in scratch.iterdir()}) == before
