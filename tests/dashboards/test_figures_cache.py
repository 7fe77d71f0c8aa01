"""The centre dashboard's figures come from the shared cache for up to CACHE_MINUTES: keyed by
the filters, the viewer's scope and a time bucket, with their time on the page and a Refresh
for managers; a cache that cannot be reached only makes the page slower (issue 22)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, template_rendered
from flask.testing import FlaskClient

from qa_app import create_app
from qa_app.auth.models import User
from qa_app.dashboards import figures
from qa_app.dashboards.figures import centre_figures, figures_key, fragment_key
from qa_app.extensions import cache, db
from qa_app.stats.filters import ReportFilters
from tests.conftest import Organisation, make_config, post_form
from tests.support.queries import page_queries

AS_OF = re.compile(r'data-figures-as-of="([^"]+)"')


def use_cache(app: Flask, **config: Any) -> None:
    """Give `app` the cache backend `config` names, in place of the tests' none."""
    cache.init_app(app, config={"CACHE_DEFAULT_TIMEOUT": 600, **config})


@pytest.fixture
def cached_app(app: Flask) -> Flask:
    use_cache(app, CACHE_TYPE="SimpleCache")
    return app


def evaluations_shown(app: Flask, client: FlaskClient, path: str = "/dashboard/centre") -> int:
    """The evaluations the centre page counts over all teams (its table's second column)."""
    page = client.get(path).get_data(as_text=True)
    body = page.split('aria-labelledby="teams-heading"', 1)[1].split("</tbody>", 1)[0]
    counts = re.findall(r'</th><td class="text-end">(\d+)</td>', body)
    return sum(int(count) for count in counts)


