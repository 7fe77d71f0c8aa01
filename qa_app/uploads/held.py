"""Uploaded files kept between an import's dry run and its confirmation.

A browser cannot send a file again without the user choosing it again, so a file that
passed its dry run is kept on the server: in a directory of its own (mode 0700) inside the
app's private scratch directory (SCRATCH_DIR, see qa_app.exports.scratch), named by a random
token. The page carries only the token. The file is bound to the browser session that sent
it (only a hash of the session is written down) and to its content's SHA-256, so another
user, another browser or a file changed on disk cannot be imported through the token. A
kept file is removed once imported, and any kept file older than a day is removed the next
time a file is kept or taken.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

PREFIX = "upload-"
KEEP_SECONDS = 24 * 3600
TOKEN = re.compile(r"^[0-9a-f]{32}$")
MAX_FILENAME = 255


@dataclass(frozen=True)
class HeldFile:
    """A kept upload: its bytes and the name the browser sent."""

    data: bytes
    filename: str


def owner_of(user_id: int, session_token: str | None) -> str:
    """Who may use a kept file: one user in one signed-in browser (a hash, never the token)."""
    return hashlib.sha256(f"{user_id}\0{session_token or ''}".encode()).hexdigest()


def hold(root: str | Path, data: bytes, filename: str, owner: str, *, kind: str) -> str:
    """Keep `data` for `owner`; the token that names it."""
    sweep_held(root)
    token = secrets.token_hex(16)
    directory = _private(Path(root)) / f"{PREFIX}{token}"
    directory.mkdir(mode=0o700)
    (directory / "file").write_bytes(data)
    meta = {
        "owner": owner,
        "kind": kind,
        "sha256": hashlib.sha256(data).hexdigest(),
        "filename": filename[:MAX_FILENAME],
    }
    (directory / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    return token


def take(root: str | Path, token: str, owner: str, *, kind: str) -> HeldFile | None:
    """The file kept under `token` for `owner` and `kind`; None when there is none (unknown,
    someone else's, older than a day, or changed since it was kept)."""
    sweep_held(root)
    if not TOKEN.match(token or ""):
        return None
    directory = Path(root) / f"{PREFIX}{token}"
    try:
        meta = json.loads((directory / "meta.json").read_text(encoding="utf-8"))
        data = (directory / "file").read_bytes()
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or not secrets.compare_digest(str(meta.get("owner")), owner):
        return None
    if meta.get("kind") != kind or hashlib.sha256(data).hexdigest() != meta.get("sha256"):
        return None
    return HeldFile(data, str(meta.get("filename") or "upload.csv"))


def release(root: str | Path, token: str) -> None:
    """Remove a kept file (after it was imported)."""
    if TOKEN.match(token or ""):
        shutil.rmtree(Path(root) / f"{PREFIX}{token}", ignore_errors=True)


def sweep_held(root: str | Path, *, now: float | None = None) -> list[Path]:
    """Remove the kept files older than a day; the directories removed."""
    directory = Path(root)
    if not directory.is_dir():
        return []
    moment = time.time() if now is None else now
    removed = []
    for entry in directory.iterdir():
        if not entry.name.startswith(PREFIX):
            continue
        try:
            old = moment - entry.stat().st_mtime > KEEP_SECONDS
        except FileNotFoundError:
            continue
        if old:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def _private(root: Path) -> Path:
    """The scratch directory, private (0700) whoever made it."""
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o700)
    return root
