"""The training catalogue (scorecards/training.toml): validation, reading, and loading it with
`flask scorecards sync` together with the scorecards (all files valid or nothing loaded)."""

from __future__ import annotations

import copy
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.audit.models import AuditEvent
from qa_app.extensions import db
from qa_app.scorecards.definition import DefinitionError, Problem
from qa_app.scorecards.models import Scorecard
from qa_app.stats.kpis import KPIS
from qa_app.training.catalogue import read_catalogue, validate_catalogue
from qa_app.training.models import KpiTrainingModule, TrainingModule

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "scorecards"
SHIPPED_MODULES = (
    "greeting-opening",
    "active-listening",
    "empathy-statements",
    "de-escalation",
    "ownership-apology",
    "product-knowledge",
    "structured-troubleshooting",
    "call-control",
    "system-navigation",
    "documentation",
    "compliance-verification",
    "soft-sales",
    "written-communication",
    "positive-language",
    "resilience",
)
SHIPPED_KPIS = {
    "aht_seconds": ("call-control", "system-navigation", "structured-troubleshooting"),
    "contacts_per_hour": ("system-navigation", "call-control"),
    "csat_pct": ("empathy-statements", "ownership-apology", "positive-language"),
    "nps": ("ownership-apology", "empathy-statements", "product-knowledge"),
    "fcr_pct": ("structured-troubleshooting", "product-knowledge", "documentation"),
}
FIRST_SYNC = (
    "Training catalogue: 15 new, 0 updated, 0 withdrawn, 0 unchanged (KPI mapping updated)."
)
NO_CHANGE = "Training catalogue: 0 new, 0 updated, 0 withdrawn, 15 unchanged."
SOFT_SALES = '[[modules]]\nkey = "soft-sales"\n'


def base() -> dict[str, Any]:
    """A small valid catalogue; only the first module is mapped to a KPI."""
    return {
        "modules": [
            {
                "key": "greeting-opening",
                "title": "Greeting and opening",
                "skill": "Call opening",
                "description": "The first ten seconds.",
                "expected_minutes": 30,
            },
            {
                "key": "active-listening",
                "title": "Active listening",
                "skill": "Listening",
                "description": "Letting the customer finish.",
                "expected_minutes": 45,
                "link": "https://learning.example.test/active-listening",
            },
        ],
        "kpis": {"csat_pct": ["greeting-opening"]},
    }


def problems_of(data: dict[str, Any], **kwargs: Any) -> list[Problem]:
    with pytest.raises(DefinitionError) as caught:
        validate_catalogue(data, **kwargs)
    return caught.value.problems


def locations(data: dict[str, Any]) -> list[str]:
    return [problem.location for problem in problems_of(data)]


# --- validate_catalogue -------------------------------------------------------------------


def test_shipped_catalogue_is_valid() -> None:
    data = tomllib.loads((SHIPPED_DIR / "training.toml").read_text("utf-8"))
    catalogue = validate_catalogue(data)
    assert tuple(module.key for module in catalogue.modules) == SHIPPED_MODULES
    assert catalogue.keys == frozenset(SHIPPED_MODULES)
    assert dict(catalogue.kpi_modules) == SHIPPED_KPIS
    assert set(catalogue.kpi_modules) == {kpi.key for kpi in KPIS}
    for kpi in KPIS:
        assert catalogue.kpi_modules[kpi.key], f"{kpi.key} has no module"
        assert set(catalogue.kpi_modules[kpi.key]) <= catalogue.keys
    empathy = catalogue.modules[2]
    assert (empathy.title, empathy.skill, empathy.expected_minutes, empathy.link) == (
        "Empathy statements",
        "Empathy",
        45,
        None,
    )
    assert empathy.description.startswith("Acknowledging the customer's situation")


def test_small_catalogue_is_valid_and_trimmed() -> None:
    data = base()
    data["modules"][0]["title"] = "  Greeting and opening  "
    data["modules"][1]["link"] = "/docs/active-listening"
    catalogue = validate_catalogue(data)
    assert [module.key for module in catalogue.modules] == ["greeting-opening", "active-listening"]
    assert catalogue.modules[0].title == "Greeting and opening"
    assert catalogue.modules[0].link is None
    assert catalogue.modules[1].link == "/docs/active-listening"
    assert dict(catalogue.kpi_modules) == {"csat_pct": ("greeting-opening",)}


