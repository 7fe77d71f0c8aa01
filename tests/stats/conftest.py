"""Fixtures of the statistics tests."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from qa_app.auth.models import User
from qa_app.extensions import db
from qa_app.stats.importer import StatsReport, import_stats
from tests.conftest import Organisation
from tests.support.imports import import_as


@pytest.fixture
def importer(app: Flask, org: Organisation) -> Any:
    """Run an import as the admin; commits on success, rolls back and re-raises on failure."""
    with app.app_context():
        db.session.get(User, org.agent_a1.id).external_id = "A-1"
        db.session.get(User, org.agent_b1.id).external_id = "B-1"
        db.session.commit()

    def run(
        text: str | bytes,
        *,
        filename: str = "stats.csv",
        dry_run: bool = False,
        source: str = "acd",
        max_rows: int = 1000,
        max_bytes: int = 1_000_000,
        encoding: str = "utf-8",
    ) -> StatsReport:
        data = text.encode(encoding) if isinstance(text, str) else text
        return import_as(
            app,
            org.admin.id,
            import_stats,
            data,
            filename,
            source=source,
            max_bytes=max_bytes,
            max_rows=max_rows,
            dry_run=dry_run,
        )

    return run
