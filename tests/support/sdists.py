"""Real Prompture checkouts for the tests: PyPI sdists, downloaded once and cached.

The cache lives in ``$PTD_CACHE_DIR`` (default: ``~/.cache/prompture-driver-template``)
so a fresh clone on the same machine does not download again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from .cache_lock import exclusive

CACHE_DIR = Path(os.environ.get("PTD_CACHE_DIR", Path.home() / ".cache" / "prompture-driver-template"))

# pip's and uv's own download caches, the ones a person's machine already has (not under CACHE_DIR, which
# holds what this suite builds): tests that give a tool a new HOME point it back at these.
_XDG_CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
PIP_CACHE_DIR = Path(os.environ.get("PIP_CACHE_DIR") or _XDG_CACHE / "pip")
UV_CACHE_DIR = Path(os.environ.get("UV_CACHE_DIR") or _XDG_CACHE / "uv")


# Set by conftest for each test: whether it is marked ``e2e``. The quick loop
# (``-m "not e2e"``) must need no sdist or runtime, so an unmarked test that asks
# for one fails here, naming the marker, instead of slowly downloading.
e2e_allowed = True


def require_e2e_mark(what: str) -> None:
    if not e2e_allowed:
        raise RuntimeError(f"this test uses {what}: mark it @pytest.mark.e2e (the quick loop skips those)")


def sdist_archive(version: str) -> Path:
    """Return the cached ``prompture-<version>.tar.gz``, downloading it once."""
    require_e2e_mark(f"the Prompture {version} sdist")
    folder = CACHE_DIR / "sdists"
    archive = folder / f"prompture-{version}.tar.gz"
    if archive.exists():
        return archive
    with exclusive(folder / f"prompture-{version}.lock"):
        if not archive.exists():
            # Into a scratch folder first, so a half-downloaded archive is never taken for a whole one.
            with tempfile.TemporaryDirectory(dir=folder) as scratch:
                subprocess.run(
                    [
                        sys.executable,
                        "-m",
                        "pip",
                        "download",
                        "--quiet",
                        "--disable-pip-version-check",
                        "--no-deps",
                        "--no-binary",
                        ":all:",
                        f"prompture=={version}",
                        "--dest",
                        scratch,
                    ],
                    check=True,
                )
                os.replace(Path(scratch) / archive.name, archive)
    return archive


def extract_checkout(version: str, destination: Path) -> Path:
    """Extract a fresh checkout of Prompture ``version`` into ``destination`` and return its root."""
    archive = sdist_archive(version)
    destination.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive) as tar:
        tar.extractall(destination, filter="data") if hasattr(tarfile, "data_filter") else tar.extractall(destination)
    return destination / f"prompture-{version}"