def test_kpis_table_is_optional() -> None:
    data = base()
    del data["kpis"]
    assert dict(validate_catalogue(data).kpi_modules) == {}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("expected_minutes", 1),
        ("expected_minutes", 24 * 60),
        ("title", "T" * 120),
        ("link", "http://intranet.example.test/x"),
    ],
)
def test_boundary_values_are_accepted(name: str, value: Any) -> None:
    data = base()
    data["modules"][0][name] = value
    assert getattr(validate_catalogue(data).modules[0], name) == value


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to base(): 'modules.1.title' sets data['modules'][1]['title']."""

    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = value

    return change


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = data
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[last]

    return change


def _modules(value: Any) -> Callable[[dict[str, Any]], None]:
    """Replace the modules (None: remove them); the KPI mapping goes too."""

    def change(data: dict[str, Any]) -> None:
        del data["kpis"]
        if value is None:
            del data["modules"]
        else:
            data["modules"] = value

    return change


BAD_CATALOGUES = [
    ("missing modules", _modules(None), "modules", "at least one [[modules]] entry is required"),
    ("empty modules", _modules([]), "modules", "at least one [[modules]] entry is required"),
    ("modules not a list", _modules({"key": "x"}), "modules", "at least one [[modules]] entry"),
    ("module not a table", _set("modules.1", "active-listening"), "modules[2]", "must be a table"),
    (
        "unknown top-level key",
        _set("module", []),
        "module",
        "unknown key (allowed: language, modules, kpis)",
    ),
    ("unknown module key", _set("modules.1.titel", "Greeting"), "modules[2].titel", "unknown key"),
    ("missing title", _delete("modules.1.title"), "modules[2].title", "is required"),
    ("missing key", _delete("modules.1.key"), "modules[2].key", "is required"),
    ("missing skill", _delete("modules.1.skill"), "modules[2].skill", "is required"),
    (
        "empty description",
        _set("modules.1.description", "   "),
        "modules[2].description",
        "must be non-empty text",
    ),
    (
        "title not text",
        _set("modules.1.title", 5),
        "modules[2].title",
        "must be non-empty text",
    ),
    (
        "bad key",
        _set("modules.1.key", "Active_Listening"),
        "modules[2].key",
        "'Active_Listening' is not a key like 'active-listening'",
    ),
    (
        "duplicate key",
        _set("modules.1.key", "greeting-opening"),
        "modules[2].key",
        "duplicate key 'greeting-opening'",
    ),
    (
        "over-long key",
        _set("modules.1.key", "k" * 65),
        "modules[2].key",
        "is longer than 64 characters",
    ),
    ("minutes 0", _set("modules.1.expected_minutes", 0), "modules[2].expected_minutes", "got 0"),
    ("minutes -5", _set("modules.1.expected_minutes", -5), "modules[2].expected_minutes", "-5"),
    ("minutes 1.5", _set("modules.1.expected_minutes", 1.5), "modules[2].expected_minutes", "1.5"),
    (
        "minutes true",
        _set("modules.1.expected_minutes", True),
        "modules[2].expected_minutes",
        "got True",
    ),
    (
        "minutes 2000",
        _set("modules.1.expected_minutes", 2000),
        "modules[2].expected_minutes",
        "must be a whole number of minutes from 1 to 1440, got 2000",
    ),
    (
        "minutes as text",
        _set("modules.1.expected_minutes", "30"),
        "modules[2].expected_minutes",
        "got '30'",
    ),
    (
        "missing minutes",
        _delete("modules.1.expected_minutes"),
        "modules[2].expected_minutes",
        "got None",
    ),
    (
        "javascript link",
        _set("modules.1.link", "javascript:alert(1)"),
        "modules[2].link",
        "must start with https://, http:// or /",
    ),
    ("empty link", _set("modules.1.link", ""), "modules[2].link", "must be non-empty text"),
    (
        "over-long title",
        _set("modules.1.title", "T" * 121),
        "modules[2].title",
        "is longer than 120 characters",
    ),
    (
        "over-long description",
        _set("modules.1.description", "d" * 2001),
        "modules[2].description",
        "is longer than 2000 characters",
    ),
    ("unknown KPI", _set("kpis.csat", ["greeting-opening"]), "kpis.csat", "unknown KPI"),
    (
        "KPI mapped to an unknown module",
        _set("kpis.csat_pct", ["greeting-opening", "no-such-module"]),
        "kpis.csat_pct",
        "unknown module(s): no-such-module",
    ),
    (
        "module listed twice for a KPI",
        _set("kpis.csat_pct", ["greeting-opening", "active-listening", "greeting-opening"]),
        "kpis.csat_pct",
        "lists a module twice",
    ),
    (
        "KPI modules not a list",
        _set("kpis.csat_pct", "greeting-opening"),
        "kpis.csat_pct",
        "must be a list of module keys",
    ),
    (
        "KPI modules not text",
        _set("kpis.csat_pct", [1]),
        "kpis.csat_pct",
        "must be a list of module keys",
    ),
    (
        "kpis not a table",
        _set("kpis", ["csat_pct"]),
        "kpis",
        "must be a table of KPI = [module keys]",
    ),
]


@pytest.mark.parametrize(
    ("change", "location", "reason"),
    [
        pytest.param(change, location, reason, id=name)
        for name, change, location, reason in BAD_CATALOGUES
    ],
)
def test_bad_catalogue_is_refused(
    change: Callable[[dict[str, Any]], None], location: str, reason: str
) -> None:
    data = base()
    change(data)
    problems = problems_of(data)
    assert [problem.location for problem in problems] == [location]
    assert reason in problems[0].reason
    assert problems[0].source == "training.toml"


def test_validation_does_not_change_its_input() -> None:
    data = base()
    snapshot = copy.deepcopy(data)
    validate_catalogue(data)
    assert data == snapshot


def test_every_problem_is_reported_at_once() -> None:
    data = base()
    data["modules"][0]["titel"] = data["modules"][0].pop("title")
    data["modules"][0]["expected_minutes"] = 0
    data["modules"][1]["key"] = "Active_Listening"
    data["modules"][1]["link"] = "ftp://example.test"
    data["kpis"] = {"csat_pct": ["no-such-module", "no-such-module"], "bogus": []}
    data["extra"] = True
    problems = problems_of(data, source="my-training.toml")
    assert [problem.location for problem in problems] == [
        "extra",
        "modules[1].titel",
        "modules[1].title",
        "modules[1].expected_minutes",
        "modules[2].key",
        "modules[2].link",
        "kpis.csat_pct",
        "kpis.csat_pct",
        "kpis.bogus",
    ]
    assert {problem.source for problem in problems} == {"my-training.toml"}
    assert [problem.reason for problem in problems[6:8]] == [
        "unknown module(s): no-such-module, no-such-module",
        "lists a module twice",
    ]
    assert str(problems[2]) == "my-training.toml: modules[1].title: is required"


def test_duplicate_key_is_reported_even_when_the_first_module_is_invalid() -> None:
    data = base()
    data["modules"][1]["expected_minutes"] = 0
    data["modules"].append({**data["modules"][1], "expected_minutes": 20})
    assert [(p.location, p.reason) for p in problems_of(data)] == [
        (
            "modules[2].expected_minutes",
            "must be a whole number of minutes from 1 to 1440, got 0",
        ),
        ("modules[3].key", "duplicate key 'active-listening'"),
    ]


# --- read_catalogue -------------------------------------------------------------------------


def test_read_missing_file_is_none(tmp_path: Path) -> None:
    assert read_catalogue(tmp_path / "training.toml") is None


def test_read_shipped_file(tmp_path: Path) -> None:
    catalogue = read_catalogue(SHIPPED_DIR / "training.toml")
    assert catalogue is not None
    assert tuple(module.key for module in catalogue.modules) == SHIPPED_MODULES


def test_read_syntax_error(tmp_path: Path) -> None:
    path = tmp_path / "training.toml"
    path.write_text('[[modules]\nkey = "x"\n', "utf-8")
    with pytest.raises(DefinitionError) as caught:
        read_catalogue(path)
    [problem] = caught.value.problems
    assert problem.location == "(syntax)"
    assert problem.source == "training.toml"
    assert "line 1" in problem.reason


def test_read_non_utf8(tmp_path: Path) -> None:
    path = tmp_path / "training.toml"
    path.write_bytes('[[modules]]\ntitle = "Caf\u00e9"\n'.encode("latin-1"))
    with pytest.raises(DefinitionError) as caught:
        read_catalogue(path)
    assert caught.value.problems == [Problem("(file)", "is not UTF-8 text", "training.toml")]


def test_read_reports_validation_problems_with_the_file_name(tmp_path: Path) -> None:
    path = tmp_path / "training.toml"
    path.write_text("[kpis]\ncsat_pct = []\n", "utf-8")
    with pytest.raises(DefinitionError) as caught:
        read_catalogue(path)
    assert caught.value.problems == [
        Problem("modules", "at least one [[modules]] entry is required", "training.toml")
    ]


# --- flask scorecards sync ------------------------------------------------------------------


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A copy of the shipped scorecards and catalogue to change freely."""
    folder = tmp_path / "scorecards"
    shutil.copytree(SHIPPED_DIR, folder)
    return folder


