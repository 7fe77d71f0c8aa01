"""The demo centre's customer outcomes show both cases on the criterion validity page: a
clear relation between empathy and CSAT, and none between the scripted closing and CSAT."""

from __future__ import annotations

from datetime import timedelta

import lxml.html
import sqlalchemy as sa
from flask import Flask

from qa_app.database import utcnow
from qa_app.extensions import db
from qa_app.scorecards.models import Scorecard
from tests.conftest import sign_in


def test_the_demo_shows_a_clear_relation_and_none(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        call = db.session.scalar(sa.select(Scorecard.id).where(Scorecard.slug == "inbound-call"))
    browser = app.test_client()
    sign_in(browser, "manager@demo.test", app.config["DEMO_PASSWORD"])
    today = utcnow().date()
    # The whole six months of the demo.
    start = (today - timedelta(days=200)).isoformat()
    response = browser.get(f"/validity/?start={start}&end={today.isoformat()}")
    assert response.status_code == 200
    page = lxml.html.fromstring(response.get_data(as_text=True))
    flags = {
        (row.get("data-criterion"), row.get("data-outcome")): row.get("data-flag")
        for row in page.xpath(f"//tr[@data-scorecard='{call}']")
    }
    assert flags[("empathy", "csat_positive")] == "clear"
    assert flags[("resolution", "csat_positive")] == "clear"
    assert flags[("closing", "csat_positive")] == "none"
    # The default view, the last 90 days, shows both cases too.
    default = lxml.html.fromstring(browser.get("/validity/").get_data(as_text=True))
    shown = {row.get("data-flag") for row in default.xpath("//tr[@data-flag]")}
    assert {"clear", "none"} <= shown
