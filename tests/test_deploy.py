"""The deploy/ examples work as written: nginx accepts the site (`nginx -t`), systemd accepts
the units (`systemd-analyze verify`), the commands they start exist, and the site's upload
limit and static folder match the app's (issue 22)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from config import ProductionConfig

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
SITE = DEPLOY / "nginx-qa-coach.conf"
UNITS = ("qa-coach-web.service", "qa-coach-worker.service")
INSTALLED = "/opt/qa-coach"  # where the examples expect the checkout
IN_CI = os.environ.get("CI") == "true"


def _needs(program: str, why: str) -> str:
    """The program's path; without it the test skips, except in CI (which installs it)."""
    path = shutil.which(program) or (
        f"/usr/sbin/{program}" if Path(f"/usr/sbin/{program}").exists() else None
    )
    if path is None:
        if IN_CI:
            pytest.fail(f"{program} is missing: .ci/run installs it ({why})")
        pytest.skip(f"{program} is not installed ({why}); CI installs it")
    return path


def _run(arguments: list[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own arguments
        arguments, capture_output=True, text=True, check=False, **kwargs
    )


def test_the_upload_limit_matches_the_apps() -> None:
    site = SITE.read_text(encoding="utf-8")
    found = re.search(r"client_max_body_size (\d+)m;", site)
    assert found is not None
    assert int(found.group(1)) * 1024 * 1024 == ProductionConfig({}).MAX_CONTENT_LENGTH


def test_static_files_come_from_the_packages_static_folder() -> None:
    site = SITE.read_text(encoding="utf-8")
    found = re.search(r"location /static/ \{\s*alias (\S+);", site)
    assert found is not None
    folder = Path(found.group(1).replace(INSTALLED, str(ROOT)))
    assert folder == ROOT / "qa_app" / "static"
    assert (folder / "css").is_dir()


def test_nginx_accepts_the_site(tmp_path: Path) -> None:
    nginx = _needs("nginx", "apt-get install nginx")
    openssl = _needs("openssl", "apt-get install openssl")
    certificate, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = _run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=qa.example.com", "-keyout", str(key), "-out", str(certificate)]
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    site = SITE.read_text(encoding="utf-8")
    site = site.replace("/etc/ssl/qa-coach/fullchain.pem", str(certificate))
    site = site.replace("/etc/ssl/qa-coach/privkey.pem", str(key))
    (tmp_path / "site.conf").write_text(site, encoding="utf-8")
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\n"
        f"error_log {tmp_path}/error.log;\n"
        "events {}\n"
        "http {\n"
        f"    access_log {tmp_path}/access.log;\n"
        f"    client_body_temp_path {tmp_path}/body;\n"
        f"    proxy_temp_path {tmp_path}/proxy;\n"
        f"    include {tmp_path}/site.conf;\n"
        "}\n",
        encoding="utf-8",
    )
    checked = _run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")])
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr


def _unit_here(name: str, tmp_path: Path) -> Path:
    """The unit with the checkout and its virtual environment where this test runs."""
    text = (DEPLOY / name).read_text(encoding="utf-8")
    text = text.replace(f"{INSTALLED}/.venv/bin/", str(Path(sys.executable).parent) + "/")
    text = text.replace(INSTALLED, str(ROOT))
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("name", UNITS)
def test_the_units_start_commands_that_exist(name: str, tmp_path: Path) -> None:
    unit = _unit_here(name, tmp_path).read_text(encoding="utf-8")
    starts = re.findall(r"^ExecStart=(\S+)(.*)$", unit, flags=re.MULTILINE)
    assert len(starts) == 1
    program, arguments = starts[0]
    assert os.access(program, os.X_OK), program
    if "gunicorn" in program:
        config = arguments.split("--config", 1)[1].split()[0]
        assert Path(config).is_file()
        assert arguments.strip().endswith("run:app")
    else:
        assert arguments.split() == ["--app", "run", "jobs", "worker"]


@pytest.mark.parametrize("name", UNITS)
def test_systemd_accepts_the_units(name: str, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed; the units' commands are checked above")
    unit = _unit_here(name, tmp_path)
    checked = _run([analyze, "verify", "--man=no", str(unit)])
    # Only problems of this unit count: the machine's own units may have their own.
    problems = [line for line in checked.stderr.splitlines() if unit.name in line]
    assert problems == [], checked.stderr


def test_the_gunicorn_settings_load() -> None:
    settings: dict[str, object] = {}
    exec(  # noqa: S102 - our own settings file, as gunicorn reads it
        (DEPLOY / "gunicorn.conf.py").read_text(encoding="utf-8"), settings
    )
    assert settings["bind"] == "127.0.0.1:8000"
    assert callable(settings["child_exit"])


def test_the_worker_unit_stops_the_worker_gracefully() -> None:
    # Huey's consumer finishes its running jobs on SIGINT and stops at once on SIGTERM
    # (systemd's default), cutting a running export or import off.
    unit = (ROOT / "deploy" / "qa-coach-worker.service").read_text(encoding="utf-8")
    assert re.findall(r"^KillSignal=(\S+)$", unit, flags=re.MULTILINE) == ["SIGINT"]
    [timeout] = re.findall(r"^TimeoutStopSec=(\d+)$", unit, flags=re.MULTILINE)
    assert int(timeout) >= 60