def sync(runner: Any, folder: Path) -> Any:
    return runner.invoke(args=["scorecards", "sync", "--dir", str(folder)])


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert text.count(old) >= 1, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), "utf-8")


def modules(app: Flask) -> dict[str, tuple[str, int, bool]]:
    """Every module row: key -> (title, position, active)."""
    with app.app_context():
        rows = db.session.execute(
            sa.select(
                TrainingModule.key,
                TrainingModule.title,
                TrainingModule.position,
                TrainingModule.active,
            )
        )
        return {key: (title, position, active) for key, title, position, active in rows}


def kpi_mapping(app: Flask) -> dict[str, tuple[str, ...]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(KpiTrainingModule.kpi, TrainingModule.key)
            .join(KpiTrainingModule.module)
            .order_by(KpiTrainingModule.kpi, KpiTrainingModule.position)
        )
        mapping: dict[str, list[str]] = {}
        for kpi, key in rows:
            mapping.setdefault(kpi, []).append(key)
        return {kpi: tuple(keys) for kpi, keys in mapping.items()}


def catalogue_events(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        return list(
            db.session.scalars(
                sa.select(AuditEvent.after)
                .where(AuditEvent.action == "training_catalogue.synced")
                .order_by(AuditEvent.id)
            )
        )


def counts(app: Flask) -> tuple[int, int, int, int]:
    """Scorecards, modules, KPI mapping rows and audit events."""
    with app.app_context():
        return tuple(  # type: ignore[return-value]
            db.session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Scorecard, TrainingModule, KpiTrainingModule, AuditEvent)
        )


