"""Workbooks exported in each language open in LibreOffice with their translated sheet names
and headers, numbers as numbers and dates as dates (not text).

Each language's workbook is converted by LibreOffice, headless, in a private profile: to
.xlsx (read back with openpyxl: the cell types LibreOffice kept) and to one CSV per sheet
(the text LibreOffice shows: dates in the language's own order). Outside CI the test skips
when LibreOffice (Debian's libreoffice-calc-nogui) is missing; under CI=true it must run.
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask import Flask
from flask_babel import force_locale
from flask_babel import gettext as _

from qa_app.exports.workbook import EVALUATION_HEAD, EVALUATIONS, EVALUATIONS_SHEETS
from tests.conftest import Organisation
from tests.support.exports_data import WEEK, days, seed_export_data

# LibreOffice's CSV filter: comma, double quote, UTF-8, from line 1, default column types,
# English (US) for the conversion, quote text, detect special numbers, save as shown,
# export formulas, no BOM, every sheet to a file of its own ("-1").
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,true,true,true,false,false,-1"
DISPLAYED_DATE = {
    "en": r"\d\d/\d\d/\d{4} \d{1,2}:\d\d [AP]M",
    "en_GB": r"\d\d/\d\d/\d{4} \d\d:\d\d",
    "de": r"\d\d\.\d\d\.\d{4} \d\d:\d\d",
}
SECONDS = 300


def _soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        missing = "LibreOffice (soffice) is not installed: apt-get install libreoffice-calc-nogui"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true but {missing}: the LibreOffice test must run")
        pytest.skip(missing)
    return found


def _convert(soffice: str, target: str, files: list[Path], outdir: Path, profile: Path) -> None:
    outdir.mkdir()
    subprocess.run(  # noqa: S603 - LibreOffice found on PATH, our own files
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            target,
            "--outdir",
            str(outdir),
            *map(str, files),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )


# What is checked here is LibreOffice's reading of the files, not the database: one run.
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_libreoffice_opens_every_language_with_its_names_numbers_and_dates(
    app: Flask,
    org: Organisation,
    make_scorecard: Any,
    make_evaluation: Any,
    runner: Any,
    tmp_path: Path,
) -> None:
    soffice = _soffice()
    seed_export_data(app, org, make_scorecard, make_evaluation)
    languages = list(app.config["LANGUAGES"])
    exported = tmp_path / "exported"
    exported.mkdir()
    for language in languages:
        out = exported / f"qa-{language}.xlsx"
        result = runner.invoke(
            args=["export", "evaluations", str(out), *days(*WEEK), "--lang", language]
        )
        assert result.exit_code == 0, result.output
    files = sorted(exported.iterdir())
    profile = tmp_path / "profile"
    _convert(soffice, "xlsx", files, tmp_path / "xlsx", profile)
    _convert(soffice, CSV_FILTER, files, tmp_path / "csv", profile)
    for language in languages:
        with app.test_request_context(), force_locale(language):
            sheets = [_(name) for name in EVALUATIONS_SHEETS]
            headers = [_(column.header) for column in EVALUATION_HEAD]
        book = openpyxl.load_workbook(tmp_path / "xlsx" / f"qa-{language}.xlsx")
        assert book.sheetnames == sheets, language
        evaluations = book[sheets[EVALUATIONS_SHEETS.index(EVALUATIONS)]]
        header = [cell.value for cell in evaluations[1]]
        assert header[: len(headers)] == headers, language
        rows = list(evaluations.iter_rows(min_row=2, values_only=True))
        assert len(rows) == 6, language
        for row in rows:
            by_header = dict(zip(header, row, strict=True))
            assert isinstance(by_header[headers[0]], int), language  # Evaluation id
            assert isinstance(by_header[headers[1]], datetime), language  # Submitted
            assert isinstance(by_header[headers[11]], int | float), language  # Score
        summary = book[sheets[0]]
        aht = summary.cell(row=2, column=11).value  # a duration: a time, not text
        assert aht is not None and not isinstance(aht, str), language
        shown = tmp_path / "csv" / f"qa-{language}-{sheets[1]}.csv"
        with shown.open(encoding="utf-8", newline="") as handle:
            lines = list(csv.reader(handle))
        assert lines[0][: len(headers)] == headers, language
        submitted = lines[1][1]
        pattern = DISPLAYED_DATE.get(language, DISPLAYED_DATE["de"])
        assert re.fullmatch(pattern, submitted), (language, submitted)
