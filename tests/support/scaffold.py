"""A real ``copier copy`` of this template into a fresh Prompture sdist checkout, and running code there.

template = snapshot_template(tmp / "template")
with ModelsDevServer(FIXTURE) as server:
    done = scaffold(version, tmp, template, server)   # copies twice (the second must change nothing)
run_in_checkout(done, "from prompture import AcmeDriver")
"""

from __future__ import annotations

import copy
import os
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

from .copier_cli import copier_env, run_copier, tree_digest
from .models_dev_server import FIXTURE, ModelsDevServer, fixture_catalogue
from .prompture_runtime import checkout_env, run_python, runtime_python, seed_models_dev_cache
from .sdists import extract_checkout
from .template_repo import git, snapshot_template

PROVIDER, MODELS_DEV_ID = "acme", "acme-ai"


def catalogue_with_stepfun() -> bytes:
    """Our fixture plus a made-up "stepfun" entry shaped like the real one (the README quick start's provider)."""

    def change(catalogue: dict) -> None:
        stepfun = copy.deepcopy(catalogue["acme-ai"])
        api = "https://api.stepfun.example/v1"
        stepfun.update(id="stepfun", name="StepFun", env=["STEPFUN_API_KEY"], api=api, doc="")
        stepfun["models"] = {
            name.replace("acme", "step"): {**model, "id": name.replace("acme", "step")}
            for name, model in stepfun["models"].items()
        }
        catalogue["stepfun"] = stepfun

    return fixture_catalogue(change)


def copy_args(template: Path, checkout: Path, *extra: str, provider: str = PROVIDER) -> list[str]:
    """``copier copy`` with the defaults and the answers every layout's test uses."""
    data = ["--data", f"provider={provider}"]
    if provider == PROVIDER:
        data += ["--data", f"models_dev_provider={MODELS_DEV_ID}"]
    return ["copy", "--trust", "--defaults", "--vcs-ref", "HEAD", *data, *extra, str(template), str(checkout)]


@dataclass
class Scaffolded:
    version: str
    template: Path
    checkout: Path  # the sdist, committed to git, then copied into twice
    pristine: Path  # the same sdist, untouched
    home: Path  # HOME for Prompture (its models.dev cache is seeded there)
    first: subprocess.CompletedProcess
    second: subprocess.CompletedProcess
    status_after_first: str  # git status --porcelain after the first copy
    digest_after_first: str
    python: Path  # a Python with this release's dependencies
    answers: dict

    @property
    def touched(self) -> list[str]:
        """Files the first copy created or changed (relative paths)."""
        return [line[3:] for line in self.status_after_first.splitlines()]


def scaffold(version: str, tmp: Path, template: Path, server: ModelsDevServer) -> Scaffolded:
    """Copy the template into a fresh ``version`` checkout under ``tmp``, then again with the same answers."""
    checkout = extract_checkout(version, tmp / "src")
    pristine = extract_checkout(version, tmp / "pristine")
    git(checkout, "init", "-q")
    git(checkout, "add", "-A")
    git(checkout, "commit", "-qm", "sdist")
    seed_models_dev_cache(tmp / "home", FIXTURE)
    env = copier_env(tmp, server.url)
    first = run_copier(*copy_args(template, checkout), cwd=tmp, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    status = git(checkout, "status", "--porcelain", "--untracked-files=all")
    digest = tree_digest(checkout)
    second = run_copier(*copy_args(template, checkout, "--overwrite"), cwd=tmp, env=env)
    return Scaffolded(
        version=version,
        template=template,
        checkout=checkout,
        pristine=pristine,
        home=tmp / "home",
        first=first,
        second=second,
        status_after_first=status,
        digest_after_first=digest,
        python=runtime_python(version),
        answers=yaml.safe_load((checkout / f".copier-answers.{PROVIDER}.yml").read_text()),
    )


def copied_checkout(
    version: str, tmp: Path, provider: str, *data: str, template: Path | None = None
) -> tuple[Path, subprocess.CompletedProcess]:
    """A fresh ``version`` sdist under ``tmp / "src"`` (committed to git) with ``provider`` added by one
    ``copier copy --defaults`` (``data``: more ``key=value`` answers) against the local models.dev:
    the checkout's root and Copier's run. ``template``: a snapshot of this template to copy from
    (default: one made under ``tmp``).

    Prompture's models.dev cache under ``tmp / "home"`` is seeded with the fixture.
    """
    template = template or snapshot_template(tmp / "template")
    root = extract_checkout(version, tmp / "src")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "sdist")
    seed_models_dev_cache(tmp / "home", FIXTURE)
    answers = [arg for answer in (f"provider={provider}", *data) for arg in ("--data", answer)]
    with ModelsDevServer(FIXTURE) as server:
        args = ["copy", "--trust", "--defaults", "--vcs-ref", "HEAD", *answers, str(template), str(root)]
        return root, run_copier(*args, cwd=tmp, env=copier_env(tmp, server.url))


