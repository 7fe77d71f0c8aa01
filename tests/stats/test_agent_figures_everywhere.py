"""One figure everywhere (DESIGN.md "Combined performance"): every surface that shows an
agent's figures — the agent page, the agent's home page, the team dashboard, the API, `report
agent`, the Summary sheet and the feedback workbook — shows the same numbers, because they
all take them from `stats.agent_performance`.

The first test recomputes each agent's figures here, by hand, from the answers and the daily
totals written below (DESIGN.md's formulas, not the app's functions), and reads them back
from every surface: JSON and XLSX numbers must be identical across surfaces (and equal the
hand computation up to floating-point summation order); HTML must show them at its display
rounding. The second test replaces the one function's core with distinctive numbers and
finds them on every surface, so no surface can have a path of its own.

The centre dashboard is not among the surfaces: it shows teams and evaluators, no agent.
"""

from __future__ import annotations

import io
import json
import math
import re
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from openpyxl.utils.datetime import from_excel
from scipy import stats as scipy_stats

from qa_app.auth.models import Role, User
from qa_app.extensions import db
from qa_app.scorecards.models import Scorecard
from qa_app.stats import agent_performance as agent_performance_module
from qa_app.stats.agent_performance import AgentPerformance
from qa_app.stats.kpis import KpiTotals
from qa_app.stats.models import AgentDailyStat, KpiTarget
from qa_app.stats.performance import Composite, MeanWithInterval, Target
from qa_app.teams.models import Team
from tests.conftest import Organisation, post_form, scorecard_text

CALL_TOML = scorecard_text("figures-call")

# Every criterion may be N/A, so that an evaluation can be all N/A (score null).
CHAT_TOML = scorecard_text("figures-chat")

PASS_MARK = 80


@dataclass(frozen=True)
class Scored:
    """An evaluation to make, with its score worked out by hand (DESIGN.md "Scoring math")."""

    agent: str
    card: str
    answers: dict[str, Any]
    score: float | None
    auto_failed: bool = False
    days_ago: int = 0  # submitted this many days before now


# Call card: greeting r ∈ {0, 1} (w 1), empathy (v − 1)/4 (w 2), verification (w 1); no
# section weights, so the score is Σ w·r / Σ w over the answered criteria. Chat card:
# greeting (w 1), accuracy v/4 (w 1).
EVALUATIONS = [
    # A1: 100, 62.5, auto-failed 0 (raw 50), an all-N/A (null), and 37.5 outside the period.
    Scored("agent_a1", "call", {"greeting": True, "empathy": 5, "verification": True}, 100.0),
    # (0 + 2 × 0.75 + 1) / 4 = 62.5
    Scored("agent_a1", "call", {"greeting": False, "empathy": 4, "verification": True}, 62.5),
    Scored(
        "agent_a1",
        "call",
        {"greeting": True, "empathy": 3, "verification": False},
        0.0,
        auto_failed=True,
    ),
    Scored("agent_a1", "chat", {"greeting": None, "accuracy": None}, None),
    # (0 + 2 × 0.25 + 1) / 4 = 37.5, submitted 120 days ago
    Scored(
        "agent_a1",
        "call",
        {"greeting": False, "empathy": 2, "verification": True},
        37.5,
        days_ago=120,
    ),
    # A2: 87.5 and (1 + 0.5) / 2 = 75: two evaluations, below MIN_EVALUATIONS.
    Scored("agent_a2", "call", {"greeting": True, "empathy": 4, "verification": True}, 87.5),
    Scored("agent_a2", "chat", {"greeting": True, "accuracy": 2}, 75.0),
    # B1: 87.5, 100, (0 + 2 + 1) / 4 = 75.
    Scored("agent_b1", "call", {"greeting": True, "empathy": 4, "verification": True}, 87.5),
    Scored("agent_b1", "call", {"greeting": True, "empathy": 5, "verification": True}, 100.0),
    Scored("agent_b1", "call", {"greeting": False, "empathy": 5, "verification": True}, 75.0),
    # Solo (no team): (1 + 0.75) / 2 = 87.5.
    Scored("agent_solo", "chat", {"greeting": True, "accuracy": 3}, 87.5),
]

STAT_FIELDS = (
    "contacts_handled", "handle_seconds", "logged_in_seconds", "csat_responses",
    "csat_positive", "nps_responses", "nps_promoters", "nps_detractors", "fcr_eligible",
    "fcr_resolved",
)  # fmt: skip

