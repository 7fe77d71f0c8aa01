"""Progress bars on the long commands: drawn only when stdout is a terminal, never into a
pipe, a log or a test runner's output (issue 22)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from qa_app import progress
from tests.maintenance.maintenance_fixtures import own_sqlite_app

# What click draws: the bar's ends and fill, and its labels.
BAR_MARKS = ("[#", "#]", "-]", "Checking rows", "Writing evaluations", "Seeding the demo")
STATS_CSV = "Agent;Date;Calls Handled\nagent@demo.test;2026-11-02;4\n"
CALLS_CSV = "Agent;Media Type;Start Time;Call ID\nagent@demo.test;Voice;2026-11-02 09:15;P-1\n"


class FakeTerminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def demo_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on its own migrated SQLite file (backups need a file)."""
    with own_sqlite_app(tmp_path / "own.sqlite") as application:
        yield application


def commands(tmp_path: Path) -> list[list[str]]:
    stats, calls = tmp_path / "stats.csv", tmp_path / "calls.csv"
    stats.write_text(STATS_CSV, encoding="utf-8")
    calls.write_text(CALLS_CSV, encoding="utf-8")
    return [
        ["seed-demo"],
        ["import-stats", str(stats)],
        ["import-interactions", str(calls)],
        ["export", "evaluations", str(tmp_path / "out.xlsx")],
        ["integrity", "check"],
        ["backup", "create", str(tmp_path / "copy.sqlite")],
    ]


def test_no_bar_when_stdout_is_not_a_terminal(demo_app: Flask, tmp_path: Path) -> None:
    runner = demo_app.test_cli_runner()
    for args in commands(tmp_path):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (args, result.output)
        assert result.output.strip(), args  # the command's own lines are there
        for mark in BAR_MARKS:
            assert mark not in result.output, (args, mark)


def test_a_terminal_gets_a_bar(
    demo_app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = demo_app.test_cli_runner()
    for args in commands(tmp_path):
        screen = FakeTerminal()
        monkeypatch.setattr(progress, "terminal", lambda screen=screen: screen)
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (args, result.output)
        drawn = screen.getvalue()
        assert "[#" in drawn or "#]" in drawn, (args, drawn)
        assert "100%" in drawn, (args, drawn)
        for mark in BAR_MARKS:
            assert mark not in result.output, (args, mark)


def test_a_file_is_about_as_many_rows_as_it_has_lines() -> None:
    assert progress.estimated_rows(b"a;b\n1;2\n3;4\n") == 3
    assert progress.estimated_rows(b"PK" + b"\0" * 598) == 10