def test_figures_are_kept_until_refreshed(
    cached_app: Flask,
    org: Organisation,
    make_evaluation: Callable[..., Any],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    make_evaluation("released")
    manager = sign_in_as(org.manager)
    assert evaluations_shown(cached_app, manager) == 1
    page = manager.get("/dashboard/centre").get_data(as_text=True)
    assert "Figures as of" in page
    first_time = AS_OF.search(page)
    assert first_time is not None
    make_evaluation("released")
    # Within the time bucket the page shows the figures it computed, and says when.
    assert evaluations_shown(cached_app, manager) == 1
    second = manager.get("/dashboard/centre").get_data(as_text=True)
    assert AS_OF.search(second).group(1) == first_time.group(1)  # type: ignore[union-attr]  # found above
    response = post_form(manager, "/dashboard/centre/refresh", token_from="/dashboard/centre")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard/centre")
    assert evaluations_shown(cached_app, manager) == 2


def test_refresh_keeps_the_filters(
    cached_app: Flask, org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    manager = sign_in_as(org.manager)
    query = f"?start=2026-11-01&end=2026-11-30&team_id={org.team_a.id}"
    path = "/dashboard/centre/refresh" + query
    response = post_form(manager, path, token_from="/dashboard/centre")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/dashboard/centre" + query)


def test_a_second_view_reads_no_figures_from_the_database(
    cached_app: Flask,
    org: Organisation,
    make_evaluation: Callable[..., Any],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    make_evaluation("released")
    manager = sign_in_as(org.manager)
    first = page_queries(cached_app, manager, "/dashboard/centre")
    second = page_queries(cached_app, manager, "/dashboard/centre")
    assert second <= first - 5  # the five figure queries (teams, trend, criteria, evaluators)


def test_a_new_time_bucket_computes_the_figures_again(
    cached_app: Flask,
    org: Organisation,
    make_evaluation: Callable[..., Any],
    sign_in_as: Callable[[User], FlaskClient],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_evaluation("released")
    manager = sign_in_as(org.manager)
    monkeypatch.setattr(figures, "time_bucket", lambda now, minutes: 1)
    assert evaluations_shown(cached_app, manager) == 1
    make_evaluation("released")
    assert evaluations_shown(cached_app, manager) == 1
    monkeypatch.setattr(figures, "time_bucket", lambda now, minutes: 2)
    assert evaluations_shown(cached_app, manager) == 2


def test_the_key_holds_every_filter_and_the_scope() -> None:
    base = ReportFilters(datetime(2026, 11, 1).date(), datetime(2026, 11, 30).date())
    variants = [
        base,
        base.with_period(base.start, datetime(2026, 11, 29).date()),
        ReportFilters(base.start, base.end, team_id=1),
        ReportFilters(base.start, base.end, agent_id=1),
        ReportFilters(base.start, base.end, scorecard_id=1),
        ReportFilters(base.start, base.end, channel="chat"),
        ReportFilters(base.start, base.end, statuses=("released",)),
    ]
    keys = {figures_key(filters, "centre", 7) for filters in variants}
    keys.add(figures_key(base, "user:3", 7))
    keys.add(figures_key(base, "centre", 8))
    assert len(keys) == len(variants) + 2
    assert figures_key(base, "centre", 7) == figures_key(
        ReportFilters(base.start, base.end), "centre", 7
    )


def test_another_filter_is_not_served_the_first_ones_figures(
    cached_app: Flask,
    org: Organisation,
    make_evaluation: Callable[..., Any],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    make_evaluation("released")
    manager = sign_in_as(org.manager)
    assert evaluations_shown(cached_app, manager) == 1
    other_team = f"/dashboard/centre?team_id={org.team_b.id}"
    assert evaluations_shown(cached_app, manager, other_team) == 0


@pytest.fixture
def two_instances(app: Flask, tmp_path: Path) -> Iterator[tuple[Flask, Flask]]:
    """Two applications on one database sharing one filesystem cache, as two servers."""
    other = create_app(make_config(app.config["SQLALCHEMY_DATABASE_URI"]))
    for instance in (app, other):
        use_cache(instance, CACHE_TYPE="FileSystemCache", CACHE_DIR=str(tmp_path))
    yield app, other
    with other.app_context():
        db.engine.dispose()


def test_two_instances_share_the_figures(
    two_instances: tuple[Flask, Flask],
    org: Organisation,
    make_evaluation: Callable[..., Any],
) -> None:
    assert_figures_shared(*two_instances, make_evaluation)


def assert_figures_shared(first: Flask, second: Flask, make_evaluation: Callable[..., Any]) -> None:
    """Figures computed by `first` are what `second` serves, though an evaluation came since."""
    make_evaluation("released")
    today = datetime.now(UTC).date()
    filters = ReportFilters(today.replace(day=1), today)
    with first.test_request_context():
        computed = centre_figures(filters, "centre")
    make_evaluation("released")
    with second.test_request_context():
        served = centre_figures(filters, "centre")
    assert served == computed
    assert sum(team.evaluations for team in served.teams) == 1


def test_an_unreachable_cache_only_makes_the_page_slower(
    app: Flask,
    org: Organisation,
    make_evaluation: Callable[..., Any],
    sign_in_as: Callable[[User], FlaskClient],
) -> None:
    # Nothing listens on port 1: every read and write of the cache fails.
    use_cache(app, CACHE_TYPE="RedisCache", CACHE_REDIS_URL="redis://127.0.0.1:1/0")
    make_evaluation("released")
    manager = sign_in_as(org.manager)
    assert manager.get("/dashboard/centre").status_code == 200
    assert evaluations_shown(app, manager) == 1


def test_refresh_wants_a_manager_and_the_form_token(
    cached_app: Flask, org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    supervisor = sign_in_as(org.supervisor_a)
    assert post_form(supervisor, "/dashboard/centre/refresh").status_code == 403
    manager = sign_in_as(org.manager)
    assert manager.post("/dashboard/centre/refresh").status_code == 400  # no CSRF token


def test_the_time_shown_is_the_readers(
    cached_app: Flask, org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    manager = sign_in_as(org.manager)
    page = manager.get("/dashboard/centre").get_data(as_text=True)
    computed = datetime.fromisoformat(AS_OF.search(page).group(1))  # type: ignore[union-attr]  # the page has it
    # The tests' centre time zone is UTC; English (US) shows "2:05 PM" (CLDR puts a narrow
    # no-break space before PM).
    shown = computed.strftime("%-I:%M\u202f%p")
    assert f"Figures as of {shown}" in page


def test_a_period_within_one_month_has_a_trend(
    app: Flask, org: Organisation, sign_in_as: Callable[[User], FlaskClient]
) -> None:
    # The trend's month is a CASE over the month edges; one month has none (was a 500).
    manager = sign_in_as(org.manager)
    assert manager.get("/dashboard/centre?start=2026-11-01&end=2026-11-30").status_code == 200


FRAGMENT = "dashboards/_centre_figures.html"


@pytest.fixture
def renders(cached_app: Flask) -> Iterator[list[str]]:
    """The names of the templates rendered while the test runs, in order."""
    names: list[str] = []

    def record(sender: Flask, template: Any, context: dict[str, Any], **extra: Any) -> None:
        names.append(template.name)

    with template_rendered.connected_to(record, cached_app):
        yield names


@pytest.fixture
def computations(monkeypatch: pytest.MonkeyPatch) -> list[ReportFilters]:
    """The filters of every computation of the centre's figures while the test runs."""
    done: list[ReportFilters] = []
    compute = figures.compute_centre_figures

    def counted(filters: ReportFilters) -> figures.CentreFigures:
        done.append(filters)
        return compute(filters)

    monkeypatch.setattr(figures, "compute_centre_figures", counted)
    return done


@pytest.fixture
def manager(
    cached_app: Flask,
    org: Organisation,
    make_evaluation: Callable[..., Any],
    sign_in_as: Callable[[User], FlaskClient],
) -> FlaskClient:
    """The manager signed in, in a centre with one released evaluation."""
    make_evaluation("released")
    return sign_in_as(org.manager)


def figures_part(page: str) -> str:
    """The figures of a centre page: from the teams panel to the end of the content."""
    return page.split('<section class="mb-4" aria-labelledby="teams-heading"', 1)[1]


def test_the_rendered_figures_are_kept_beside_them(
    cached_app: Flask,
    manager: FlaskClient,
    renders: list[str],
) -> None:
    first = manager.get("/dashboard/centre").get_data(as_text=True)
    assert renders.count(FRAGMENT) == 1
    second = manager.get("/dashboard/centre").get_data(as_text=True)
    # Formatting every team's and evaluator's numbers again is what grew with the centre.
    assert renders.count(FRAGMENT) == 1
    assert renders.count("dashboards/centre.html") == 2
    assert figures_part(second) == figures_part(first)
    assert evaluations_shown(cached_app, manager) == 1


def test_each_language_renders_the_one_computation_of_the_figures(
    cached_app: Flask,
    org: Organisation,
    manager: FlaskClient,
    renders: list[str],
    computations: list[ReportFilters],
) -> None:
    english = manager.get("/dashboard/centre").get_data(as_text=True)
    with cached_app.app_context():
        user = db.session.get(User, org.manager.id)
        assert user is not None
        user.locale = "de"
        db.session.commit()
    german = manager.get("/dashboard/centre").get_data(as_text=True)
    assert len(computations) == 1
    assert renders.count(FRAGMENT) == 2  # one rendering per language, never another's
    assert "Teams compared" in figures_part(english)
    assert "Teams im Vergleich" in figures_part(german)
    assert "Teams compared" not in figures_part(german)
    assert evaluations_shown(cached_app, manager) == 1


def test_another_time_zone_is_not_served_the_first_ones_rendering(
    cached_app: Flask,
    manager: FlaskClient,
    renders: list[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    babel = cached_app.extensions["babel"]
    manager.get("/dashboard/centre")
    monkeypatch.setattr(babel, "default_timezone", "Europe/Helsinki")  # the centre's QA_TIMEZONE
    manager.get("/dashboard/centre")
    assert renders.count(FRAGMENT) == 2
    monkeypatch.setattr(babel, "default_timezone", "UTC")
    manager.get("/dashboard/centre")
    assert renders.count(FRAGMENT) == 2


def test_a_refresh_renders_the_new_figures(
    cached_app: Flask,
    manager: FlaskClient,
    make_evaluation: Callable[..., Any],
    renders: list[str],
) -> None:
    assert evaluations_shown(cached_app, manager) == 1
    make_evaluation("released")
    response = post_form(manager, "/dashboard/centre/refresh", token_from="/dashboard/centre")
    assert response.status_code == 302
    assert evaluations_shown(cached_app, manager) == 2
    assert renders.count(FRAGMENT) == 2


def test_the_rendering_key_holds_the_computation_language_and_zone() -> None:
    filters = ReportFilters(datetime(2026, 11, 1).date(), datetime(2026, 11, 30).date())
    at = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    later = datetime(2026, 12, 7, 10, 1, tzinfo=UTC)
    keys = {
        fragment_key(filters, "centre", at, "en", "UTC"),
        fragment_key(filters, "centre", later, "en", "UTC"),
        fragment_key(filters, "centre", at, "de", "UTC"),
        fragment_key(filters, "centre", at, "en_GB", "UTC"),
        fragment_key(filters, "centre", at, "en", "Europe/Helsinki"),
        fragment_key(filters, "user:3", at, "en", "UTC"),
        fragment_key(
            ReportFilters(filters.start, filters.end, team_id=1), "centre", at, "en", "UTC"
        ),
    }
    assert len(keys) == 7
    assert fragment_key(filters, "centre", at, "en", "UTC") == fragment_key(
        ReportFilters(filters.start, filters.end), "centre", at, "en", "UTC"
    )
