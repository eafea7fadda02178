"""The real ``copier`` command line, run as a subprocess against this template."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

from .prompture_runtime import checkout_env
from .sdists import CACHE_DIR

TEMPLATE_DIR = Path(__file__).resolve().parents[2]


def run_copier(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "copier", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
    )


#: The models.dev client's knobs and the tests' fault switch: never inherited by a copier run.
_KNOBS = ("MODELS_DEV_URL", "MODELS_DEV_OFFLINE", "MODELS_DEV_TTL", "MODELS_DEV_TIMEOUT", "PTD_TEST_FAIL_WRITE")


def copier_env(tmp: Path, models_dev_url: str = "", *, name: str = "", **extra: str) -> dict[str, str]:
    """Environment for a real ``copier`` run: its own HOME and models.dev cache under ``tmp`` (``-name``
    appended, for several in one folder), the user cache shared, models.dev at ``models_dev_url``, no
    inherited API keys or models.dev knobs, the checkout's code not on PYTHONPATH; ``extra`` on top."""
    suffix = f"-{name}" if name else ""
    home = tmp / f"home{suffix}"
    home.mkdir(exist_ok=True)
    env = checkout_env(tmp, home)
    env.pop("PYTHONPATH")
    for knob in _KNOBS:
        env.pop(knob, None)
    env.update(
        MODELS_DEV_CACHE_DIR=str(tmp / f"models-dev-cache{suffix}"),
        # The user cache holds the template's compiled Jinja code (extensions/jinja_globals.py), warm after
        # the first run as on a person's machine; models.dev has the folder above, one per run.
        XDG_CACHE_HOME=str(CACHE_DIR / "user-cache"),
        NO_PROXY="127.0.0.1,localhost",
        PYTHONIOENCODING="utf-8",
    )
    if models_dev_url:
        env["MODELS_DEV_URL"] = models_dev_url
    env.update(extra)
    return env


def file_digests(root: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root`` (symlinks by their target text), except ``skip``
    and what git, Python and ruff keep for themselves (.git, __pycache__, .ruff_cache)."""
    digests = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel in skip or {".git", "__pycache__", ".ruff_cache"} & set(Path(rel).parts):
            continue
        if path.is_symlink():
            digests[rel] = "symlink:" + os.readlink(path)
        elif path.is_file():
            digests[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


def tree_digest(root: Path, skip: tuple[str, ...] = ()) -> str:
    """One hash of :func:`file_digests` (to prove nothing changed)."""
    return hashlib.sha256(repr(sorted(file_digests(root, skip).items())).encode()).hexdigest()
