"""Audit events and revisions as readable change lines: plain functions, no request."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from qa_app.audit.changes import (
    ACTION_LABELS,
    CriterionName,
    Vocabulary,
    action_label,
    compare_revisions,
    criteria_of,
    event_changes,
    visible_to_agent,
)

CRITERIA = {
    "greeting": CriterionName("Greeting", "yes_no"),
    "empathy": CriterionName("Empathy", "scale"),
}
ENGLISH = Vocabulary(
    "en",
    CRITERIA,
    titles={"status": {"submitted": "submitted", "released": "new feedback"}},
    names={("user", 7): "Ann Agent", ("team", 2): "Team A"},
)
GERMAN = Vocabulary("de", CRITERIA)


def texts(lines: list[Any]) -> list[str]:
    return [line.text for line in lines]


def test_a_re_score_reads_as_labels_and_locale_numbers_not_json() -> None:
    before = {"score": 78.84615384615384, "raw_score": 78.84615384615384, "auto_failed": False}
    after = {"score": 100.0, "raw_score": 100.0, "auto_failed": False, "dispute_id": 3}
    assert texts(event_changes(before, after, ENGLISH)) == [
        "Score: 78.8 → 100.0",
        "Score before critical failures: 78.8 → 100.0",
        "Dispute: 3",
    ]
    assert texts(event_changes(before, after, GERMAN))[0] == "Score: 78,8 → 100,0"


def test_answers_change_one_line_per_criterion_in_scorecard_order() -> None:
    before = {"answers": {"empathy": {"value": 2, "comment": None}}}
    after = {
        "answers": {
            "empathy": {"value": 4, "comment": "Much warmer"},
            "greeting": {"value": True, "comment": None},
        }
    }
    assert texts(event_changes(before, after, ENGLISH)) == [
        "Greeting: not answered → Yes",
        "Empathy: 2 → 4",
        "Empathy, comment: – → Much warmer",
    ]


def test_statuses_names_and_lists_read_as_words() -> None:
    lines = event_changes(
        {"status": "submitted", "team_id": None},
        {"status": "released", "team_id": 2, "agent_ids": [7, 9], "active": True},
        ENGLISH,
    )
    assert texts(lines) == [
        "Status: submitted → new feedback",
        "Team: – → Team A",
        "Agents: Ann Agent, #9",
        "Active: Yes",
    ]


def test_nested_filters_are_one_line_each_and_empty_ones_are_left_out() -> None:
    after = {"via": "web", "filters": {"from": "2026-11-01", "team_id": 2, "channel": None}}
    assert texts(event_changes(None, after, ENGLISH)) == [
        "Through: web",
        "Filters – From: 2026-11-01",
        "Filters – Team: Team A",
    ]


def test_an_agent_reads_only_the_fields_meant_for_them() -> None:
    after = {
        "score": 90.0,
        "dispute_id": 4,
        "interaction_id": 11,
        "note": "Listened again.",
        "ip_address": "10.0.0.1",
        "coach_notes": "internal",
        "criteria": ["empathy"],
    }
    assert texts(event_changes(None, after, ENGLISH, for_agent=True)) == [
        "Score: 90.0",
        "Note: Listened again.",
        "Disputed criteria: Empathy",
    ]
    assert not visible_to_agent("evaluation.saved")
    assert visible_to_agent("dispute.upheld")


@dataclass
class Revision:
    score: float | None
    raw_score: float | None
    auto_failed: bool
    content: dict[str, Any] = field(default_factory=dict)


def test_two_revisions_compared_answer_by_answer() -> None:
    first = Revision(
        0.0,
        62.5,
        True,
        {
            "answers": {
                "greeting": {"value": False, "comment": "No greeting"},
                "empathy": {"value": 3, "comment": None},
            },
            "overall_comment": "Work on openings",
        },
    )
    second = Revision(
        87.5,
        87.5,
        False,
        {
            "answers": {
                "greeting": {"value": True, "comment": None},
                "empathy": {"value": 3, "comment": None},
            },
            "overall_comment": "Work on openings",
        },
    )
    rows = compare_revisions(first, second, GERMAN)
    assert [(r.label, r.before, r.after, r.changed) for r in rows] == [
        ("Score", "0,0", "87,5", True),
        ("Score before critical failures", "62,5", "87,5", True),
        ("Greeting", "No", "Yes", True),
        ("Empathy", "3", "3", False),
        ("Overall comment", "Work on openings", "Work on openings", False),
    ]
    assert rows[2].before_comment == "No greeting" and rows[2].after_comment is None


def test_a_version_definition_gives_labels_and_kinds() -> None:
    definition = {
        "sections": [
            {"criteria": [{"key": "greeting", "label": "Greeting", "kind": "yes_no"}]},
            {"criteria": [{"key": "empathy", "label": "Empathy", "kind": "scale"}]},
        ]
    }
    assert criteria_of(definition) == CRITERIA


def _recorded_actions() -> set[str]:
    """Every action name written as a literal first argument of record_event, and the
    training plans' actions (`_audit("issued", …)` → training_plan.issued)."""
    actions = set()
    for path in Path("qa_app").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            for value in _literals(node.args[0]):
                if name == "record_event":
                    actions.add(value)
                elif name == "_audit" and path.name == "plans.py":
                    actions.add(f"training_plan.{value}")
                elif name == "record_export":
                    actions.add(value)
    return actions


def _literals(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    return []


def test_every_recorded_action_has_a_label() -> None:
    actions = _recorded_actions()
    assert "dispute.upheld" in actions and "training_plan.issued" in actions
    assert actions - set(ACTION_LABELS) == set(), "label these actions in ACTION_LABELS"


@pytest.mark.parametrize("action", ["something.new_thing", "plain"])
def test_an_unknown_action_reads_plainly(action: str) -> None:
    assert re.fullmatch(r"[A-Z][a-z ]+", action_label(action))