# (agent, days ago, channel, totals in STAT_FIELDS order). Only the all-channel rows of the
# period count; the phone row and the day 100 days ago must not.
STATISTICS = [
    ("agent_a1", 1, "all", (30, 12_000, 18_000, 10, 7, 10, 4, 2, 20, 14)),
    ("agent_a1", 2, "all", (10, 5_000, 3_600, 0, 0, 0, 0, 0, 0, 0)),
    ("agent_a1", 1, "phone", (30, 12_000, 18_000, 10, 7, 10, 4, 2, 20, 14)),
    ("agent_a1", 100, "all", (500, 10_000, 36_000, 50, 50, 50, 50, 0, 50, 50)),
    ("agent_a2", 1, "all", (20, 4_000, 7_200, 10, 10, 0, 0, 0, 0, 0)),
    # B1's NPS (11 − 1) / 20 = 50 beats the target 30: attainment 1.25 in the KPI index, 1.0
    # in the composite's K.
    ("agent_b1", 1, "all", (30, 9_000, 18_000, 10, 8, 10, 8, 0, 10, 7)),
    ("agent_b1", 3, "all", (20, 6_000, 10_800, 10, 7, 10, 3, 1, 20, 14)),
    ("agent_b2", 2, "all", (10, 2_000, 3_600, 0, 0, 0, 0, 0, 0, 0)),
]

# The defaults until a manager sets targets (README "KPI targets"); then the centre's CSAT
# target of 80 and team B's AHT target of 240 s with weight 2.
DEFAULT_TARGETS = {
    "aht_seconds": (360, "lower", 1.0),
    "contacts_per_hour": (8, "higher", 1.0),
    "csat_pct": (85, "higher", 1.0),
    "nps": (30, "higher", 1.0),
    "fcr_pct": (75, "higher", 1.0),
}
CENTRE_TARGETS = {"csat_pct": (80, "higher", 1.0)}
TEAM_B_TARGETS = {"aht_seconds": (240, "lower", 2.0)}
KPI_KEYS = list(DEFAULT_TARGETS)
KPI_LABELS = {
    "aht_seconds": "Average handle time",
    "contacts_per_hour": "Contacts per hour",
    "csat_pct": "CSAT",
    "nps": "NPS",
    "fcr_pct": "First contact resolution",
}
PERCENT_KPIS = ("csat_pct", "fcr_pct")
XLSX_DIGITS = 1e-15  # openpyxl writes floats with 16 significant digits, repr has up to 17
# Two-sided 95% Student t quantiles t(0.975, n − 1) for the n used here, from SciPy (the
# printed tables' 12.706, 4.303 and 3.182 to three decimals).
T95 = {n: float(scipy_stats.t.ppf(0.975, n - 1)) for n in (2, 3, 4)}
QA_WEIGHT, KPI_WEIGHT, MIN_EVALUATIONS = 60, 40, 3
AGENTS = ("agent_a1", "agent_a2", "agent_b1", "agent_b2", "agent_solo")


# ------------------------------------------------------------------ the centre and its data


@dataclass
class Centre:
    """The people, the period and the raw rows."""

    people: dict[str, User]
    start: date
    end: date
    team_of: dict[str, str | None] = field(default_factory=dict)


