"""An agent's figures count only the evaluations the agent can open (issue 17, finding 1).

With manual release a submitted evaluation waits for its supervisor; until then no figure
the agent reads may take it in, or its score could be worked out from the change of an
average or an n. The test builds an agent with evaluations in every status (released,
acknowledged, disputed, dispute decided, submitted and held back, draft), a team-mate's, and
an issued training plan proposed from the evidence. Then it lists the evaluations the agent
can open through the agent's own API token, recomputes here every figure from that list
(means, n, criterion averages, months, the plan's reasons, before and after), and reads the
same figures from every surface the agent reaches: their statistics page, their home page,
`GET /api/v1/agents/{id}/performance`, their training plan's page and
`GET /api/v1/training-plans`. The supervisor's figures still count the held-back
evaluations.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from scipy import stats as scipy_stats

from qa_app.auth.models import User
from qa_app.evaluations import services
from qa_app.evaluations.models import Dispute, Evaluation
from qa_app.extensions import db
from qa_app.teams.models import Team
from qa_app.training import plans
from qa_app.training.catalogue import read_catalogue, sync_catalogue
from qa_app.training.models import TrainingPlan
from qa_app.training.proposals import propose_plan
from tests.conftest import Organisation
from tests.stats.test_agent_figures_everywhere import page, qa_shown

CATALOGUE = Path(__file__).resolve().parents[2] / "scorecards" / "training.toml"
# t(0.975, n − 1) for the n of the agent's released evaluations, to the three decimals of
# the printed tables.
# Student's t quantile for 6 scores (5 degrees of freedom), from SciPy as the app takes it;
# the printed tables' 2.571 is this rounded.
T95 = {6: float(scipy_stats.t.ppf(0.975, 5))}
CRITERIA = {"greeting": "Greeting", "empathy": "Empathy"}


@dataclass(frozen=True)
class Made:
    """An evaluation to make: whose, in which status, the answers, and when it was
    submitted (before the plan was issued, or after)."""

    agent: str
    status: str  # released, acknowledged, disputed, resolved, submitted, draft
    greeting: bool
    empathy: int  # 1..5
    before_plan: bool


# "Test call": greeting yes/no (weight 1), empathy 1..5 (weight 2).
EVALUATIONS = [
    Made("agent_a1", "released", True, 2, before_plan=True),
    Made("agent_a1", "released", False, 3, before_plan=True),
    Made("agent_a1", "acknowledged", True, 2, before_plan=True),
    Made("agent_a1", "submitted", True, 5, before_plan=True),  # held back: 100
    Made("agent_a1", "draft", True, 5, before_plan=True),
    Made("agent_a2", "released", True, 5, before_plan=True),
    Made("agent_a2", "submitted", False, 1, before_plan=True),  # held back: 0
    Made("agent_a1", "released", True, 4, before_plan=False),
    Made("agent_a1", "disputed", True, 3, before_plan=False),
    Made("agent_a1", "resolved", False, 4, before_plan=False),
    Made("agent_a1", "submitted", False, 1, before_plan=False),  # held back: 0
    Made("agent_a1", "draft", False, 1, before_plan=False),
]
BEFORE_PLAN = timedelta(days=10)  # when the first evaluations were submitted
ISSUED = timedelta(days=5)  # when the plan was issued


@dataclass(frozen=True)
class Setting:
    """The people, the plan, and the team-mate's answers the agent's team figures include."""

    agent: User
    supervisor: User
    plan_id: int
    issued_at: datetime
    teammate_released: list[dict[str, float]]  # r by criterion of A2's released evaluations


def _r(made: Made) -> dict[str, float]:
    return {"greeting": float(made.greeting), "empathy": (made.empathy - 1) / 4}


@pytest.fixture
def setting(
    app: Flask, org: Organisation, make_scorecard: Callable[..., Any], make_evaluation: Any
) -> Setting:
    """Team A holds evaluations back; the evaluations above; a plan proposed (from the
    evaluations before it) and issued between the two groups."""
    make_scorecard()
    now = datetime.now(UTC)
    with app.app_context():
        sync_catalogue(read_catalogue(CATALOGUE))
        db.session.get_one(Team, org.team_a.id).release_mode = "manual"
        manager = db.session.get_one(User, org.manager.id)
        supervisor = db.session.get_one(User, org.supervisor_a.id)
        plan_id = 0
        for number, made in enumerate(EVALUATIONS, start=1):
            if not made.before_plan and not plan_id:
                plan_id = _propose_and_issue(org, supervisor, now)
            agent = db.session.get_one(User, org.member(made.agent).id)
            status = {"acknowledged": "released", "resolved": "disputed"}.get(
                made.status, made.status
            )
            evaluation = make_evaluation(
                status,
                commit=False,
                agent=agent,
                answers={"greeting": made.greeting, "empathy": made.empathy},
                ref=f"CALL-{number}",
            )
            if made.status == "acknowledged":
                services.acknowledge(evaluation, agent, None)
            elif made.status == "resolved":
                dispute = db.session.scalar(
                    sa.select(Dispute).where(Dispute.evaluation_id == evaluation.id)
                )
                services.reject_dispute(dispute, manager, "The greeting was missing.")
            if made.before_plan and made.status != "draft":
                evaluation.submitted_at = now - BEFORE_PLAN
        db.session.commit()
    return Setting(
        agent=org.agent_a1,
        supervisor=org.supervisor_a,
        plan_id=plan_id,
        issued_at=now - ISSUED,
        teammate_released=[
            _r(made)
            for made in EVALUATIONS
            if made.agent == "agent_a2" and made.status == "released"
        ],
    )


def _propose_and_issue(org: Organisation, supervisor: User, now: datetime) -> int:
    """Supervisor A proposes agent A1's plan from the evidence so far and issues it."""
    db.session.flush()
    agent = db.session.get_one(User, org.agent_a1.id)
    outcome = propose_plan(agent, now.date(), supervisor, UTC)
    assert outcome.result == "created", outcome.result
    plan = outcome.plan
    assert plan is not None
    plans.issue_plan(plan, supervisor)
    plan.issued_at = now - ISSUED
    plan.issued_on = (now - ISSUED).date()
    db.session.flush()
    return plan.id


