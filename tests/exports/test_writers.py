"""The pure parts of the exports: formula injection, file names, the workbook writers."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from openpyxl.cell import WriteOnlyCell
from openpyxl.worksheet import _writer

from qa_app.exports.download_names import download_name
from qa_app.exports.formula_injection import MAX_CELL_TEXT, cell_text, needs_quote_prefix
from qa_app.exports.rows import (
    AgentSummary,
    AnswerRow,
    CriterionColumn,
    EvaluationRow,
    KpiColumn,
    with_answers,
)
from qa_app.exports.workbook import write_evaluations_workbook
from qa_app.stats.criteria import CriteriaRow
from qa_app.stats.performance import mean_with_interval, mean_with_interval_from_sums
from tests.support.exports_data import PAYLOADS
from tests.support.workbooks import check_print_setup, check_text_cells

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
MORE_PAYLOADS = [
    *PAYLOADS,
    " =1+1",
    "\n=1+1",
    "\uff1d1+1",  # full-width equals sign
    "#N/A",
    "=",
    "-",
]


def evaluation(number: int, text: str | None = None) -> EvaluationRow:
    return EvaluationRow(
        number, datetime(2026, 11, number), datetime(2026, 11, number), text or "Ann", text,
        text or "Sam", text or "Card", 1, "phone", text, "released", 75.0, 75.0, False, False,
        text, text, text,
    )  # fmt: skip


def answer(evaluation_id: int, key: str, text: str | None = None) -> AnswerRow:
    return AnswerRow(evaluation_id, key, text or key, text, "yes_no", 1.0, 1.0, False, text)


def write(payload: str, out: io.BytesIO | None = None, **overrides: object) -> io.BytesIO:
    """A workbook with `payload` in every text cell there is."""
    out = out or io.BytesIO()
    arguments: dict[str, object] = {
        "summaries": [
            AgentSummary(payload, payload, payload, 1, 75.0, 1, None, None, 1.0, 0, {}, None, None)
        ],
        "kpi_columns": [KpiColumn("csat_pct", payload, "0.0%")],
        "criteria": [CriterionColumn("greeting", payload, payload)],
        "evaluations": with_answers([evaluation(1, payload)], [answer(1, "greeting", payload)]),
        "matrix": [CriteriaRow(payload, {"greeting": 1.0}, {"greeting": 1})],
        "description": payload,
    }
    arguments.update(overrides)
    with tempfile.TemporaryDirectory() as scratch:
        write_evaluations_workbook(out, scratch=Path(scratch), **arguments)  # type: ignore[arg-type]
    out.seek(0)
    return out


@pytest.mark.parametrize("payload", MORE_PAYLOADS)
def test_text_that_reads_like_a_formula_is_kept_and_quote_prefixed(payload: str) -> None:
    assert cell_text(payload) == payload
    assert needs_quote_prefix(payload)


@pytest.mark.parametrize("text", ["Greeting", "ok - fine", "a+b", "e-mail@x", " plain", ""])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert cell_text(text) == text
    assert not needs_quote_prefix(text)


def test_characters_excel_refuses_are_replaced_and_long_text_is_cut() -> None:
    assert cell_text("a\x00b\x08c\x0bd\x1fe\tf\ng") == "a\ufffdb\ufffdc\ufffdd\ufffde\tf\ng"
    long = cell_text("x" * 40_000)
    assert len(long) == MAX_CELL_TEXT and long.endswith("…")


@pytest.mark.parametrize("payload", [*MORE_PAYLOADS, "bell \x07 and null \x00"])
def test_no_payload_becomes_a_formula_in_any_cell(payload: str) -> None:
    data = write(payload).getvalue()
    cells = check_text_cells(data)
    text = cell_text(payload)
    seen = [
        cell
        for sheet in cells.book.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value == text
    ]
    assert len(seen) >= 15  # names, teams, labels, references, comments, headers from KPIs
    # As typed, a string cell, and quote-prefixed exactly when it reads like a formula.
    assert all(cell.data_type == "s" for cell in seen)
    assert all(bool(cell.quotePrefix) == needs_quote_prefix(text) for cell in seen)
    assert (cells.quoted != []) == needs_quote_prefix(text)
    assert cells.book.properties.description == text


def test_what_openpyxl_would_do_without_the_writer() -> None:
    # The reason the writer builds its own cells: openpyxl itself stores text beginning with
    # "=" as a formula, and the quote-prefix style alone does not stop it.
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("x")
    cell = WriteOnlyCell(sheet, "=1+1")
    cell.quotePrefix = True
    sheet.append(["=1+1", cell])
    out = io.BytesIO()
    book.save(out)
    cells = next(openpyxl.load_workbook(out)["x"].iter_rows())
    assert [(cell.value, cell.data_type) for cell in cells] == [("=1+1", "f"), ("=1+1", "f")]


def test_every_sheet_is_set_up_to_print_and_the_chart_has_a_sheet_of_its_own() -> None:
    book = openpyxl.load_workbook(write("Ann"))
    check_print_setup(book)
    assert book.sheetnames == ["Summary", "Evaluations", "Answers", "Criteria", "Training", "Chart"]
    assert all(sheet._charts == [] for sheet in book.worksheets)
    (chart,) = book["Chart"]._charts
    assert chart.series[0].val.numRef.f == "'Summary'!$E$2"  # the one agent's QA average


def test_a_workbook_without_agents_still_has_its_chart_sheet() -> None:
    book = openpyxl.load_workbook(write("Ann", summaries=[]))
    assert book.sheetnames[-1] == "Chart" and len(book["Chart"]._charts) == 1


@pytest.mark.parametrize(
    ("parts", "name"),
    [
        (
            ("qa-evaluations", "2026-11-01", "2026-11-30"),
            "qa-evaluations_2026-11-01_2026-11-30.xlsx",
        ),
        (("qa-feedback", 'Ann "A" O\'Neil\r\nX-Evil: 1'), "qa-feedback_Ann-A-O-Neil-X-Evil-1.xlsx"),
        (("qa-feedback", "../../etc/passwd"), "qa-feedback_etc-passwd.xlsx"),
        (("qa-feedback", "Jürgen Müller"), "qa-feedback_Jürgen-Müller.xlsx"),
        (("", "\r\n"), "export.xlsx"),
    ],
)
def test_download_names_are_safe(parts: tuple[str, ...], name: str) -> None:
    assert download_name(*parts) == name


def test_answers_are_paired_with_their_evaluation() -> None:
    evaluations = [evaluation(1), evaluation(2), evaluation(4)]
    answers = [answer(1, "a"), answer(1, "b"), answer(3, "orphan"), answer(4, "a")]
    paired = [
        (e.id, [a.criterion_key for a in own]) for e, own in with_answers(evaluations, answers)
    ]
    assert paired == [(1, ["a", "b"]), (2, []), (4, ["a"])]


def test_a_failed_export_leaves_no_temporary_files() -> None:
    def evaluations() -> Iterator[tuple[EvaluationRow, list[AnswerRow]]]:
        yield evaluation(1), [answer(1, "greeting")]
        raise RuntimeError("database went away")

    # openpyxl lists each sheet's temporary file here until it deletes the file.
    temporary_files = _writer.ALL_TEMP_FILES
    before = list(temporary_files)
    with pytest.raises(RuntimeError, match="database went away"):
        write("x", evaluations=evaluations())
    assert temporary_files == before
    write("x")
    assert temporary_files == before


def test_progress_is_reported_per_evaluation() -> None:
    seen: list[int] = []
    write("x", evaluations=with_answers([evaluation(1), evaluation(2)], []), progress=seen.append)
    assert seen == [1, 1]


@pytest.mark.parametrize(
    "values", [[], [72.5], [40, 50], [100, 100, 100], [55.5, 80, 91.25, 100, 0, 62.5]]
)
def test_the_interval_from_sql_sums_is_the_interval_from_the_values(values: list[float]) -> None:
    expected = mean_with_interval(values)
    result = mean_with_interval_from_sums(
        len(values), sum(values), sum(value * value for value in values)
    )
    assert result.n == expected.n
    for field in ("mean", "low", "high"):
        assert getattr(result, field) == pytest.approx(getattr(expected, field), abs=1e-6)
