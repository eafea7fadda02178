"""Run Python against a Prompture checkout: the release's own dependencies, the checkout first on PYTHONPATH."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from datetime import datetime, timezone
from pathlib import Path

from .sdists import CACHE_DIR


def runtime_python(version: str) -> Path:
    """Return a Python that has Prompture ``version``'s dependencies (a cached venv)."""
    folder = CACHE_DIR / "venvs" / f"prompture-{version}-py{sys.version_info.major}{sys.version_info.minor}"
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    ready = folder / ".ready"
    if not ready.exists():
        venv.create(folder, with_pip=True, clear=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", f"prompture[toon]=={version}", "pytest", "pytest-asyncio"],
            check=True,
        )
        ready.touch()
    return python


def seed_models_dev_cache(home: Path, catalogue: Path) -> None:
    """Give Prompture (under ``home``) a fresh models.dev cache, so it prices and lists models offline."""
    cache = home / ".prompture" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    (cache / "models_dev.json").write_bytes(catalogue.read_bytes())
    meta = {"fetched_at": datetime.now(timezone.utc).isoformat(), "ttl_days": 7}
    (cache / "models_dev_meta.json").write_text(json.dumps(meta))


def checkout_env(checkout: Path, home: Path, **extra: str) -> dict[str, str]:
    """Environment for running code against ``checkout`` with its own HOME and no inherited API keys."""
    env = {key: value for key, value in os.environ.items() if not key.endswith(("_API_KEY", "_ENDPOINT"))}
    env.update(PYTHONPATH=str(checkout), HOME=str(home), PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def run_python(python: Path, checkout: Path, code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(python), "-c", code], cwd=checkout, env=env, capture_output=True, text=True, timeout=300
    )