# ------------------------------------------------- what the agent can open, recomputed


@dataclass(frozen=True)
class Listed:
    """An evaluation as the agent's own token lists it, with its answers' r."""

    id: int
    score: float | None
    submitted_at: datetime
    r: dict[str, float]


def listed_by_agent(api: Any) -> list[Listed]:
    """Every evaluation the agent's token lists, each opened for its answers."""
    answer = api.get("/api/v1/evaluations?limit=200")
    assert answer.status_code == 200, answer.json
    assert answer.json["next"] is None
    found = []
    for item in answer.json["data"]:
        opened = api.get(f"/api/v1/evaluations/{item['id']}")
        assert opened.status_code == 200
        found.append(
            Listed(
                id=item["id"],
                score=item["score"],
                submitted_at=datetime.fromisoformat(item["submitted_at"].replace("Z", "+00:00")),
                r={
                    a["criterion_key"]: a["r"]
                    for a in opened.json["answers"]
                    if not a["na"] and a["r"] is not None
                },
            )
        )
    return found


def qa_of(listed: list[Listed]) -> tuple[float | None, int, float | None, float | None]:
    """Mean of the scores, n, and the 95% interval (t quantile), clipped to 0..100."""
    scores = [item.score for item in listed if item.score is not None]
    if not scores:
        return None, 0, None, None
    mean = statistics.fmean(scores)
    if len(scores) < 2:
        return mean, len(scores), None, None
    half = T95[len(scores)] * statistics.stdev(scores) / math.sqrt(len(scores))
    return mean, len(scores), max(0.0, mean - half), min(100.0, mean + half)


def criteria_of(answers: list[dict[str, float]]) -> dict[str, tuple[float, int]]:
    """Mean r and n per criterion."""
    by_key: dict[str, list[float]] = defaultdict(list)
    for r in answers:
        for key, value in r.items():
            by_key[key].append(value)
    return {key: (statistics.fmean(values), len(values)) for key, values in by_key.items()}


def percent(value: float) -> str:
    """A share as the pages print it ("33%")."""
    return f"{round(100 * value + 1e-9):.0f}%"


# ------------------------------------------------------------ what the surfaces show

TREND = re.compile(r"([A-Z][a-z]{2} \d{4}): (–|[\d.]+) \(n=(\d+)\)")
REASON = re.compile(r"(\w+) averaged (\d+%) over (\d+) evaluations?(?:; team (\d+%))?")
CELL = re.compile(r"^(–|\d+%) n=(\d+)$")
COMPARISON = re.compile(r"^(–|\d+%) \(n = (\d+)\)$")


def trend_shown(text: str) -> dict[str, tuple[str, int]]:
    """The monthly trend's months as its chart describes them: month → (mean, n)."""
    return {month: (mean, int(n)) for month, mean, n in TREND.findall(text)}


def trend_of(listed: list[Listed], months: list[str]) -> dict[str, tuple[str, int]]:
    """The same from the listed evaluations (UTC is the tests' centre time zone)."""
    by_month: dict[str, list[float]] = {month: [] for month in months}
    for item in listed:
        month = item.submitted_at.strftime("%b %Y")
        if item.score is not None and month in by_month:
            by_month[month].append(item.score)
    return {
        month: (f"{statistics.fmean(scores):.1f}" if scores else "–", len(scores))
        for month, scores in by_month.items()
    }


def reasons_of(text: str) -> list[tuple[str, str, int, str | None]]:
    """Each "X averaged Y% over N evaluations; team Z%" in a reason."""
    return [(label, mean, int(n), team or None) for label, mean, n, team in REASON.findall(text)]


