"""The training catalogue file (scorecards/training.toml): validation and loading.

`read_catalogue` checks the whole file and reports every problem at once (the same Problem
and DefinitionError as scorecard files), so `scorecards sync` can refuse everything when
anything is wrong. `sync_catalogue` then makes the database match the file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from qa_app.audit.services import record_event
from qa_app.extensions import db
from qa_app.scorecards.definition import (
    NESTED_TOO_DEEPLY,
    SLUG,
    DefinitionError,
    Problem,
    translated_text,
)
from qa_app.scorecards.services import SyncReport, sync_scorecard_files
from qa_app.scorecards.texts import DEFAULT_LANGUAGE, SCORECARD_LANGUAGES
from qa_app.stats.kpis import KPI_BY_KEY
from qa_app.training.models import KpiTrainingModule, TrainingModule

CATALOGUE_FILE = "training.toml"
MODULE_KEYS = ("key", "title", "skill", "description", "expected_minutes", "link")
MAX_LENGTH = {"key": 64, "title": 120, "skill": 80, "description": 2000, "link": 500}
# The texts people read, each a string or a table of language → text (scorecards/texts.py).
TRANSLATED = ("title", "skill", "description")
MAX_MODULES = 200
MAX_MINUTES = 24 * 60


@dataclass(frozen=True)
class ModuleEntry:
    """One module as the file describes it."""

    key: str
    title: str
    skill: str
    description: str
    expected_minutes: int
    link: str | None = None
    # field → {language: text} for the texts the file translates (title, skill,
    # description); the fields above hold the text in the file's own language.
    translations: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalogue:
    """The modules in file order, and each KPI's modules, most relevant first."""

    modules: tuple[ModuleEntry, ...]
    kpi_modules: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def keys(self) -> frozenset[str]:
        """Every module key."""
        return frozenset(module.key for module in self.modules)


def _text(
    data: Mapping[str, Any], key: str, where: str, problems: list[Problem], source: str
) -> str | None:
    value = data.get(key)
    if value is None:
        problems.append(Problem(where + key, "is required", source))
        return None
    if not isinstance(value, str) or not value.strip():
        problems.append(Problem(where + key, "must be non-empty text", source))
        return None
    value = value.strip()
    if len(value) > MAX_LENGTH[key]:
        problems.append(
            Problem(where + key, f"is longer than {MAX_LENGTH[key]} characters", source)
        )
    return value


def _translated(
    data: Mapping[str, Any],
    key: str,
    where: str,
    problems: list[Problem],
    source: str,
    language: str,
    translations: dict[str, dict[str, str]],
) -> str | None:
    """A text in the file's language; a table of language → text also fills `translations`."""
    value = data.get(key)
    if not isinstance(value, Mapping):
        return _text(data, key, where, problems, source)
    text, reasons = translated_text(value, key, language, MAX_LENGTH[key])
    problems.extend(Problem(where + key, reason, source) for reason in reasons)
    if isinstance(text, str):
        return text
    translations[key] = text
    return text.get(language)


