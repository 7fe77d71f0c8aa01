"""The proposal rules (DESIGN.md "Training plans") as pure functions: exact focus areas,
priorities, reasons and items from hand-made evidence."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from qa_app import create_app
from qa_app.training.models import FocusKind
from qa_app.training.rules import (
    CriterionEvidence,
    FocusArea,
    KpiEvidence,
    Rules,
    focus_areas,
    propose_items,
)
from tests.conftest import make_config

RULES = Rules()
TODAY = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def _language() -> Iterator[None]:
    """Reasons are written in the centre's default language: an app context, no database."""
    with create_app(make_config("sqlite://")).app_context():
        yield


def criterion(key: str, mean: float | None, n: int, **overrides: object) -> CriterionEvidence:
    values: dict[str, object] = {
        "key": key,
        "label": key.replace("_", " ").capitalize(),
        "weight": 1.0,
        "modules": (key.replace("_", "-"),),
        "mean": mean,
        "n": n,
    }
    values.update(overrides)
    return CriterionEvidence(**values)  # type: ignore[arg-type]


def test_a_criterion_below_the_threshold_is_a_focus_area_with_weight_times_gap() -> None:
    empathy = criterion(
        "empathy", 0.55, 6, weight=2.0, team_mean=0.82, team_n=30, modules=("empathy-statements",)
    )
    assert focus_areas([empathy], [], RULES) == [
        FocusArea(
            FocusKind.CRITERION,
            "empathy",
            "Empathy",
            pytest.approx(2 * (0.80 - 0.55)),  # type: ignore[arg-type]
            "Empathy averaged 55% over 6 evaluations; team 82%.",
            ("empathy-statements",),
        )
    ]


@pytest.mark.parametrize(
    ("mean", "n", "expected"),
    [
        (0.80, 10, False),  # at the threshold: no gap
        (0.7999, 10, True),
        (0.10, 1, False),  # a single answer is not evidence enough
        (0.10, 2, True),
        (None, 0, False),
    ],
)
def test_threshold_and_minimum_answers(mean: float | None, n: int, expected: bool) -> None:
    assert bool(focus_areas([criterion("greeting", mean, n)], [], RULES)) is expected


def test_the_reason_leaves_out_a_team_without_answers_and_counts_one_evaluation() -> None:
    rules = Rules(min_answers=1)
    [area] = focus_areas([criterion("greeting", 0.0, 1)], [], rules)
    assert area.reason == "Greeting averaged 0% over 1 evaluation."


def test_a_critical_failure_is_a_full_gap_whatever_the_average() -> None:
    verification = criterion(
        "verification", 0.9, 5, weight=3.0, critical=True, failures=2, label="ID&V"
    )
    [area] = focus_areas([verification], [], RULES)
    assert area.kind == FocusKind.CRITICAL
    assert area.priority == 3.0
    assert area.reason == "ID&V, a critical criterion, failed in 2 of 5 evaluations."


def test_a_critical_criterion_without_failures_is_judged_on_its_average() -> None:
    verification = criterion("verification", 0.5, 4, critical=True, failures=0)
    [area] = focus_areas([verification], [], RULES)
    assert area.kind == FocusKind.CRITERION
    assert area.priority == pytest.approx(0.30)


def aht(actual: float | None, attainment: float | None, team: float | None = 370) -> KpiEvidence:
    return KpiEvidence(
        key="aht_seconds",
        actual=actual,
        target=360,
        attainment=attainment,
        weight=1.0,
        modules=("call-control", "system-navigation"),
        team_value=team,
    )


def test_a_kpi_below_its_attainment_threshold_is_a_focus_area() -> None:
    [area] = focus_areas([], [aht(465, 360 / 465)], RULES)
    assert area.kind == FocusKind.KPI
    assert area.key == "aht_seconds"
    assert area.priority == pytest.approx(0.90 - 360 / 465)
    assert area.reason == (
        "Average handle time was 7:45 against a target of 6:00 (77% of target); team 6:10."
    )
    assert area.modules == ("call-control", "system-navigation")


