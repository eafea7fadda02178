"""A committed snapshot of this template as its own git repository.

Copier copies a dirty local template by committing the changes afresh on every
run, so `_commit` in the answers file would differ between two identical runs.
Tests copy from a clean snapshot of the working tree instead.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from .copier_cli import TEMPLATE_DIR

GIT_IDENTITY = ["-c", "user.name=Template Tests", "-c", "user.email=tests@example.invalid"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *GIT_IDENTITY, *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def snapshot_template(destination: Path) -> Path:
    """Copy the template's working tree (tracked and new files, not ignored ones) into a fresh one-commit repo."""
    listed = git(TEMPLATE_DIR, "ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    destination.mkdir(parents=True, exist_ok=True)
    for name in filter(None, listed):
        source = TEMPLATE_DIR / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    git(destination, "init", "-q")
    git(destination, "add", "-A")
    git(destination, "commit", "-qm", "template snapshot")
    return destination