def test_first_sync_loads_the_catalogue(app: Flask, runner: Any, files: Path) -> None:
    result = sync(runner, files)
    assert result.exit_code == 0, result.output
    assert "Scorecards: 3 new, 0 updated, 0 unchanged, 0 skipped." in result.output
    assert FIRST_SYNC in result.output
    loaded = modules(app)
    assert sorted(loaded) == sorted(SHIPPED_MODULES)
    assert [key for key, _ in sorted(loaded.items(), key=lambda row: row[1][1])] == list(
        SHIPPED_MODULES
    )
    assert loaded["call-control"] == ("Call control", 8, True)
    assert all(active for _, _, active in loaded.values())
    assert kpi_mapping(app) == dict(sorted(SHIPPED_KPIS.items()))
    assert counts(app)[2] == 14
    with app.app_context():
        module = db.session.scalar(
            sa.select(TrainingModule).where(TrainingModule.key == "de-escalation")
        )
        assert (module.skill, module.expected_minutes, module.link) == ("De-escalation", 60, None)
        assert module.description.startswith("The calm-acknowledge-act sequence")
        assert module.description.endswith("from our own queues.")
    [event] = catalogue_events(app)
    assert event == {
        "created": list(SHIPPED_MODULES),
        "updated": [],
        "deactivated": [],
        "kpis_changed": True,
    }


def test_second_sync_changes_nothing(app: Flask, runner: Any, files: Path) -> None:
    assert sync(runner, files).exit_code == 0
    before = (modules(app), kpi_mapping(app), counts(app))
    result = sync(runner, files)
    assert result.exit_code == 0, result.output
    assert NO_CHANGE in result.output
    assert "KPI mapping updated" not in result.output
    assert (modules(app), kpi_mapping(app), counts(app)) == before
    assert len(catalogue_events(app)) == 1