def _module(
    data: Any, where: str, problems: list[Problem], source: str, language: str = DEFAULT_LANGUAGE
) -> ModuleEntry | None:
    if not isinstance(data, dict):
        problems.append(Problem(where.rstrip("."), "must be a table", source))
        return None
    count = len(problems)
    for key in data:
        if key not in MODULE_KEYS:
            problems.append(
                Problem(where + key, f"unknown key (allowed: {', '.join(MODULE_KEYS)})", source)
            )
    translations: dict[str, dict[str, str]] = {}
    texts = {
        key: _translated(data, key, where, problems, source, language, translations)
        if key in TRANSLATED
        else _text(data, key, where, problems, source)
        for key in MAX_LENGTH
        if key != "link"
    }
    if texts["key"] is not None and not SLUG.match(texts["key"]):
        problems.append(
            Problem(where + "key", f"{texts['key']!r} is not a key like 'active-listening'", source)
        )
    minutes = data.get("expected_minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 0 < minutes <= MAX_MINUTES:
        problems.append(
            Problem(
                where + "expected_minutes",
                f"must be a whole number of minutes from 1 to {MAX_MINUTES}, got {minutes!r}",
                source,
            )
        )
    link = data.get("link")
    if link is not None:
        link = _text(data, "link", where, problems, source)
        if link is not None and not link.startswith(("https://", "http://", "/")):
            problems.append(
                Problem(where + "link", "must start with https://, http:// or /", source)
            )
    if len(problems) > count:
        return None
    # Without a new problem every text is given and the minutes are whole: said for mypy.
    key, title = texts["key"], texts["title"]
    skill, description = texts["skill"], texts["description"]
    assert key is not None and title is not None and skill is not None
    assert description is not None and isinstance(minutes, int)
    return ModuleEntry(
        key=key,
        title=title,
        skill=skill,
        description=description,
        expected_minutes=minutes,
        link=link,
        translations=translations,
    )


def validate_catalogue(data: Mapping[str, Any], *, source: str = CATALOGUE_FILE) -> Catalogue:
    """Check a parsed catalogue; raise DefinitionError listing every problem."""
    problems: list[Problem] = []
    for name in data:
        if name not in ("language", "modules", "kpis"):
            problems.append(Problem(name, "unknown key (allowed: language, modules, kpis)", source))
    language = data.get("language", DEFAULT_LANGUAGE)
    if language not in SCORECARD_LANGUAGES:
        problems.append(
            Problem(
                "language",
                f"unknown language {language!r} (allowed: {', '.join(SCORECARD_LANGUAGES)})",
                source,
            )
        )
        language = DEFAULT_LANGUAGE
    raw_modules = data.get("modules")
    if not isinstance(raw_modules, list) or not raw_modules:
        problems.append(Problem("modules", "at least one [[modules]] entry is required", source))
        raw_modules = []
    elif len(raw_modules) > MAX_MODULES:
        problems.append(Problem("modules", f"more than {MAX_MODULES} modules", source))
    modules: list[ModuleEntry] = []
    seen: set[str] = set()
    for number, raw in enumerate(raw_modules, start=1):
        module = _module(raw, f"modules[{number}].", problems, source, language)
        # Duplicates are reported whatever else is wrong with either entry.
        key = raw.get("key") if isinstance(raw, dict) else None
        if isinstance(key, str):
            if key.strip() in seen:
                problems.append(
                    Problem(f"modules[{number}].key", f"duplicate key {key.strip()!r}", source)
                )
            seen.add(key.strip())
        if module is not None:
            modules.append(module)
    kpi_modules: dict[str, tuple[str, ...]] = {}
    raw_kpis = data.get("kpis", {})
    if not isinstance(raw_kpis, dict):
        problems.append(Problem("kpis", "must be a table of KPI = [module keys]", source))
        raw_kpis = {}
    for kpi, keys in raw_kpis.items():
        where = f"kpis.{kpi}"
        if kpi not in KPI_BY_KEY:
            problems.append(Problem(where, f"unknown KPI (known: {', '.join(KPI_BY_KEY)})", source))
            continue
        if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
            problems.append(Problem(where, "must be a list of module keys", source))
            continue
        unknown = [key for key in keys if key not in seen]
        if unknown:
            problems.append(Problem(where, f"unknown module(s): {', '.join(unknown)}", source))
        if len(set(keys)) != len(keys):
            problems.append(Problem(where, "lists a module twice", source))
        kpi_modules[kpi] = tuple(keys)
    if problems:
        raise DefinitionError(problems)
    return Catalogue(tuple(modules), kpi_modules)


def read_catalogue(path: Path) -> Catalogue | None:
    """Read and validate the catalogue file; None when the folder has none."""
    if not path.exists():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as error:
        raise DefinitionError([Problem("(file)", "is not UTF-8 text", path.name)]) from error
    except tomllib.TOMLDecodeError as error:
        raise DefinitionError([Problem("(syntax)", str(error), path.name)]) from error
    except RecursionError as error:  # tomllib recurses once per nested array or table
        raise DefinitionError([Problem("(syntax)", NESTED_TOO_DEEPLY, path.name)]) from error
    return validate_catalogue(data, source=path.name)


@dataclass
class CatalogueReport:
    """What `sync_catalogue` did."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    unchanged: int = 0
    kpis_changed: bool = False

    @property
    def changed(self) -> bool:
        """True when the database had to change."""
        return bool(self.created or self.updated or self.deactivated or self.kpis_changed)


def _values(entry: ModuleEntry, position: int) -> dict[str, Any]:
    return {
        "title": entry.title,
        "skill": entry.skill,
        "description": entry.description,
        "expected_minutes": entry.expected_minutes,
        "link": entry.link,
        "translations": {key: dict(table) for key, table in entry.translations.items()} or None,
        "position": position,
        "active": True,
    }


def sync_catalogue(catalogue: Catalogue) -> CatalogueReport:
    """Make the modules and the KPI mapping match the file; audited when anything changed."""
    report = CatalogueReport()
    existing = {module.key: module for module in db.session.scalars(sa.select(TrainingModule))}
    for position, entry in enumerate(catalogue.modules, start=1):
        values = _values(entry, position)
        module = existing.pop(entry.key, None)
        if module is None:
            db.session.add(TrainingModule(key=entry.key, **values))
            report.created.append(entry.key)
        elif any(getattr(module, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(module, name, value)
            report.updated.append(entry.key)
        else:
            report.unchanged += 1
    for module in existing.values():
        if module.active:
            module.active = False
            report.deactivated.append(module.key)
    db.session.flush()
    ids = {
        key: id_
        for key, id_ in db.session.execute(sa.select(TrainingModule.key, TrainingModule.id))
    }
    wanted = {
        (kpi, ids[key], position)
        for kpi, keys in catalogue.kpi_modules.items()
        for position, key in enumerate(keys, start=1)
    }
    current = {
        (kpi, module_id, position)
        for kpi, module_id, position in db.session.execute(
            sa.select(
                KpiTrainingModule.kpi, KpiTrainingModule.module_id, KpiTrainingModule.position
            )
        )
    }
    if wanted != current:
        db.session.execute(sa.delete(KpiTrainingModule))
        db.session.add_all(
            KpiTrainingModule(kpi=kpi, module_id=module_id, position=position)
            for kpi, module_id, position in sorted(wanted)
        )
        report.kpis_changed = True
    if report.changed:
        db.session.flush()
        record_event(
            "training_catalogue.synced",
            "system",
            None,
            after={
                "created": report.created,
                "updated": report.updated,
                "deactivated": report.deactivated,
                "kpis_changed": report.kpis_changed,
            },
        )
    return report


def sync_library(directory: Path) -> tuple[SyncReport, CatalogueReport | None]:
    """Load scorecards/*.toml and training.toml together: every file valid (and every module
    a criterion names in the catalogue) or nothing loaded."""
    problems: list[Problem] = []
    catalogue = None
    try:
        catalogue = read_catalogue(directory / CATALOGUE_FILE)
    except DefinitionError as error:
        problems.extend(error.problems)
    try:
        report = sync_scorecard_files(
            directory, known_modules=catalogue.keys if catalogue else None
        )
    except DefinitionError as error:
        problems.extend(error.problems)
    if problems:
        raise DefinitionError(problems)
    return report, sync_catalogue(catalogue) if catalogue else None