@pytest.fixture
def centre(
    app: Flask,
    org: Organisation,
    make_user: Callable[..., User],
    make_scorecard: Callable[..., Any],
    make_evaluation: Callable[..., Any],
) -> Centre:
    """Org's two teams plus an agent without a team; the evaluations and statistics above."""
    make_scorecard(CALL_TOML)
    make_scorecard(CHAT_TOML)
    people = {
        key: org.member(key) for key in ("manager", "supervisor_a", "supervisor_b", *AGENTS[:4])
    }
    people["agent_solo"] = make_user(Role.AGENT, email="solo@example.test", display_name="Solo")
    with app.app_context():
        end = datetime.now(UTC).date()  # the centre's time zone is UTC in the tests
        cards = {card.slug.split("-")[1]: card for card in db.session.scalars(sa.select(Scorecard))}
        live = {key: db.session.get(User, user.id) for key, user in people.items()}
        evaluator = live["manager"]
        for scored in EVALUATIONS:
            evaluation = make_evaluation(
                commit=False,
                agent=live[scored.agent],
                evaluator=evaluator,
                scorecard=cards[scored.card].slug,
                answers=scored.answers,
                occurred_at=datetime.now(UTC) - timedelta(days=scored.days_ago, hours=1),
                channel="phone" if scored.card == "call" else "chat",
                duration_seconds=None,
            )
            if scored.days_ago:
                evaluation.submitted_at = datetime.now(UTC) - timedelta(days=scored.days_ago)
            # The scoring engine agrees with the hand computation above.
            assert (evaluation.score, evaluation.auto_failed) == (scored.score, scored.auto_failed)
        for agent, days_ago, channel, values in STATISTICS:
            db.session.add(
                AgentDailyStat(
                    agent_id=live[agent].id,
                    day=end - timedelta(days=days_ago),
                    channel=channel,
                    **dict(zip(STAT_FIELDS, values, strict=True)),
                )
            )
        for kpi, (value, direction, weight) in CENTRE_TARGETS.items():
            db.session.add(KpiTarget(team_id=None, kpi=kpi, target=value, direction=direction,
                                     weight=weight))  # fmt: skip
        for kpi, (value, direction, weight) in TEAM_B_TARGETS.items():
            db.session.add(KpiTarget(team_id=org.team_b.id, kpi=kpi, target=value,
                                     direction=direction, weight=weight))  # fmt: skip
        db.session.commit()
        teams = dict(db.session.execute(sa.select(Team.id, Team.name)).all())
        team_of = {key: teams.get(db.session.get(User, people[key].id).team_id) for key in AGENTS}
    return Centre(people, end - timedelta(days=89), end, team_of)


# ------------------------------------------------------- the figures, worked out by hand


@dataclass(frozen=True)
class Expected:
    """An agent's figures from DESIGN.md's formulas."""

    evaluations: int
    qa: tuple[float | None, int, float | None, float | None]  # mean, n, low, high
    pass_rate: float | None
    critical_failures: int
    kpis: dict[str, float | None]
    team_kpis: dict[str, float | None]
    targets: dict[str, tuple[float, str, float]]
    attainments: dict[str, float | None]
    kpi_index: float | None
    composite: float | None
    composite_flags: list[str]


# The flags' words on the pages and in the workbooks.
FLAG_WORDS = {
    "below_pass_mark": "QA below the pass mark",
    "critical_failure": "Critical failure in the period",
}


def _sums(agents: list[str], start: date, end: date, today: date) -> dict[str, int]:
    rows = [
        values
        for agent, days_ago, channel, values in STATISTICS
        if agent in agents and channel == "all" and start <= today - timedelta(days_ago) <= end
    ]
    return {name: sum(row[i] for row in rows) for i, name in enumerate(STAT_FIELDS)}


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def _kpis(s: dict[str, int]) -> dict[str, float | None]:
    """DESIGN.md "KPI math": one ratio of the sums, None without a denominator."""
    return {
        "aht_seconds": _ratio(s["handle_seconds"], s["contacts_handled"]),
        "contacts_per_hour": _ratio(s["contacts_handled"], s["logged_in_seconds"] / 3600),
        "csat_pct": _ratio(100 * s["csat_positive"], s["csat_responses"]),
        "nps": _ratio(100 * (s["nps_promoters"] - s["nps_detractors"]), s["nps_responses"]),
        "fcr_pct": _ratio(100 * s["fcr_resolved"], s["fcr_eligible"]),
    }


def _attainment(actual: float | None, target: tuple[float, str, float], cap: float) -> float | None:
    if actual is None:
        return None
    value, direction, _ = target
    ratio = actual / value if direction == "higher" else value / actual
    return min(cap, max(0.0, ratio))


def _index(attainments: dict[str, float | None], targets: dict[str, Any]) -> float | None:
    pairs = [(targets[k][2], a) for k, a in attainments.items() if a is not None]
    weight = sum(w for w, _ in pairs)
    return 100 * sum(w * a for w, a in pairs) / weight if weight else None


