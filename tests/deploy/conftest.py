"""The app servers' logs go with a failure of a test that ran them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.app_servers import AppServers


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Add the end of each server's log to the report of a failed test that used them."""
    report = yield
    servers = getattr(item, "funcargs", {}).get("servers")
    if report.failed and isinstance(servers, AppServers):
        report.sections.append(("app servers' logs", servers.logs()))
    return report
