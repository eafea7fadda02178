"""The commands printed after a copy and after an update, run exactly as printed ("commit, test, update").

A fresh clone of this repository runs ``python3 dev.py copy`` as the README's quick start does,
so the checkout is the one dev.py makes (a fresh Prompture 1.15.1 sdist, as a git repository).
Then, in that checkout, every indented command of the printed next steps runs as printed in
bash, one after the other: the environment they need (the checkout's ``.venv``, made by the
first of them), the add-driver checks, the rendered tests. The person then commits and runs the
printed update command, which must find a clean tree (what the checks and tests left behind is
ignored) and print the same next steps.

Only models.dev is a local stand-in (for Copier, and seeded into Prompture's own cache under
HOME so that discovery lists the models offline). Python writes bytecode here, as on a person's
machine (PYTHONDONTWRITEBYTECODE is unset), so ``__pycache__/`` folders do appear.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from support.models_dev_server import ModelsDevServer
from support.prompture_runtime import seed_models_dev_cache
from support.scaffold import catalogue_with_stepfun
from support.sdists import PIP_CACHE_DIR
from support.template_repo import GIT_IDENTITY, snapshot_template

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(os.name == "nt", reason="the printed commands are for a POSIX shell"),
]

COPY = ["python3", "dev.py", "copy", "--defaults", "--data", "provider=stepfun"]


def next_steps(stderr: str) -> tuple[str, list[str]]:
    """The folder the message says to run in, and its indented command lines, in order."""
    message = stderr[stderr.rindex("\nNext, in ") + 1 :]
    folder = re.match(r"Next, in (.+):\n", message)
    assert folder, message
    return folder[1], [line[4:] for line in message.splitlines() if line.startswith("    ")]


def person_env(tmp: Path, server: ModelsDevServer) -> dict[str, str]:
    """A person's shell: no virtualenv active, no API keys, bytecode written; models.dev on 127.0.0.1."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MODELS_DEV_", "VIRTUAL_ENV", "PYTHON")) and not key.endswith(("_API_KEY", "_ENDPOINT"))
    }
    home = tmp / "home"
    catalogue = tmp / "models-dev.json"
    catalogue.write_bytes(catalogue_with_stepfun())
    seed_models_dev_cache(home, catalogue)
    env.update(
        HOME=str(home),
        PIP_CACHE_DIR=str(PIP_CACHE_DIR),  # the machine's own; HOME is new
        # Not what this test checks, and most of step 1's CPU: pip byte-compiling all it installs (Prompture's
        # dev extra is some 470 MB). Python still compiles, on import, what the commands run.
        PIP_COMPILE="false",
        MODELS_DEV_URL=server.url,
        MODELS_DEV_CACHE_DIR=str(tmp / "models-dev-cache"),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        PYTHONIOENCODING="utf-8",
    )
    return env


def bash(command: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-e", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=1500,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def git_status(checkout: Path) -> list[str]:
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"], cwd=checkout, capture_output=True, text=True
    )
    return status.stdout.splitlines()


def test_commit_test_update_runs_as_printed(tmp_path):
    clone = snapshot_template(tmp_path / "prompture-driver-template")
    with ModelsDevServer(catalogue_with_stepfun()) as server:
        env = person_env(tmp_path, server)
        copied = subprocess.run(COPY, cwd=clone, env=env, capture_output=True, text=True, timeout=900)
        assert copied.returncode == 0, copied.stdout[-2000:] + copied.stderr[-3000:]
        checkout = clone / "prompture-checkout" / "prompture-1.15.1"
        folder, commands = next_steps(copied.stderr)
        assert Path(folder) == checkout
        *checks, update = commands
        assert checks[0].startswith("python3 -m venv .venv && ") and "update" in update, commands
        after_copy = git_status(checkout)
        assert "?? prompture/drivers/stepfun_driver.py" in after_copy

        outputs = []
        for command in checks:
            ran = bash(command, checkout, env)
            assert ran.returncode == 0, (
                f"`{command}` exited {ran.returncode}:\n{ran.stdout[-3000:]}{ran.stderr[-3000:]}"
            )
            outputs.append(ran.stdout)
        _install, imports, async_import, registry, discovery, driver_tests, all_tests = outputs
        assert imports.strip() == async_import.strip() == "OK"
        assert registry.strip() == "StepfunDriver test"
        found = re.match(r"Found (\d+) models\n", discovery)
        assert found and int(found[1]) > 0, discovery
        assert re.search(r"\b\d+ passed\b", driver_tests) and re.search(r"\b\d+ passed\b", all_tests)
        assert list((checkout / "prompture").rglob("__pycache__")), "the checks ran without writing bytecode"
        assert (checkout / ".venv").is_dir() and (checkout / ".pytest_cache").is_dir()
        assert git_status(checkout) == after_copy  # what the checks and tests left behind is ignored

        for step in (["add", "-A"], ["commit", "-qm", "stepfun: driver from prompture-driver-template"]):
            subprocess.run(["git", *GIT_IDENTITY, *step], cwd=checkout, check=True, capture_output=True)
        updated = bash(update, checkout, env)
    assert updated.returncode == 0, updated.stdout[-2000:] + updated.stderr[-3000:]
    assert "Destination repository is dirty" not in updated.stderr
    assert "= plugin family: already there" in updated.stdout
    assert next_steps(updated.stderr) == (folder, commands)  # the same commands, run above
    assert git_status(checkout) == []
