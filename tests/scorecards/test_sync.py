"""`flask scorecards sync`: all files valid or nothing loaded; versions only on change."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from qa_app.audit.models import AuditEvent
from qa_app.extensions import db
from qa_app.scorecards.definition import parse_toml
from qa_app.scorecards.models import Scorecard, ScorecardCriterion, ScorecardVersion
from qa_app.scorecards.services import publish_version
from tests.conftest import SCORECARD_TOML, Organisation

SHIPPED_DIR = Path(__file__).resolve().parents[2] / "scorecards"


@pytest.fixture
def files(tmp_path: Path) -> Path:
    """A copy of the shipped scorecards to change freely."""
    folder = tmp_path / "scorecards"
    shutil.copytree(SHIPPED_DIR, folder)
    return folder


def sync(runner: Any, folder: Path) -> Any:
    return runner.invoke(args=["scorecards", "sync", "--dir", str(folder)])


def versions(app: Flask) -> list[tuple[str, int, str]]:
    with app.app_context():
        rows = db.session.execute(
            sa.select(Scorecard.slug, ScorecardVersion.number, ScorecardVersion.content_hash)
            .join(ScorecardVersion.scorecard)
            .order_by(Scorecard.slug, ScorecardVersion.number)
        )
        return [tuple(row) for row in rows]


def test_loads_the_shipped_scorecards(app: Flask, runner: Any, files: Path) -> None:
    result = sync(runner, files)
    assert result.exit_code == 0, result.output
    assert "3 new, 0 updated, 0 unchanged" in result.output
    assert [(slug, number) for slug, number, _ in versions(app)] == [
        ("complaint-escalation", 1),
        ("inbound-call", 1),
        ("written-channels", 1),
    ]
    with app.app_context():
        criteria = db.session.scalar(sa.select(sa.func.count(ScorecardCriterion.id)))
        published = db.session.scalars(
            sa.select(AuditEvent.action).where(AuditEvent.action == "scorecard.published")
        ).all()
    assert criteria >= 24
    assert len(published) == 3


def test_default_folder_is_the_shipped_one(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["scorecards", "sync"])
    assert result.exit_code == 0, result.output
    assert len(versions(app)) == 3


def test_second_run_changes_nothing(app: Flask, runner: Any, files: Path) -> None:
    sync(runner, files)
    before = versions(app)
    result = sync(runner, files)
    assert result.exit_code == 0
    assert "0 new, 0 updated, 3 unchanged" in result.output
    assert versions(app) == before


def test_changed_file_makes_a_new_version_and_keeps_the_old(
    app: Flask, runner: Any, files: Path
) -> None:
    sync(runner, files)
    path = files / "inbound-call.toml"
    path.write_text(path.read_text("utf-8").replace("pass_mark = 80", "pass_mark = 85"), "utf-8")
    old = dict(((slug, number), digest) for slug, number, digest in versions(app))
    result = sync(runner, files)
    assert "new version     inbound-call (version 2)" in result.output
    new = dict(((slug, number), digest) for slug, number, digest in versions(app))
    assert new[("inbound-call", 1)] == old[("inbound-call", 1)]
    assert ("inbound-call", 2) in new
    with app.app_context():
        first, second = db.session.scalars(
            sa.select(ScorecardVersion)
            .order_by(ScorecardVersion.number)
            .where(ScorecardVersion.name == "Inbound service call")
        ).all() or (None, None)
    assert first is not None and first.pass_mark == 80 and second.pass_mark == 85


def test_cosmetic_edits_do_not_make_a_version(app: Flask, runner: Any, files: Path) -> None:
    sync(runner, files)
    path = files / "inbound-call.toml"
    text = path.read_text("utf-8")
    path.write_text(
        "# reviewed by the quality team\n" + text.replace("pass_mark = 80", "pass_mark = 80.0"),
        "utf-8",
    )
    assert "3 unchanged" in sync(runner, files).output


def test_broken_file_loads_nothing(app: Flask, runner: Any, files: Path) -> None:
    path = files / "written-channels.toml"
    text = path.read_text("utf-8")
    path.write_text(text.replace('kind = "scale"', 'kind = "stars"', 1), "utf-8")
    (files / "zz-extra.toml").write_text(
        SCORECARD_TOML.replace("test-call", "zz-extra").replace("weight = 2", "weight = -1"),
        "utf-8",
    )
    result = sync(runner, files)
    assert result.exit_code == 1
    assert "Nothing was loaded: 2 problem(s)" in result.output
    assert "written-channels.toml: sections[" in result.output
    assert "kind: must be one of yes_no, scale, points, got 'stars'" in result.output
    assert "zz-extra.toml: sections[1].criteria[2] (empathy).weight" in result.output
    assert versions(app) == []


def test_file_name_must_equal_the_slug(app: Flask, runner: Any, tmp_path: Path) -> None:
    (tmp_path / "my-card.toml").write_text(SCORECARD_TOML, "utf-8")
    result = sync(runner, tmp_path)
    assert result.exit_code == 1
    assert "my-card.toml: slug: must equal the file name 'my-card'" in result.output


def test_empty_folder_is_an_error(runner: Any, tmp_path: Path) -> None:
    result = sync(runner, tmp_path)
    assert result.exit_code == 1
    assert "no scorecard files" in result.output


def test_training_catalogue_is_not_a_scorecard(app: Flask, runner: Any, tmp_path: Path) -> None:
    (tmp_path / "test-call.toml").write_text(SCORECARD_TOML, "utf-8")
    shutil.copy(SHIPPED_DIR / "training.toml", tmp_path / "training.toml")
    result = sync(runner, tmp_path)
    assert result.exit_code == 0, result.output
    assert "Scorecards: 1 new" in result.output
    with app.app_context():
        assert db.session.scalars(sa.select(Scorecard.slug)).all() == ["test-call"]


def test_builder_version_is_not_rolled_back(app: Flask, runner: Any, tmp_path: Path) -> None:
    (tmp_path / "test-call.toml").write_text(SCORECARD_TOML, "utf-8")
    sync(runner, tmp_path)
    with app.app_context():
        scorecard = db.session.scalar(sa.select(Scorecard))
        edited = parse_toml(SCORECARD_TOML.replace("pass_mark = 80", "pass_mark = 90"))
        publish_version(scorecard, edited, source="builder")
        db.session.commit()
    result = sync(runner, tmp_path)
    assert "skipped         test-call: the file matches version 1, but version 2" in result.output
    assert [number for _, number, _ in versions(app)] == [1, 2]


def test_archived_scorecards_are_skipped(app: Flask, runner: Any, tmp_path: Path) -> None:
    (tmp_path / "test-call.toml").write_text(SCORECARD_TOML, "utf-8")
    sync(runner, tmp_path)
    with app.app_context():
        db.session.scalar(sa.select(Scorecard)).status = "archived"
        db.session.commit()
    (tmp_path / "test-call.toml").write_text(SCORECARD_TOML.replace("80", "70"), "utf-8")
    assert "skipped         test-call: archived" in sync(runner, tmp_path).output
    assert len(versions(app)) == 1


def test_a_new_version_leaves_scored_evaluations_alone(
    app: Flask, org: Organisation, records: dict[str, int], sign_in_as: Any
) -> None:
    """Publishing version 2 (new weights, a renamed label) changes no existing evaluation:
    each keeps its version, answers and score; new evaluations use version 2."""
    from qa_app.auth.models import User
    from qa_app.evaluations.models import Answer, Evaluation
    from qa_app.evaluations.services import start_evaluation
    from qa_app.interactions.models import Interaction

    def snapshot() -> list[tuple[Any, ...]]:
        with app.app_context():
            rows = db.session.execute(
                sa.select(
                    Evaluation.id,
                    Evaluation.scorecard_version_id,
                    Evaluation.score,
                    Evaluation.raw_score,
                    Evaluation.passed,
                    Evaluation.lock_version,
                ).order_by(Evaluation.id)
            ).all()
            answers = db.session.execute(
                sa.select(
                    Answer.evaluation_id, Answer.criterion_key, Answer.value, Answer.normalised
                ).order_by(Answer.id)
            ).all()
            return [tuple(row) for row in rows] + [tuple(row) for row in answers]

    before = snapshot()
    changed = SCORECARD_TOML.replace('label = "Empathy"', 'label = "Empathy and warmth"').replace(
        "weight = 2", "weight = 5"
    )
    with app.app_context():
        scorecard = db.session.get(Scorecard, records["scorecard_id"])
        version = publish_version(scorecard, parse_toml(changed), source="builder")
        db.session.commit()
        assert version is not None and version.number == 2
    assert snapshot() == before

    page = sign_in_as(org.agent_a1).get(f"/evaluations/{records['released_id']}")
    html = page.get_data(as_text=True)
    assert "Empathy and warmth" not in html and "Empathy" in html
    with app.app_context():
        supervisor = db.session.get(User, org.supervisor_a.id)
        interaction = db.session.get(Interaction, records["interaction_id"])
        other = Interaction(
            agent_id=interaction.agent_id,
            channel="phone",
            occurred_at=interaction.occurred_at,
            external_ref="NEW-1",
        )
        db.session.add(other)
        db.session.flush()
        fresh = start_evaluation(
            supervisor, other, db.session.get(Scorecard, records["scorecard_id"])
        )
        assert fresh.version.number == 2
        db.session.rollback()