def expected_figures(centre: Centre, agent: str) -> Expected:
    """The agent's figures over the centre's period, from the tables at the top."""
    scores = [
        e for e in EVALUATIONS if e.agent == agent and e.days_ago < 90
    ]  # the period is the last 90 days
    values = [e.score for e in scores if e.score is not None]
    n = len(values)
    mean = statistics.fmean(values) if values else None
    low = high = None
    if n >= 2:
        half = T95[n] * statistics.stdev(values) / math.sqrt(n)
        low, high = max(0.0, mean - half), min(100.0, mean + half)
    verdicts = [e.score >= PASS_MARK for e in scores if e.score is not None]
    team = centre.team_of[agent]
    targets = {**DEFAULT_TARGETS, **CENTRE_TARGETS, **(TEAM_B_TARGETS if team == "Team B" else {})}
    kpis = _kpis(_sums([agent], centre.start, centre.end, centre.end))
    members = [a for a in AGENTS if team is not None and centre.team_of[a] == team]
    team_kpis = _kpis(_sums(members, centre.start, centre.end, centre.end))
    attainments = {k: _attainment(kpis[k], targets[k], 1.25) for k in KPI_KEYS}
    index = _index(attainments, targets)
    # DESIGN.md: the composite's K caps each attainment at 1.0 (B1's NPS: 1.25 in the index).
    capped = _index({k: _attainment(kpis[k], targets[k], 1.0) for k in KPI_KEYS}, targets)
    composite = None
    if mean is not None and capped is not None and n >= MIN_EVALUATIONS:
        composite = (QA_WEIGHT * mean + KPI_WEIGHT * capped) / (QA_WEIGHT + KPI_WEIGHT)
    # Flagged below the pass mark or with any critical failure, with or without a composite.
    flags = []
    if mean is not None and mean < PASS_MARK:
        flags.append("below_pass_mark")
    if any(e.auto_failed for e in scores):
        flags.append("critical_failure")
    return Expected(
        evaluations=len(scores),
        qa=(mean, n, low, high),
        pass_rate=sum(verdicts) / len(verdicts) if verdicts else None,
        critical_failures=sum(e.auto_failed for e in scores),
        kpis=kpis,
        team_kpis=team_kpis,
        targets=targets,
        attainments=attainments,
        kpi_index=index,
        composite=composite,
        composite_flags=flags,
    )


# ----------------------------------------------------------------- reading each surface


class _Page(HTMLParser):
    """A page's text, and its tables' rows as lists of cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def page(client: FlaskClient, path: str) -> _Page:
    response = client.get(path)
    assert response.status_code == 200, path
    parsed = _Page()
    parsed.feed(response.get_data(as_text=True))
    parsed.text = [" ".join(" ".join(parsed.text).split())]
    return parsed


def period(centre: Centre) -> str:
    return f"from={centre.start.isoformat()}&to={centre.end.isoformat()}"


QA_CARD = re.compile(
    r"(?P<mean>[\d.]+)(?: ± (?P<half>[\d.]+))? mean of (?P<n>\d+) evaluations?"
    r"(?:; 95% interval (?P<low>[\d.]+)–(?P<high>[\d.]+))?"
)


def qa_shown(text: str) -> dict[str, str | None]:
    """The QA mean, its ±, n and interval as a page's card shows them."""
    match = QA_CARD.search(text)
    if match is None:
        return {"mean": "–", "half": None, "n": "0", "low": None, "high": None}
    return match.groupdict()


def kpi_table(parsed: _Page) -> dict[str, list[str]]:
    """The KPI table's rows by KPI label: agent n=…, team, target, attainment."""
    labels = set(KPI_LABELS.values())
    return {row[0]: row[1:] for row in parsed.rows if row and row[0] in labels}


def agent_page_figures(client: FlaskClient, centre: Centre, agent_id: int) -> dict[str, Any]:
    parsed = page(client, f"/stats/agents/{agent_id}?{period(centre)}")
    text = parsed.text[0]
    index = re.search(r"KPI index (\S+) weighted mean", text)
    composite = re.search(r"Composite (\S+) ", text)
    assert index and composite
    return {
        "qa": qa_shown(text),
        "kpi_index": index.group(1),
        "composite": composite.group(1),
        "composite_flags": [flag for flag, words in FLAG_WORDS.items() if words in text],
        "kpis": kpi_table(parsed),
    }


def home_page_figures(client: FlaskClient) -> dict[str, Any]:
    parsed = page(client, "/")
    return {"qa": qa_shown(parsed.text[0]), "kpis": kpi_table(parsed)}


