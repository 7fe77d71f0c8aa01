"""Publishing scorecard versions, loading scorecard files, archiving."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from qa_app.audit.services import record_event
from qa_app.extensions import db
from qa_app.scorecards.definition import (
    DefinitionError,
    Problem,
    content_hash,
    parse_toml,
)
from qa_app.scorecards.models import Scorecard, ScorecardCriterion, ScorecardVersion
from qa_app.scorecards.texts import criterion_labels, default_text, definition_language
from qa_app.scoring import criterion_weight

# Files in scorecards/ that are not scorecards.
NOT_SCORECARDS = frozenset({"training.toml"})
MAX_FILE_BYTES = 1024 * 1024


def has_scorecards() -> bool:
    """True when at least one scorecard exists."""
    return db.session.scalar(sa.select(Scorecard.id).limit(1)) is not None


def latest_version(scorecard: Scorecard) -> ScorecardVersion | None:
    """The newest published version, or None for a scorecard that is still a draft."""
    return db.session.scalar(
        sa.select(ScorecardVersion)
        .where(ScorecardVersion.scorecard_id == scorecard.id)
        .order_by(ScorecardVersion.number.desc())
        .limit(1)
    )


def publish_version(
    scorecard: Scorecard,
    definition: Mapping[str, Any],
    *,
    source: str,
    actor_id: int | None = None,
) -> ScorecardVersion | None:
    """Publish a validated, canonical definition as the next version.

    Returns None when it is identical to the latest version (nothing to publish).
    """
    digest = content_hash(definition)
    latest = latest_version(scorecard)
    if latest is not None and latest.content_hash == digest:
        return None
    # The columns hold the texts in the file's own language (the definition holds them all).
    language = definition_language(definition)
    name = default_text(definition["name"], language)
    version = ScorecardVersion(
        scorecard=scorecard,
        number=(latest.number + 1) if latest else 1,
        name=name,
        pass_mark=definition["pass_mark"],
        definition=dict(definition),
        content_hash=digest,
        source=source,
        published_by_id=actor_id,
    )
    db.session.add(version)
    position = 0
    for section_position, section in enumerate(definition["sections"], start=1):
        for criterion in section["criteria"]:
            position += 1
            db.session.add(
                ScorecardCriterion(
                    version=version,
                    key=criterion["key"],
                    label=default_text(criterion["label"], language),
                    section_title=default_text(section["title"], language),
                    section_position=section_position,
                    position=position,
                    kind=criterion["kind"],
                    weight=criterion_weight(criterion),
                    critical=criterion["critical"],
                    na_allowed=criterion["na_allowed"],
                )
            )
    scorecard.name = name
    db.session.flush()
    record_event(
        "scorecard.published",
        "scorecard",
        scorecard.id,
        after={"version": version.number, "source": source, "content_hash": digest},
        actor_id=actor_id,
    )
    return version


def labels_in_reader_language(labels: Mapping[str, str]) -> dict[str, str]:
    """Criterion key → label in the reader's language, for reports that group answers by key
    in SQL and name each criterion by its stored label (the file's own language): each is
    looked up in the newest version that has that key with that label."""
    if not labels:
        return {}
    newest = db.session.execute(
        sa.select(
            ScorecardCriterion.key,
            ScorecardCriterion.label,
            sa.func.max(ScorecardCriterion.version_id),
        )
        .where(ScorecardCriterion.key.in_(list(labels)))
        .group_by(ScorecardCriterion.key, ScorecardCriterion.label)
    ).all()
    wanted = {key: version_id for key, label, version_id in newest if labels.get(key) == label}
    definitions: dict[int, dict[str, Any]] = dict(
        db.session.execute(
            sa.select(ScorecardVersion.id, ScorecardVersion.definition).where(
                ScorecardVersion.id.in_(set(wanted.values()))
            )
        ).all()
    )
    result = dict(labels)
    for key, version_id in wanted.items():
        translated = criterion_labels(definitions[version_id]).get(key)
        if translated:
            result[key] = translated
    return result


@dataclass
class SyncReport:
    """What `sync_scorecard_files` did, per scorecard slug."""

    created: list[str] = field(default_factory=list)
    new_versions: list[tuple[str, int]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


def read_scorecard_files(
    directory: Path, known_modules: frozenset[str] | None = None
) -> list[dict[str, Any]]:
    """Read and validate every scorecard file; raise DefinitionError with all problems.

    With `known_modules`, a criterion naming a module outside them is a problem too.
    """
    problems: list[Problem] = []
    definitions: list[dict[str, Any]] = []
    paths = sorted(p for p in directory.glob("*.toml") if p.name not in NOT_SCORECARDS)
    if not paths:
        raise DefinitionError([Problem(str(directory), "no scorecard files (*.toml) found")])
    for path in paths:
        if path.stat().st_size > MAX_FILE_BYTES:
            problems.append(Problem("(file)", "larger than 1 MiB", path.name))
            continue
        try:
            text = path.read_text(encoding="utf-8")
            definition = parse_toml(
                text, source=path.name, expected_slug=path.stem, known_modules=known_modules
            )
            definitions.append(definition)
        except UnicodeDecodeError:
            problems.append(Problem("(file)", "is not UTF-8 text", path.name))
        except DefinitionError as error:
            problems.extend(error.problems)
    if problems:
        raise DefinitionError(problems)
    return definitions


def sync_scorecard_files(
    directory: Path, known_modules: frozenset[str] | None = None
) -> SyncReport:
    """Load scorecards/*.toml: all files valid or nothing loaded; a version only on change.

    A file whose content equals an older version (the web builder published since) is left
    alone rather than rolling the scorecard back.
    """
    definitions = read_scorecard_files(directory, known_modules)
    report = SyncReport()
    for definition in definitions:
        slug = definition["slug"]
        scorecard = db.session.scalar(sa.select(Scorecard).where(Scorecard.slug == slug))
        if scorecard is None:
            name = default_text(definition["name"], definition_language(definition))
            scorecard = Scorecard(slug=slug, name=name)
            db.session.add(scorecard)
            db.session.flush()
            publish_version(scorecard, definition, source="file")
            report.created.append(slug)
            continue
        if scorecard.is_archived:
            report.skipped.append((slug, "archived"))
            continue
        digest = content_hash(definition)
        known = db.session.scalar(
            sa.select(ScorecardVersion.number).where(
                ScorecardVersion.scorecard_id == scorecard.id,
                ScorecardVersion.content_hash == digest,
            )
        )
        latest = latest_version(scorecard)
        if latest is not None and latest.content_hash == digest:
            report.unchanged.append(slug)
        elif known is not None and latest is not None:  # a known version makes a latest
            report.skipped.append(
                (slug, f"the file matches version {known}, but version {latest.number} "
                       "was published since; download the latest version into the file")
            )  # fmt: skip
        else:
            version = publish_version(scorecard, definition, source="file")
            assert version is not None  # the file differs from the latest version
            report.new_versions.append((slug, version.number))
    return report


def set_archived(scorecard: Scorecard, archived: bool) -> None:
    """Archive (no new evaluations) or restore a scorecard."""
    status = "archived" if archived else "active"
    if scorecard.status == status:
        return
    record_event(
        "scorecard.archived" if archived else "scorecard.restored",
        "scorecard",
        scorecard.id,
        before={"status": scorecard.status},
        after={"status": status},
    )
    scorecard.status = status


def scorecard_for_channel(channel: str, scorecards: Sequence[tuple[int, list[str]]]) -> int | None:
    """The most specific active scorecard for a channel (fewest channels wins, then id)."""
    matching = [
        (len(channels), scorecard_id)
        for scorecard_id, channels in scorecards
        if channel in channels
    ]
    return min(matching)[1] if matching else None


def active_scorecards() -> list[tuple[int, list[str]]]:
    """(id, channels) of every active scorecard's latest version."""
    latest = (
        sa.select(ScorecardVersion.scorecard_id, sa.func.max(ScorecardVersion.number).label("n"))
        .group_by(ScorecardVersion.scorecard_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Scorecard.id, ScorecardVersion.definition)
        .join(latest, latest.c.scorecard_id == Scorecard.id)
        .join(
            ScorecardVersion,
            sa.and_(
                ScorecardVersion.scorecard_id == Scorecard.id, ScorecardVersion.number == latest.c.n
            ),
        )
        .where(Scorecard.status == "active")
    )
    return [(scorecard_id, definition["channels"]) for scorecard_id, definition in rows]