def test_edited_title_updates_the_module(app: Flask, runner: Any, files: Path) -> None:
    sync(runner, files)
    edit(files / "training.toml", 'title.en = "Call control"', 'title.en = "Call control basics"')
    result = sync(runner, files)
    assert result.exit_code == 0, result.output
    assert "Training catalogue: 0 new, 1 updated, 0 withdrawn, 14 unchanged." in result.output
    assert "Scorecards: 0 new, 0 updated, 3 unchanged" in result.output
    loaded = modules(app)
    assert loaded["call-control"] == ("Call control basics", 8, True)
    assert loaded["greeting-opening"] == ("Greeting and opening", 1, True)
    assert catalogue_events(app)[1:] == [
        {"created": [], "updated": ["call-control"], "deactivated": [], "kpis_changed": False}
    ]


def test_edited_kpi_mapping_is_replaced(app: Flask, runner: Any, files: Path) -> None:
    sync(runner, files)
    edit(
        files / "training.toml",
        'nps = ["ownership-apology", "empathy-statements", "product-knowledge"]',
        'nps = ["product-knowledge", "ownership-apology"]',
    )
    result = sync(runner, files)
    assert result.exit_code == 0, result.output
    assert (
        "Training catalogue: 0 new, 0 updated, 0 withdrawn, 15 unchanged (KPI mapping updated)."
        in result.output
    )
    assert kpi_mapping(app)["nps"] == ("product-knowledge", "ownership-apology")
    assert kpi_mapping(app)["csat_pct"] == SHIPPED_KPIS["csat_pct"]
    assert catalogue_events(app)[-1]["kpis_changed"] is True


def _without_soft_sales(path: Path) -> None:
    text = path.read_text("utf-8")
    start = text.index(SOFT_SALES)
    end = text.index("[[modules]]", start + len(SOFT_SALES))
    path.write_text(text[:start] + text[end:], "utf-8")


def test_removed_module_is_withdrawn_not_deleted(app: Flask, runner: Any, files: Path) -> None:
    for scorecard in files.glob("*.toml"):
        if scorecard.name != "training.toml":
            assert "soft-sales" not in scorecard.read_text("utf-8"), scorecard.name
    sync(runner, files)
    ids_before = _module_ids(app)
    _without_soft_sales(files / "training.toml")
    assert "soft-sales" not in (files / "training.toml").read_text("utf-8")
    result = sync(runner, files)
    assert result.exit_code == 0, result.output
    # The three modules after it move up one place: their positions change too.
    assert "Training catalogue: 0 new, 3 updated, 1 withdrawn, 11 unchanged." in result.output
    loaded = modules(app)
    assert loaded["soft-sales"] == ("Soft sales and retention", 12, False)
    assert loaded["written-communication"] == (
        "Written communication for chat and e-mail",
        12,
        True,
    )
    assert loaded["resilience"][1:] == (14, True)
    assert sum(active for _, _, active in loaded.values()) == 14
    assert _module_ids(app) == ids_before
    assert catalogue_events(app)[-1] == {
        "created": [],
        "updated": ["written-communication", "positive-language", "resilience"],
        "deactivated": ["soft-sales"],
        "kpis_changed": False,
    }
    # Withdrawn once: the next sync does not withdraw it again.
    again = sync(runner, files)
    assert "Training catalogue: 0 new, 0 updated, 0 withdrawn, 14 unchanged." in again.output


def test_restored_module_is_active_again(app: Flask, runner: Any, files: Path) -> None:
    sync(runner, files)
    original = (files / "training.toml").read_text("utf-8")
    _without_soft_sales(files / "training.toml")
    sync(runner, files)
    (files / "training.toml").write_text(original, "utf-8")
    result = sync(runner, files)
    assert "Training catalogue: 0 new, 4 updated, 0 withdrawn, 11 unchanged." in result.output
    assert modules(app)["soft-sales"] == ("Soft sales and retention", 12, True)
    assert len(_module_ids(app)) == 15


def _module_ids(app: Flask) -> dict[str, int]:
    with app.app_context():
        return dict(db.session.execute(sa.select(TrainingModule.key, TrainingModule.id)).all())