def run_in_checkout(done: Scaffolded, code: str, **env: str) -> str:
    """Run ``code`` with the release's Python, the checkout first on the path and ACME_API_KEY set; its stdout."""
    environment = checkout_env(done.checkout, done.home, ACME_API_KEY="test-key", **env)
    result = run_python(done.python, done.checkout, textwrap.dedent(code), environment)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def printed_checks(stderr: str) -> list[tuple[dict[str, str], str]]:
    """The ``[NAME=value ...] .venv/bin/python -c "..."`` lines of the message Copier prints after a copy:
    (the variables the line sets, its code) each."""
    lines = [line.strip() for line in stderr.splitlines()]
    checks = []
    for line in lines:
        if '.venv/bin/python -c "' in line:
            prefix, code = line.split('.venv/bin/python -c "', 1)
            checks.append((dict(pair.split("=", 1) for pair in prefix.split()), code[:-1]))
    return checks


def format_complaints(root: Path, rel: str) -> list[str]:
    """The lines ``ruff format`` would remove or add in ``rel`` under ``root``'s config, sorted.

    Compare an edited file's complaints with the pristine file's: 1.0.57 ships
    ``provider_descriptors.py`` unformatted, and an edit must add no complaint of its own.
    """
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--no-cache", "--diff", rel], cwd=root, capture_output=True, text=True
    )
    assert result.returncode in (0, 1), result.stderr
    lines = result.stdout.splitlines()
    return sorted(line for line in lines if line[:1] in "+-" and not line.startswith(("+++", "---")))


def prepare_runtimes(versions: list[str]) -> None:
    """Build the per-release venvs (cached) side by side, so a cold cache costs one install's time."""
    with ThreadPoolExecutor(max_workers=len(versions) or 1) as pool:
        list(pool.map(runtime_python, versions))


# ── Python 3.10 ────────────────────────────────────────────────────────────────


def _is_python310(executable: str) -> bool:
    try:
        result = subprocess.run(
            [executable, "-c", "import sys; print(sys.version_info[:2] == (3, 10))"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return result.stdout.strip() == "True"


def python310() -> str | None:
    """A Python 3.10 interpreter: this one, ``python3.10`` on PATH, a pyenv or ``uv`` install; None if none."""
    candidates = [sys.executable, shutil.which("python3.10")]
    candidates += sorted(str(p) for p in Path.home().glob(".pyenv/versions/3.10*/bin/python3.10"))
    uv = shutil.which("uv")
    if uv:
        found = subprocess.run([uv, "python", "find", "3.10"], capture_output=True, text=True)
        candidates.append(found.stdout.strip() or None)
    return next((c for c in candidates if c and _is_python310(c)), None)


def compile_on_python310(root: Path, files: list[str], pycache: Path) -> str:
    """Byte-compile ``files`` with Python 3.10 (``compileall``, caches under ``pycache``); "" when they compile.

    Without a Python 3.10 here, ``ast.parse(..., feature_version=(3, 10))`` on this interpreter
    stands in (it rejects syntax newer than 3.10), and the result says so.
    """
    python = python310()
    if python is not None:
        env = {**os.environ, "PYTHONPYCACHEPREFIX": str(pycache)}
        result = subprocess.run(
            [python, "-m", "compileall", "-q", *files], cwd=root, env=env, capture_output=True, text=True
        )
        return "" if result.returncode == 0 else f"{python}: {result.stdout}{result.stderr}"
    import ast

    for rel in files:
        try:
            ast.parse((root / rel).read_text(encoding="utf-8"), filename=rel, feature_version=(3, 10))
        except SyntaxError as error:
            return f"no Python 3.10 found; ast.parse(feature_version=(3, 10)): {rel}: {error}"
    return ""
