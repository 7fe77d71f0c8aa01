"""Installing and starting: `pip install -e .` without deprecation warnings from pyproject.toml,
and `make run PORT=…` as the README's "Try it" says."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _pyproject() -> dict[str, object]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))


def test_license_is_an_spdx_string_not_a_deprecated_table() -> None:
    # setuptools ≥ 77 warns on `license = { text = … }` at every install and refuses it from
    # 2027-02-18; the string form needs that setuptools to build.
    project = _pyproject()["project"]
    assert isinstance(project, dict)
    assert project["license"] == "AGPL-3.0-or-later"
    assert not any(key.startswith("License ::") for key in project.get("classifiers", []))
    [setuptools] = [
        need for need in _pyproject()["build-system"]["requires"] if need.startswith("setuptools")
    ]
    minimum = re.fullmatch(r"setuptools>=(\d+)(?:\.\d+)*", setuptools)
    assert minimum is not None and int(minimum.group(1)) >= 77, setuptools


def test_make_run_serves_on_the_port_given() -> None:
    makefile = (ROOT / "Makefile").read_text("utf-8")
    assert re.search(r"^PORT\s*\?=\s*5000$", makefile, re.MULTILINE)
    assert "--port $(PORT)" in makefile
    try_it = (ROOT / "README.md").read_text("utf-8").split("## Try it", 1)[1].split("\n## ", 1)[0]
    assert "make run PORT=" in try_it