def team_dashboard_rows(client: FlaskClient, centre: Centre) -> dict[str, list[str]]:
    """The agents table's rows by agent name."""
    parsed = page(
        client, f"/dashboard/team?start={centre.start.isoformat()}&end={centre.end.isoformat()}"
    )
    header = next(row for row in parsed.rows if row and row[0].startswith("Agent"))
    width = len(header)
    names = {user.display_name for user in centre.people.values()}
    return {row[0]: row for row in parsed.rows if len(row) == width and row[0] in names}


def workbook(response: Any) -> openpyxl.Workbook:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return openpyxl.load_workbook(io.BytesIO(response.data))


def post_workbook(client: FlaskClient, path: str, form: dict[str, str]) -> openpyxl.Workbook:
    response = post_form(client, path, form, token_from=path)
    response.get_data()
    response.close()
    return workbook(response)


def summary_sheet(client: FlaskClient, centre: Centre) -> dict[str, dict[str, Any]]:
    """The Summary sheet's rows by e-mail, as dicts by header."""
    form = {
        "start": centre.start.isoformat(),
        "end": centre.end.isoformat(),
        "team_id": "0",
        "agent_id": "0",
        "scorecard": "",
        "channel": "",
    }
    rows = post_workbook(client, "/exports/", form)["Summary"].iter_rows(values_only=True)
    header = next(rows)
    return {row[1]: dict(zip(header, row, strict=True)) for row in rows if row[1]}


def feedback_overview(client: FlaskClient, centre: Centre, agent_id: int) -> dict[str, Any]:
    """The Overview sheet: its figures by label, and its KPI rows by KPI label."""
    form = {
        "agent_id": str(agent_id),
        "start": centre.start.isoformat(),
        "end": centre.end.isoformat(),
    }
    sheet = post_workbook(client, "/exports/feedback", form)["Overview"]
    figures: dict[str, Any] = {}
    kpis: dict[str, tuple[Any, ...]] = {}
    for row in sheet.iter_rows(min_row=2, values_only=True):
        if row[0] in KPI_LABELS.values():
            kpis[row[0]] = row[1:6]
        elif row[0] is not None and row[0] not in figures:
            figures[row[0]] = row[1]
    return {"figures": figures, "kpis": kpis}