@pytest.mark.parametrize("attainment", [None, 0.90, 1.25])
def test_kpis_without_data_or_near_target_are_not_focus_areas(attainment: float | None) -> None:
    assert focus_areas([], [aht(300, attainment)], RULES) == []


def test_no_gap_gives_no_focus_area() -> None:
    evidence = [criterion("greeting", 0.95, 8), criterion("empathy", 0.80, 8)]
    assert focus_areas(evidence, [aht(350, 1.03)], RULES) == []


def test_focus_areas_are_ranked_by_priority_then_kind_then_label() -> None:
    areas = focus_areas(
        [
            criterion("greeting", 0.70, 4),  # 0.10
            criterion("empathy", 0.55, 6, weight=2.0),  # 0.50
            criterion("closing", 0.70, 4),  # 0.10, ties with greeting: by label
            criterion("verification", 1.0, 4, critical=True, failures=1, weight=0.5),  # 0.50
        ],
        [aht(500, 0.72)],  # 0.18
        RULES,
    )
    assert [(area.key, round(area.priority, 4)) for area in areas] == [
        ("verification", 0.5),  # same priority as empathy: critical failures first
        ("empathy", 0.5),
        ("aht_seconds", 0.18),
        ("closing", 0.1),
        ("greeting", 0.1),
    ]


def area(key: str, priority: float, modules: tuple[str, ...]) -> FocusArea:
    return FocusArea(FocusKind.CRITERION, key, key, priority, f"{key} reason.", modules)


def test_items_take_each_areas_first_free_module_with_staggered_due_dates() -> None:
    areas = [
        area("empathy", 0.9, ("empathy-statements",)),
        area("apology", 0.8, ("ownership-apology", "empathy-statements")),
        area("tone", 0.7, ("empathy-statements", "positive-language")),
        area("greeting", 0.6, ("greeting-opening",)),
    ]
    modules = {"empathy-statements", "ownership-apology", "positive-language", "greeting-opening"}
    items = propose_items(areas, modules, RULES, TODAY)
    assert [(item.module, item.focus.key, item.due_on) for item in items] == [
        ("empathy-statements", "empathy", TODAY + timedelta(days=14)),
        ("ownership-apology", "apology", TODAY + timedelta(days=28)),
        ("positive-language", "tone", TODAY + timedelta(days=42)),
    ]


def test_an_area_whose_modules_are_taken_adds_its_evidence_to_that_item() -> None:
    areas = [
        area("verification", 3.0, ("compliance-verification",)),
        area("data_protection", 2.0, ("compliance-verification",)),
        area("empathy", 0.5, ("empathy-statements",)),
    ]
    items = propose_items(areas, {"compliance-verification", "empathy-statements"}, RULES, TODAY)
    assert [item.module for item in items] == ["compliance-verification", "empathy-statements"]
    assert items[0].reason == "verification reason. data_protection reason."
    assert items[1].reason == "empathy reason."
    assert items[1].due_on == TODAY + timedelta(days=28)


def test_modules_missing_from_the_catalogue_are_skipped() -> None:
    areas = [
        area("greeting", 0.9, ("retired-module", "greeting-opening")),
        area("x", 0.5, ("gone",)),
    ]
    items = propose_items(areas, {"greeting-opening"}, RULES, TODAY)
    assert [(item.module, item.focus.key) for item in items] == [("greeting-opening", "greeting")]


def test_the_plan_takes_the_top_items_only() -> None:
    areas = [area(f"c{n}", 1.0 - n / 10, (f"module-{n}",)) for n in range(6)]
    available = {f"module-{n}" for n in range(6)}
    assert [i.module for i in propose_items(areas, available, Rules(items=2), TODAY)] == [
        "module-0",
        "module-1",
    ]
    assert len(propose_items(areas, available, RULES, TODAY)) == 3
    assert propose_items([], available, RULES, TODAY) == []
