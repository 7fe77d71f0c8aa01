"""Configuration comes from the environment; production refuses unsafe settings."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import (
    ConfigError,
    DevelopmentConfig,
    ProductionConfig,
    config_from_environment,
    normalise_database_url,
)
from qa_app import create_app


@pytest.mark.parametrize("secret", [None, "", "dev", "changeme", "short"])
def test_production_refuses_missing_or_weak_secret(secret: str | None) -> None:
    environ = {"DATABASE_URL": "sqlite://"}
    if secret is not None:
        environ["SECRET_KEY"] = secret
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app(ProductionConfig(environ))


def test_production_starts_with_a_real_secret() -> None:
    app = create_app(ProductionConfig({"SECRET_KEY": "x" * 64, "DATABASE_URL": "sqlite://"}))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_is_the_default() -> None:
    assert isinstance(config_from_environment({}), ProductionConfig)


def test_unknown_config_name_is_refused() -> None:
    with pytest.raises(ConfigError, match="QA_CONFIG"):
        config_from_environment({"QA_CONFIG": "staging"})


def test_numbers_are_checked() -> None:
    with pytest.raises(ConfigError, match="SESSION_IDLE_MINUTES"):
        ProductionConfig({"SESSION_IDLE_MINUTES": "soon"})


def test_development_keeps_a_random_secret_in_instance(tmp_path: object) -> None:
    config = DevelopmentConfig({})
    config.resolve_instance_secret(str(tmp_path))
    again = DevelopmentConfig({})
    again.resolve_instance_secret(str(tmp_path))
    assert config.SECRET_KEY == again.SECRET_KEY
    assert len(config.SECRET_KEY) == 64


def test_sqlite_in_instance_by_default() -> None:
    assert ProductionConfig({}).SQLALCHEMY_DATABASE_URI == "sqlite:///qa_coach.sqlite"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@h/db", "postgresql+psycopg://u:p@h/db"),
        ("postgresql://u@h:5433/db", "postgresql+psycopg://u@h:5433/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:////var/lib/qa.sqlite", "sqlite:////var/lib/qa.sqlite"),
    ],
)
def test_database_url_uses_psycopg3(url: str, expected: str) -> None:
    assert normalise_database_url(url) == expected
    assert expected == ProductionConfig({"DATABASE_URL": url}).SQLALCHEMY_DATABASE_URI


def test_the_served_app_freezes_its_start_up_objects(tmp_path: Path) -> None:
    """`run.py` (gunicorn's and `flask run`'s app) moves what start-up made out of the cycle
    collector's sight; `create_app` itself does not (tests make many apps)."""
    environ = {
        **os.environ,
        "QA_CONFIG": "production",
        "SECRET_KEY": "x" * 64,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.sqlite'}",
    }
    script = "import gc, run; print(gc.get_freeze_count())"
    result = subprocess.run(  # noqa: S603 - this interpreter, our own module
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parent.parent,
        env=environ,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(result.stdout) > 10_000
    assert gc.get_freeze_count() == 0


@pytest.mark.parametrize("value", ["-1", "101"])
def test_calibration_tolerance_is_points_on_the_scale(value: str) -> None:
    config = DevelopmentConfig({"CALIBRATION_TOLERANCE_POINTS": value})
    with pytest.raises(ConfigError, match="CALIBRATION_TOLERANCE_POINTS"):
        config.validate()


def test_calibration_tolerance_defaults_to_five_points() -> None:
    assert DevelopmentConfig({}).CALIBRATION_TOLERANCE_POINTS == 5