def report_agent(app: Flask, centre: Centre, email: str) -> dict[str, Any]:
    result = app.test_cli_runner().invoke(
        args=[
            "report",
            "agent",
            email,
            "--from",
            centre.start.isoformat(),
            "--to",
            centre.end.isoformat(),
        ]  # fmt: skip
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ------------------------------------------------------------------- display rounding


def number(text: str | None) -> float | None:
    """A displayed number (1,234.5 · 85% · 6:05 · 70.0 %), None for "–"."""
    if text is None or text.strip() in ("–", ""):
        return None
    text = text.strip().rstrip("%").strip().replace(",", "")
    if ":" in text:
        minutes, seconds = text.split(":")
        return int(minutes) * 60 + int(seconds)
    return float(text)


def shows(text: str | None, value: float | None, digits: int) -> bool:
    """True when `text` is `value` at `digits` decimals (None as "–")."""
    shown = number(text)
    if value is None or shown is None:
        return value is None and shown is None
    return abs(shown - value) <= 0.5 * 10**-digits + 1e-9


def kpi_shows(key: str, text: str, value: float | None) -> bool:
    """A KPI cell as `stats.display.kpi_value` writes it: m:ss, 0 or 1 decimal."""
    text = text.split(" n=")[0].rstrip("↑↓ ")
    return shows(text, value, 0 if key in ("aht_seconds", "nps") else 1)


def same(actual: Any, expected: Any, rel: float) -> bool:
    """Equal; floats within `rel` of each other (None only as None)."""
    if isinstance(expected, list | str):
        return actual == expected
    if isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(
            same(actual[key], value, rel) for key, value in expected.items()
        )
    if expected is None or actual is None:
        return actual is expected
    if isinstance(expected, timedelta):
        return actual == expected
    return math.isclose(actual, expected, rel_tol=rel, abs_tol=1e-12)


def in_sheet(key: str, value: float | None) -> float | timedelta | None:
    """A KPI as a sheet cell holds it: percentages as fractions, durations in days (16
    significant digits), which openpyxl reads back as a timedelta (to the millisecond)."""
    if value is None:
        return None
    if key == "aht_seconds":
        return from_excel(float(f"{value / 86_400:.16g}"), timedelta=True)
    return value / 100 if key in PERCENT_KPIS else value


# ----------------------------------------------------------------------- the tests


def test_every_surface_shows_the_same_figures(
    app: Flask,
    centre: Centre,
    sign_in_as: Callable[[User], FlaskClient],
    api_as: Callable[[User], Any],
) -> None:
    manager = sign_in_as(centre.people["manager"])
    api = api_as(centre.people["manager"])
    summary = summary_sheet(manager, centre)
    table = team_dashboard_rows(manager, centre)
    assert set(table) == {centre.people[a].display_name for a in AGENTS}
    # A1 (54.2, an auto-fail) carries both flags; B1 (87.5) none but beats its NPS target.
    assert expected_figures(centre, "agent_a1").composite_flags == list(FLAG_WORDS)
    assert expected_figures(centre, "agent_b1").composite_flags == []
    for agent in AGENTS:
        person = centre.people[agent]
        want = expected_figures(centre, agent)
        mean, n, low, high = want.qa
        figures = {
            "qa_score": mean, "qa_n": n, "qa_ci_low": low, "qa_ci_high": high,
            **want.kpis, "kpi_index": want.kpi_index, "composite": want.composite,
            "composite_flags": want.composite_flags,
        }  # fmt: skip

        # JSON: the API and `report agent`, identical, and the hand computation.
        answer = api.get(f"/api/v1/agents/{person.id}/performance?{period(centre)}")
        assert answer.status_code == 200, answer.json
        from_api = {k: v for k, v in answer.json.items() if k not in ("agent_id", "from", "to")}
        from_cli = report_agent(app, centre, person.email)
        assert from_cli.pop("agent") == person.email
        assert {k: from_cli[k] for k in from_api} == from_api, agent
        assert set(from_cli) == set(from_api) | {"from", "to"}
        assert same(from_api, figures, 1e-12), agent

        # XLSX: the Summary sheet and the feedback workbook hold the very same numbers, those
        # of the JSON to the 16 significant digits openpyxl writes a float with.
        row = summary[person.email]
        sheet = {
            "QA average": from_api["qa_score"], "QA n": n,
            "QA low (95% CI)": from_api["qa_ci_low"], "QA high (95% CI)": from_api["qa_ci_high"],
            "KPI index": from_api["kpi_index"], "Composite": from_api["composite"],
            "Evaluations": want.evaluations, "Critical failures": want.critical_failures,
            "Composite flags": "; ".join(FLAG_WORDS[f] for f in want.composite_flags) or None,
        }  # fmt: skip
        assert same({key: row[key] for key in sheet}, sheet, XLSX_DIGITS), agent
        assert same(row["Pass rate"], want.pass_rate, 1e-12), agent
        for key in KPI_KEYS:
            cell = in_sheet(key, from_api[key])
            assert same(row[KPI_LABELS[key]], cell, XLSX_DIGITS), (agent, key)
        overview = feedback_overview(manager, centre, person.id)
        assert {key: overview["figures"][key] for key in sheet} == {key: row[key] for key in sheet}
        assert overview["figures"]["Pass rate"] == row["Pass rate"]
        for key in KPI_KEYS:
            target = want.targets[key]
            mine, team, goal, better, share = overview["kpis"][KPI_LABELS[key]]
            assert mine == row[KPI_LABELS[key]], (agent, key)
            assert same(team, in_sheet(key, want.team_kpis[key]), 1e-12), (agent, key)
            assert same(goal, in_sheet(key, target[0]), 1e-12), (agent, key)
            assert better == target[1], (agent, key)
            assert same(share, want.attainments[key], 1e-12), (agent, key)

        # HTML: the agent page, the agent's home page and the team dashboard, at their
        # display rounding, and the same text wherever two of them show one figure.
        on_page = agent_page_figures(manager, centre, person.id)
        at_home = home_page_figures(sign_in_as(person))
        assert on_page["qa"] == at_home["qa"] | {"half": on_page["qa"]["half"]}, agent
        assert on_page["kpis"] == at_home["kpis"], agent
        shown = on_page["qa"]
        assert shows(shown["mean"], mean, 1) and int(shown["n"] or 0) == n, agent
        assert shows(shown["low"], low, 1) and shows(shown["high"], high, 1), agent
        assert shows(on_page["kpi_index"], want.kpi_index, 1), agent
        assert shows(on_page["composite"], want.composite, 1), agent
        assert on_page["composite_flags"] == want.composite_flags, agent
        for key in KPI_KEYS:
            mine, team, goal, share = on_page["kpis"][KPI_LABELS[key]]
            assert kpi_shows(key, mine, want.kpis[key]), (agent, key, mine)
            assert kpi_shows(key, team, want.team_kpis[key]), (agent, key, team)
            assert kpi_shows(key, goal, want.targets[key][0]), (agent, key, goal)
            attained = want.attainments[key]
            assert shows(share, None if attained is None else 100 * attained, 0), (agent, key)
        cells = table[person.display_name]
        qa_cell = f"{shown['mean']}" + (f" ± {shown['half']}" if shown["half"] else "")
        assert cells[2] == f"{qa_cell} n={n}", agent
        rate = want.pass_rate
        assert shows(cells[3], None if rate is None else 100 * rate, 0), agent
        assert cells[4] == str(want.critical_failures), agent
        for position, key in enumerate(KPI_KEYS, start=5):
            assert cells[position] == on_page["kpis"][KPI_LABELS[key]][0].split(" n=")[0]
        flagged = " ".join([on_page["composite"], *(FLAG_WORDS[f] for f in want.composite_flags)])
        assert (cells[10], cells[11]) == (on_page["kpi_index"], flagged), agent


# Distinctive numbers no real computation of the data above produces: the agent's AHT 2:03,
# 4.5 per hour, CSAT 67.8 %, NPS −12, FCR 34.5 %; the team's 3:54, 9.0, 91.2 %, 57, 43.0 %.
FAKE_TOTALS = KpiTotals(
    days=3, contacts_handled=100, handle_seconds=12_300, logged_in_seconds=80_000,
    csat_responses=1000, csat_positive=678, nps_responses=100, nps_promoters=20,
    nps_detractors=32, fcr_eligible=200, fcr_resolved=69,
)  # fmt: skip
FAKE_TEAM = KpiTotals(
    days=3, contacts_handled=1000, handle_seconds=234_000, logged_in_seconds=400_000,
    csat_responses=1000, csat_positive=912, nps_responses=100, nps_promoters=61,
    nps_detractors=4, fcr_eligible=100, fcr_resolved=43,
)  # fmt: skip
FAKE_TARGETS = {key: Target(value, "higher", 1.0) for key, value in
                zip(KPI_KEYS, (111, 7, 66, 22, 33), strict=True)}  # fmt: skip
FAKE_ATTAINMENTS = dict(zip(KPI_KEYS, (0.11, 0.22, 0.33, 0.44, 0.55), strict=True))


def _fake(centre: Centre) -> Callable[..., list[AgentPerformance]]:
    """The one function's core, returning the same distinctive record for every agent."""
    by_id = {centre.people[agent].id: agent for agent in AGENTS}

    def fake(filters: Any, *, idle_agents: bool, team_totals: bool) -> list[AgentPerformance]:
        ids = [filters.agent_id] if filters.agent_id is not None else list(by_id)
        return [
            AgentPerformance(
                agent_id=agent_id,
                name=centre.people[by_id[agent_id]].display_name,
                email=centre.people[by_id[agent_id]].email,
                team_id=None,
                team=centre.team_of[by_id[agent_id]],
                start=filters.start,
                end=filters.end,
                evaluations=9,
                qa=MeanWithInterval(12.3456, 7, 1.2345, 23.4567),
                pass_rate=0.321,
                critical_failures=5,
                totals=FAKE_TOTALS,
                targets=FAKE_TARGETS,
                attainments=FAKE_ATTAINMENTS,
                kpi_index=76.5432,
                composite_figures=Composite(43.2109, 65.4321, ("critical_failure",)),
                pass_mark=10.0,
                min_evaluations=3,
                team_totals=FAKE_TEAM if team_totals else None,
            )
            for agent_id in ids
        ]

    return fake


def test_no_surface_has_a_path_of_its_own(
    app: Flask,
    centre: Centre,
    sign_in_as: Callable[[User], FlaskClient],
    api_as: Callable[[User], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Both forms, one agent and many, end in `_performance`: replacing it must replace
    # every figure on every surface.
    monkeypatch.setattr(agent_performance_module, "_performance", _fake(centre))
    fake = {
        "qa_score": 12.3456, "qa_n": 7, "qa_ci_low": 1.2345, "qa_ci_high": 23.4567,
        "aht_seconds": 123.0, "contacts_per_hour": 4.5, "csat_pct": 67.8, "nps": -12.0,
        "fcr_pct": 34.5, "kpi_index": 76.5432, "composite": 43.2109,
    }  # fmt: skip
    flags = ["critical_failure"]
    sheet = {
        "QA average": 12.3456, "QA n": 7, "QA low (95% CI)": 1.2345,
        "QA high (95% CI)": 23.4567, "Pass rate": 0.321, "Critical failures": 5,
        "Evaluations": 9, "KPI index": 76.5432, "Composite": 43.2109,
    }  # fmt: skip
    flag_words = FLAG_WORDS["critical_failure"]
    manager = sign_in_as(centre.people["manager"])
    api = api_as(centre.people["manager"])
    summary = summary_sheet(manager, centre)
    table = team_dashboard_rows(manager, centre)
    html_kpis = {
        "Average handle time": ["2:03 n=100", "3:54", "1:51 ↑", "11%"],
        "Contacts per hour": ["4.5 n=22", "9.0", "7.0 ↑", "22%"],
        "CSAT": ["67.8% n=1,000", "91.2%", "66.0% ↑", "33%"],
        "NPS": ["-12 n=100", "57", "22 ↑", "44%"],
        "First contact resolution": ["34.5% n=200", "43.0%", "33.0% ↑", "55%"],
    }
    for agent in AGENTS:
        person = centre.people[agent]
        answer = api.get(f"/api/v1/agents/{person.id}/performance?{period(centre)}")
        assert {k: answer.json[k] for k in fake} == pytest.approx(fake), agent
        assert answer.json["composite_flags"] == flags, agent
        from_cli = report_agent(app, centre, person.email)
        assert {k: from_cli[k] for k in fake} == pytest.approx(fake), agent
        assert from_cli["composite_flags"] == flags, agent
        row = summary[person.email]
        assert {k: row[k] for k in sheet} == pytest.approx(sheet), agent
        assert row["Composite flags"] == flag_words, agent
        aht = KPI_LABELS["aht_seconds"]
        assert row[aht] == timedelta(seconds=123)
        assert [row[KPI_LABELS[k]] for k in KPI_KEYS if k != "aht_seconds"] == pytest.approx(
            [4.5, 0.678, -12.0, 0.345]
        )
        overview = feedback_overview(manager, centre, person.id)
        assert {k: overview["figures"][k] for k in sheet} == pytest.approx(sheet), agent
        assert overview["figures"]["Composite flags"] == flag_words, agent
        assert overview["kpis"][aht][:2] == (timedelta(seconds=123), timedelta(seconds=234))
        others = [k for k in KPI_KEYS if k != "aht_seconds"]
        assert [v for k in others for v in overview["kpis"][KPI_LABELS[k]][:2]] == pytest.approx(
            [4.5, 9.0, 0.678, 0.912, -12.0, 57.0, 0.345, 0.43]
        )
        assert [overview["kpis"][KPI_LABELS[k]][4] for k in KPI_KEYS] == pytest.approx(
            list(FAKE_ATTAINMENTS.values())
        )
        on_page = agent_page_figures(manager, centre, person.id)
        assert on_page["qa"] == {"mean": "12.3", "half": "11.1", "n": "7", "low": "1.2",
                                 "high": "23.5"}  # fmt: skip
        assert (on_page["kpi_index"], on_page["composite"]) == ("76.5", "43.2")
        assert on_page["composite_flags"] == flags, agent
        assert on_page["kpis"] == html_kpis, agent
        at_home = home_page_figures(sign_in_as(person))
        assert at_home["qa"] == on_page["qa"] | {"half": None}
        assert at_home["kpis"] == html_kpis, agent
        cells = table[person.display_name]
        assert cells[2:12] == [
            "12.3 ± 11.1 n=7", "32%", "5", "2:03", "4.5", "67.8%", "-12", "34.5%", "76.5",
            f"43.2 {flag_words}",
        ]  # fmt: skip
