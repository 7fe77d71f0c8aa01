"""The scorecard file format: every rule, the canonical form, TOML round trips."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

import pytest
import tomli_w

from qa_app.scorecards.definition import (
    DefinitionError,
    check_criterion,
    content_hash,
    parse_toml,
    to_toml,
    validate_definition,
)
from qa_app.scorecards.texts import SCORECARD_LANGUAGES
from tests.conftest import SCORECARD_TOML

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "scorecards").glob("*.toml"))
SHIPPED = [path for path in SHIPPED if path.name != "training.toml"]


def base() -> dict[str, Any]:
    return tomllib.loads(SCORECARD_TOML)


def problems_of(data: dict[str, Any], **kwargs: Any) -> list[str]:
    with pytest.raises(DefinitionError) as caught:
        validate_definition(data, **kwargs)
    return [f"{problem.location}: {problem.reason}" for problem in caught.value.problems]


def criterion(data: dict[str, Any], number: int = 0) -> dict[str, Any]:
    return data["sections"][0]["criteria"][number]


def test_canonical_form_fills_defaults() -> None:
    canonical = validate_definition(base())
    greeting, empathy = canonical["sections"][0]["criteria"]
    assert greeting == {
        "key": "greeting", "label": "Greeting", "guidance": "Names the brand and themselves.",
        "kind": "yes_no", "weight": 1, "na_allowed": False, "critical": False,
        "training": ["greeting-opening"],
    }  # fmt: skip
    assert (empathy["min"], empathy["max"], empathy["weight"]) == (1, 5, 2)
    assert "weight" not in canonical["sections"][0]  # no section weight means "by criteria"
    assert list(canonical) == ["name", "slug", "channels", "pass_mark", "sections"]


def test_defaults_and_explicit_values_hash_alike() -> None:
    explicit = base()
    criterion(explicit).update(weight=1.0, na_allowed=False, critical=False)
    criterion(explicit, 1).update(min=1, max=5)
    explicit["pass_mark"] = 80.0
    assert content_hash(validate_definition(explicit)) == content_hash(validate_definition(base()))


def test_content_change_changes_hash() -> None:
    changed = base()
    criterion(changed)["guidance"] += " Smiles."
    assert content_hash(validate_definition(changed)) != content_hash(validate_definition(base()))


def _set(path: str, value: Any) -> Any:
    """A mutation for the table below: set a dotted path in a fresh definition."""

    def mutate(data: dict[str, Any]) -> None:
        target: Any = data
        *parents, last = path.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value

    return mutate


_DELETE = object()
C0, C1 = "sections.0.criteria.0", "sections.0.criteria.1"


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (_set("colour", "blue"), "colour: unknown key"),
        (_set("name", _DELETE), "name: is required"),
        (_set("name", "  "), "name: must not be empty"),
        (_set("slug", "Inbound Call"), "slug: use lowercase letters"),
        (_set("channels", []), "channels: must be a non-empty list"),
        (_set("channels", ["fax"]), "channels: unknown channel 'fax'"),
        (_set("pass_mark", 120), "pass_mark: must be a number from 0 to 100"),
        (_set("pass_mark", True), "pass_mark: must be a number from 0 to 100"),
        (_set("sections", []), "sections: at least one"),
        (_set("sections.0.weight", 0), "sections[1].weight: must be a number greater than 0"),
        (_set("sections.0.criteria", []), "sections[1].criteria: a section needs at least one"),
        (_set("sections.0.colour", 1), "sections[1].colour: unknown key"),
        (_set(f"{C0}.colour", 1), "sections[1].criteria[1] (greeting).colour: unknown key"),
        (_set(f"{C0}.kind", "stars"), "(greeting).kind: must be one of yes_no, scale, points"),
        (_set(f"{C0}.weight", 0), "(greeting).weight: must be a number greater than 0"),
        (_set(f"{C0}.weight", -2), "(greeting).weight: must be a number greater than 0"),
        (_set(f"{C0}.weight", "2"), "(greeting).weight: must be a number greater than 0"),
        (_set(f"{C0}.key", "Greeting!"), "(Greeting!).key: use lowercase letters, digits"),
        (_set(f"{C1}.key", "greeting"), "(greeting).key: is used by another criterion"),
        (_set(f"{C0}.guidance", ""), "(greeting).guidance: must not be empty"),
        (_set(f"{C0}.label", 5), "(greeting).label: must be text"),
        (_set(f"{C0}.na_allowed", "yes"), "(greeting).na_allowed: must be true or false"),
        (_set(f"{C0}.critical", True), None),  # valid on its own: checked below with N/A
        (_set(f"{C0}.max", 3), "(greeting).max: yes_no criteria have no max"),
        (_set(f"{C1}.min", 5), "(empathy).min: a scale needs numbers min < max"),
        (_set(f"{C1}.max", 500), "(empathy).max: a scale spans at most 100 steps"),
        (_set(f"{C1}.fail_below", 3), "(empathy).fail_below: only critical criteria"),
        (_set(f"{C0}.training", "greeting"), "(greeting).training: must be a list"),
        (_set(f"{C0}.training", ["Greeting Module"]), "is not a module key"),
    ],
)
def test_validation_reports_location_and_reason(mutate: Any, expected: str | None) -> None:
    data = base()
    mutate(data)
    if expected is None:
        validate_definition(data)
        return
    problems = problems_of(data)
    assert any(expected in problem for problem in problems), problems


def test_critical_criterion_cannot_be_na() -> None:
    data = base()
    criterion(data).update(critical=True, na_allowed=True)
    assert problems_of(data) == [
        "sections[1].criteria[1] (greeting).na_allowed: a critical criterion cannot be N/A"
    ]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"kind": "points"}, "points criteria need max > 0"),
        ({"kind": "points", "max": 4, "min": 1}, "have no min"),
        ({"critical": True, "fail_below": 1}, "must be a number above 1 and at most 5"),
        ({"critical": True, "fail_below": 6}, "must be a number above 1 and at most 5"),
    ],
)
def test_kind_rules(changes: dict[str, Any], message: str) -> None:
    data = base()
    criterion(data, 1).update(changes)
    assert any(message in problem for problem in problems_of(data))


def test_fail_below_only_on_scale_and_points() -> None:
    data = base()
    criterion(data).update(critical=True, fail_below=1)
    assert any("only scale and points criteria have fail_below" in p for p in problems_of(data))
    data = base()
    criterion(data, 1).update(critical=True, fail_below=3)
    assert criterion(validate_definition(data), 1)["fail_below"] == 3


def test_all_problems_are_reported_at_once() -> None:
    data = base()
    data["pass_mark"] = -1
    criterion(data)["weight"] = 0
    criterion(data, 1)["kind"] = "stars"
    assert len(problems_of(data)) == 3


def test_file_name_must_match_slug() -> None:
    assert problems_of(base(), expected_slug="other") == ["slug: must equal the file name 'other'"]


def test_syntax_errors_name_the_line() -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_toml('name = "x"\nslug = \n', source="broken.toml")
    message = str(caught.value)
    assert message.startswith("broken.toml: (syntax):")
    assert "line 2" in message


def test_toml_round_trip_is_exact() -> None:
    canonical = validate_definition(base())
    canonical["sections"][0]["criteria"][0]["guidance"] = 'Says "Hello"\n\tthen \\ the brand.'
    text = to_toml(canonical, header="exported\nfor a test")
    assert text.startswith("# exported\n# for a test\n")
    assert parse_toml(text) == canonical


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.name)
def test_shipped_scorecards_are_valid(path: Path) -> None:
    definition = parse_toml(path.read_text("utf-8"), source=path.name, expected_slug=path.stem)
    criteria = [c for section in definition["sections"] for c in section["criteria"]]
    assert len(criteria) >= 8
    # Shipped in every language; specific guidance in each of them.
    assert all(set(c["guidance"]) == set(SCORECARD_LANGUAGES) for c in criteria)
    texts = [text for c in criteria for text in c["guidance"].values()]
    assert all(len(text) >= 80 for text in texts), "guidance must be specific"
    assert any(c["critical"] for c in criteria)
    assert parse_toml(to_toml(definition)) == definition


def test_shipped_scorecards_cover_the_three_uses() -> None:
    slugs = {path.stem for path in SHIPPED}
    assert {"inbound-call", "written-channels", "complaint-escalation"} <= slugs


def test_validation_does_not_change_its_input() -> None:
    data = base()
    before = copy.deepcopy(data)
    validate_definition(data)
    assert data == before


def test_modules_outside_the_catalogue_are_a_problem_of_that_criterion() -> None:
    """One check for files and builder: with the catalogue's keys, an unknown module is a
    problem naming the criterion's training; without them (no training.toml) it is not."""
    data = tomllib.loads(SCORECARD_TOML)
    data["sections"][0]["criteria"][1]["training"] = ["empathy-statements", "gone", "gone-too"]
    known = frozenset({"greeting-opening", "empathy-statements"})

    with pytest.raises(DefinitionError) as error:
        parse_toml(tomli_w.dumps(data), source="test-call.toml", known_modules=known)

    [problem] = error.value.problems
    assert str(problem) == (
        "test-call.toml: sections[1].criteria.empathy.training: "
        "unknown training module(s) gone, gone-too (not in training.toml)"
    )
    assert (problem.section, problem.criterion, problem.field_name) == (0, 1, "training")
    assert (problem.code, problem.detail) == ("unknown_modules", ("gone", "gone-too"))
    assert validate_definition(data)["sections"][0]["criteria"][1]["training"][2] == "gone-too"
    canonical, problems = check_criterion(data["sections"][0]["criteria"][1], known)
    assert [(p.field_name, p.detail) for p in problems] == [("training", ("gone", "gone-too"))]
    assert check_criterion(canonical, known | {"gone", "gone-too"})[1] == []


def test_problems_say_which_section_criterion_and_field() -> None:
    data = tomllib.loads(SCORECARD_TOML)
    data["sections"].append({"title": "Closing", "criteria": []})
    data["sections"][0]["criteria"][0]["weight"] = -1
    data["channels"] = []

    with pytest.raises(DefinitionError) as error:
        validate_definition(data)

    where = {(p.section, p.criterion, p.field_name, p.code) for p in error.value.problems}
    assert where == {
        (None, None, "channels", ""),
        (0, 0, "weight", ""),
        (1, None, "criteria", "no_criteria"),
    }
    with pytest.raises(DefinitionError) as error:
        validate_definition({**data, "sections": []})
    assert {p.code for p in error.value.problems} >= {"no_sections"}
