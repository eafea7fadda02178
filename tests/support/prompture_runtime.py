"""Run Python against a Prompture checkout: the release's own dependencies, the checkout first on PYTHONPATH."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from .cache_lock import exclusive
from .sdists import CACHE_DIR, require_e2e_mark


def runtime_python(version: str, *packages: str) -> Path:
    """Return a Python that has Prompture ``version``'s dependencies (a cached venv, built once),
    plus the PyPI ``packages`` given (e.g. "openai", a real SDK: then a venv of its own).

    Safe to call from several threads and processes at once. The venv is made by a
    ``python -m venv`` child, never in this process: a venv copies the interpreter
    into ``bin/``, and a file this process holds open for writing is inherited by
    every child another thread forks meanwhile, which makes exec'ing that
    interpreter fail with "Text file busy".
    """
    require_e2e_mark(f"the Prompture {version} runtime")
    name = f"prompture-{version}-py{sys.version_info.major}{sys.version_info.minor}"
    folder = CACHE_DIR / "venvs" / "-".join([name, *sorted(packages)])
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    ready = folder / ".ready"
    if ready.exists():
        return python
    with exclusive(folder.with_name(folder.name + ".lock")):
        if not ready.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(folder)], check=True)
            subprocess.run(
                [
                    str(python),
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    f"prompture[toon]=={version}",
                    "pytest",
                    "pytest-asyncio",
                    *sorted(packages),
                ],
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
    return subprocess.run([str(python), "-c", code], cwd=checkout, env=env, capture_output=True, text=True, timeout=300)