def test_invalid_catalogue_loads_nothing(app: Flask, runner: Any, files: Path) -> None:
    edit(files / "training.toml", "expected_minutes = 30", "expected_minutes = 0")
    edit(files / "training.toml", 'key = "de-escalation"', 'key = "De_Escalation"')
    result = sync(runner, files)
    assert result.exit_code == 1
    assert f"Nothing was loaded: 2 problem(s) in {files}:" in result.output
    assert (
        "training.toml: modules[1].expected_minutes: must be a whole number of minutes "
        "from 1 to 1440, got 0" in result.output
    )
    assert "training.toml: modules[4].key: 'De_Escalation' is not a key" in result.output
    assert "Scorecards:" not in result.output
    assert counts(app) == (0, 0, 0, 0)


def test_invalid_catalogue_after_a_good_sync_changes_nothing(
    app: Flask, runner: Any, files: Path
) -> None:
    sync(runner, files)
    before = (modules(app), kpi_mapping(app), counts(app))
    edit(files / "training.toml", 'title.en = "Call control"', 'title.en = "Call control basics"')
    edit(files / "training.toml", "\n[kpis]\n", "\n[kpis]\nhandle_time = []\n")
    result = sync(runner, files)
    assert result.exit_code == 1
    assert "training.toml: kpis.handle_time: unknown KPI" in result.output
    assert (modules(app), kpi_mapping(app), counts(app)) == before


def test_catalogue_and_scorecard_problems_are_reported_together(
    app: Flask, runner: Any, files: Path
) -> None:
    edit(files / "training.toml", "\n[[modules]]\n", "\nkpi = 1\n\n[[modules]]\n")
    edit(files / "inbound-call.toml", "pass_mark = 80", "pass_mark = 180")
    result = sync(runner, files)
    assert result.exit_code == 1
    assert "Nothing was loaded: 2 problem(s)" in result.output
    assert "training.toml: kpi: unknown key" in result.output
    assert "inbound-call.toml: pass_mark" in result.output
    assert counts(app) == (0, 0, 0, 0)


def test_criterion_naming_an_unknown_module_loads_nothing(
    app: Flask, runner: Any, files: Path
) -> None:
    edit(
        files / "inbound-call.toml",
        'training = ["greeting-opening"]',
        'training = ["no-such-module"]',
    )
    result = sync(runner, files)
    assert result.exit_code == 1
    assert "Nothing was loaded: 1 problem(s)" in result.output
    assert (
        "inbound-call.toml: sections[1].criteria.greeting.training: unknown training module(s) "
        "no-such-module (not in training.toml)" in result.output
    )
    assert counts(app) == (0, 0, 0, 0)


def test_criterion_naming_a_removed_module_loads_nothing(
    app: Flask, runner: Any, files: Path
) -> None:
    """Dropping a module that a criterion still names is refused, not withdrawn."""
    sync(runner, files)
    before = (modules(app), counts(app))
    text = (files / "training.toml").read_text("utf-8")
    start = text.index('[[modules]]\nkey = "resilience"')
    (files / "training.toml").write_text(
        text[:start] + text[text.index("# KPI shortfalls") :], "utf-8"
    )
    result = sync(runner, files)
    assert result.exit_code == 1
    assert "complaint-escalation.toml: sections[" in result.output
    assert "unknown training module(s) resilience" in result.output
    assert "inbound-call.toml: sections[" in result.output
    assert (modules(app), counts(app)) == before


def test_folder_without_catalogue_still_syncs_scorecards(
    app: Flask, runner: Any, files: Path
) -> None:
    (files / "training.toml").unlink()
    result = sync(runner, files)
    assert result.exit_code == 0, result.output
    assert "Scorecards: 3 new, 0 updated, 0 unchanged, 0 skipped." in result.output
    assert "Training catalogue: no training.toml in this folder; nothing changed." in result.output
    scorecards, module_rows, mapping_rows, _ = counts(app)
    assert (scorecards, module_rows, mapping_rows) == (3, 0, 0)
    assert catalogue_events(app) == []


def test_folder_without_catalogue_leaves_loaded_modules_alone(
    app: Flask, runner: Any, files: Path
) -> None:
    sync(runner, files)
    before = (modules(app), kpi_mapping(app))
    (files / "training.toml").unlink()
    result = sync(runner, files)
    assert result.exit_code == 0, result.output
    assert "no training.toml" in result.output
    assert (modules(app), kpi_mapping(app)) == before
