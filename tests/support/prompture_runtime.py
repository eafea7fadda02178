"""Run Python against a Prompture checkout: the release's own dependencies, the checkout first on PYTHONPATH."""

from __future__ import annotations

import functools
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
    plus the PyPI ``packages`` given (e.g. "openai", a real SDK).

    With ``packages``, the venv of the release's dependencies is that Python when it already
    has them all (Prompture's early releases depend on the SDKs); else a venv of its own is
    layered on it, holding only the ``packages`` and what they add.
    """
    require_e2e_mark(f"the Prompture {version} runtime")
    name = f"prompture-{version}-py{sys.version_info.major}{sys.version_info.minor}"
    base = _venv_python(name, [f"prompture[toon]=={version}", "pytest", "pytest-asyncio"])
    wanted = sorted(packages)
    if not wanted or _has_distributions(base, tuple(wanted)):
        return base
    return _venv_python("-".join([name, *wanted]), wanted, base=base)


def tools_python(*packages: str) -> Path:
    """Return a Python with only the PyPI ``packages`` (tools such as bandit or mypy; a cached venv)."""
    require_e2e_mark(f"a venv with {', '.join(packages)}")
    name = f"tools-py{sys.version_info.major}{sys.version_info.minor}"
    return _venv_python("-".join([name, *sorted(packages)]), sorted(packages))


def _venv_python(name: str, requirements: list[str], base: Path | None = None) -> Path:
    """The Python of the cached venv ``name`` with ``requirements`` installed, built on first use.

    ``base``: the Python of another such venv whose packages this one sees too (a ``.pth``
    file lists its site-packages after this venv's own), so pip installs only what is new.
    Nothing is byte-compiled at install time: the tests import a small part of what they
    install, and Python compiles that on import (into the session's shared bytecode folder).

    Safe to call from several threads and processes at once. The venv is made by a
    ``python -m venv`` child, never in this process: a venv copies the interpreter
    into ``bin/``, and a file this process holds open for writing is inherited by
    every child another thread forks meanwhile, which makes exec'ing that
    interpreter fail with "Text file busy".
    """
    folder = CACHE_DIR / "venvs" / name
    python = folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    ready = folder / ".ready"
    if ready.exists():
        return python
    with exclusive(folder.with_name(folder.name + ".lock")):
        if not ready.exists():
            subprocess.run([sys.executable, "-m", "venv", "--clear", str(folder)], check=True)
            if base is not None:
                (_site_packages(python) / "_layered_on.pth").write_text(f"{_site_packages(base)}\n")
            install = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
            subprocess.run([*install, *requirements], check=True)
            ready.touch()
    return python


def _site_packages(python: Path) -> Path:
    found = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return Path(found.stdout.strip())


@functools.cache
def _has_distributions(python: Path, names: tuple[str, ...]) -> bool:
    """True when every distribution in ``names`` is installed for ``python``."""
    code = "import importlib.metadata as m, sys; [m.version(name) for name in sys.argv[1:]]"
    return subprocess.run([str(python), "-c", code, *names], capture_output=True).returncode == 0


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
    env.update(PYTHONPATH=str(checkout), HOME=str(home), **extra)
    # Bytecode goes to the session's PYTHONPYCACHEPREFIX (tests/conftest.py), shared by every process
    # that imports the same files, never into the checkout; without that folder, none is written.
    if env.get("PYTHONPYCACHEPREFIX"):
        env.pop("PYTHONDONTWRITEBYTECODE", None)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def run_python(python: Path, checkout: Path, code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([str(python), "-c", code], cwd=checkout, env=env, capture_output=True, text=True, timeout=300)