def test_every_figure_an_agent_reads_counts_only_what_they_can_open(
    app: Flask,
    setting: Setting,
    sign_in_as: Callable[[User], FlaskClient],
    api_as: Callable[[User], Any],
) -> None:
    agent_api = api_as(setting.agent)
    browser = sign_in_as(setting.agent)
    listed = listed_by_agent(agent_api)
    # The agent opens their released, acknowledged, disputed and decided evaluations, never
    # the held-back or draft ones.
    assert len(listed) == 6
    mean, n, low, high = qa_of(listed)
    mine = criteria_of([item.r for item in listed])
    team = criteria_of([item.r for item in listed] + setting.teammate_released)

    # The API, to the last digit.
    figures = agent_api.get(f"/api/v1/agents/{setting.agent.id}/performance").json
    assert (figures["qa_n"], figures["qa_score"]) == (n, pytest.approx(mean, rel=1e-12))
    assert (figures["qa_ci_low"], figures["qa_ci_high"]) == (
        pytest.approx(low, abs=1e-4),
        pytest.approx(high, abs=1e-4),
    )

    # The statistics page and the home page, at their display rounding.
    stats_page = page(browser, f"/stats/agents/{setting.agent.id}")
    home_page = page(browser, "/")
    for shown in (stats_page, home_page):
        card = qa_shown(shown.text[0])
        assert (card["mean"], card["n"]) == (f"{mean:.1f}", str(n))
        assert (card["low"], card["high"]) == (f"{low:.1f}", f"{high:.1f}")
        months = trend_shown(shown.text[0])
        assert months == trend_of(listed, list(months)), months
        assert sum(count for _, count in months.values()) == n
    rows = {row[0]: row[1:] for row in stats_page.rows if row and row[0] in CRITERIA.values()}
    assert set(rows) == set(CRITERIA.values())
    for key, label in CRITERIA.items():
        agent_cell, team_cell = (CELL.match(cell) for cell in rows[label])
        assert agent_cell and team_cell, rows[label]
        assert agent_cell.groups() == (percent(mine[key][0]), str(mine[key][1])), label
        assert team_cell.groups() == (percent(team[key][0]), str(team[key][1])), label

    # The training plan: its reasons quote the evidence it was proposed from (what the agent
    # could open before it was issued), and before / after count only what they can open.
    before = [item for item in listed if item.submitted_at < setting.issued_at]
    after = [item for item in listed if item.submitted_at >= setting.issued_at]
    mine_before = criteria_of([item.r for item in before])
    team_before = criteria_of([item.r for item in before] + setting.teammate_released)
    plan_page = page(browser, f"/training/plans/{setting.plan_id}")
    plan_rows = [row for row in plan_page.rows if len(row) >= 8 and row[0].isdigit()]
    assert plan_rows, plan_page.rows
    from_api = agent_api.get("/api/v1/training-plans").json["data"]
    assert [plan["id"] for plan in from_api] == [setting.plan_id]
    api_reasons = [item["reason"] for item in from_api[0]["items"]]
    assert [row[2] for row in plan_rows] == api_reasons
    quoted = [quote for reason in api_reasons for quote in reasons_of(reason)]
    assert quoted, api_reasons
    for label, shown_mean, shown_n, shown_team in quoted:
        key = next(k for k, v in CRITERIA.items() if v == label)
        assert (shown_mean, shown_n) == (percent(mine_before[key][0]), mine_before[key][1])
        assert shown_team == percent(team_before[key][0]), label
    with app.app_context():
        focus = {
            item.position: item.focus_key
            for item in db.session.get_one(TrainingPlan, setting.plan_id).items
        }
    mine_after = criteria_of([item.r for item in after])
    for row in plan_rows:
        key = focus[int(row[0])]
        shown_before, shown_after = COMPARISON.match(row[5]), COMPARISON.match(row[6])
        assert shown_before and shown_after, row
        assert shown_before.groups() == (percent(mine_before[key][0]), str(mine_before[key][1]))
        assert shown_after.groups() == (percent(mine_after[key][0]), str(mine_after[key][1]))

    # The supervisor's figures about the same agent still count the held-back evaluations.
    theirs = api_as(setting.supervisor).get(f"/api/v1/agents/{setting.agent.id}/performance")
    assert theirs.json["qa_n"] == n + 2


def test_the_agents_figures_change_at_release_not_before(
    app: Flask,
    setting: Setting,
    api_as: Callable[[User], Any],
) -> None:
    agent_api = api_as(setting.agent)
    path = f"/api/v1/agents/{setting.agent.id}/performance"
    held_back = agent_api.get(path).json
    with app.app_context():
        supervisor = db.session.get_one(User, setting.supervisor.id)
        waiting = db.session.scalars(
            sa.select(Evaluation).where(
                Evaluation.agent_id == setting.agent.id, Evaluation.status == "submitted"
            )
        ).all()
        assert len(waiting) == 2
        services.release(waiting[0], supervisor)
        db.session.commit()
    released = agent_api.get(path).json
    assert released["qa_n"] == held_back["qa_n"] + 1
    assert len(listed_by_agent(agent_api)) == 7
