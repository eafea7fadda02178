"""Prompture's own CI gates, run over the whole checkout before and after the copies: nothing new.

On each layout's pin, four providers are added to one committed sdist, one per API style
(basalt: openai_compatible and freemodel: anthropic_compatible, both as models.dev gives
them; acme: custom_sdk with the real ``openai`` SDK; nimbus: http). Then the gates the
release's own CI runs, under the checkout's configuration, must report nothing the
pristine checkout did not already report (``ruff check .`` and ``ruff format --check``
compared by file and rule, without line numbers, since edits move lines):

* ``ruff check .`` and ``ruff format --check .`` (Prompture's lint job);
* ``bandit -r prompture -c pyproject.toml`` (its security job; where the release has
  no ``[tool.bandit]``, bandit's defaults);
* ``mypy prompture`` on 1.15.1 (its type-check job, advisory there: the release reports
  some 700 errors of its own; the copies may add none), with the release's dependencies and
  the ``openai`` SDK installed for it to read. The older pins configure mypy too, but their
  type check is the same job on an older tree; it runs once, on the release people use now.

The rendered tests pass under the checkout's pytest configuration in
tests/test_rendered_tests_*.py; this file adds the gates over everything a copy touches.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from scaffolding.fileio import load_toml
from scaffolding.layouts import L4, LAYOUTS
from support.copier_cli import copier_env, run_copier
from support.models_dev_server import FIXTURE, ModelsDevServer
from support.prompture_runtime import runtime_python, tools_python
from support.sdists import extract_checkout
from support.template_repo import git

pytestmark = pytest.mark.e2e  # needs Prompture sdists and runtimes (python3 dev.py test -m 'not e2e' skips it)

#: provider -> its answers beyond the provider name: one provider per API style.
COPIES = {
    "basalt": [],
    "freemodel": [],
    "acme": ["models_dev_provider=acme-ai", "api_style=custom_sdk", "sdk_package=openai"],
    "nimbus": ["api_style=http", "endpoint=https://api.nimbus.example/v1"],
}
MYPY_PIN = L4.pin  # 1.15.1


def complaints(root: Path, *, mypy_with: Path | None = None) -> Counter:
    """Every gate's complaints about the checkout at ``root``, as (gate, file, rule, message) keys.

    ``mypy_with``: the Python whose packages mypy reads (no mypy run without it).
    """
    found: Counter = Counter()
    ruff = _run([sys.executable, "-m", "ruff", "check", ".", "--output-format=json", "--no-cache"], root)
    for item in json.loads(ruff.stdout or "[]"):
        found[("ruff check", _relative(item["filename"], root), item["code"], item["message"])] += 1
    formatted = _run([sys.executable, "-m", "ruff", "format", "--check", ".", "--no-cache"], root)
    for line in formatted.stdout.splitlines():
        if line.startswith("Would reformat: "):
            found[("ruff format", line.removeprefix("Would reformat: "), "", "")] += 1
    tools = tools_python("bandit", "mypy")
    config = load_toml((root / "pyproject.toml").read_text(encoding="utf-8")).get("tool", {})
    bandit = [str(tools), "-m", "bandit", "-r", "prompture", "-f", "json", "-q"]
    bandit += ["-c", "pyproject.toml"] if "bandit" in config else []
    for item in json.loads(_run(bandit, root).stdout)["results"]:
        found[("bandit", _relative(item["filename"], root), item["test_id"], item["issue_text"])] += 1
    if mypy_with is not None:
        mypy = [str(tools), "-m", "mypy", "prompture", "--python-executable", str(mypy_with), "--no-error-summary"]
        for line in _run([*mypy, "--cache-dir", str(root.parent / "mypy-cache")], root).stdout.splitlines():
            path, _, rest = line.partition(":")
            _, _, message = rest.partition(": ")  # without the line number
            if message.startswith("error:"):
                found[("mypy", path, "", message)] += 1
    return found


def _run(command: list[str], root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=600)


def _relative(path: str, root: Path) -> str:
    """``path`` (absolute, or relative to ``root`` where the tool ran) relative to ``root``."""
    return (root / path).resolve().relative_to(root.resolve()).as_posix()


@pytest.mark.parametrize("layout", list(reversed(LAYOUTS)), ids=lambda layout: f"{layout.name}-{layout.pin}")
def test_the_copies_add_no_complaint_to_prompture_ci(layout, template_repo, tmp_path):
    mypy_with = runtime_python(layout.pin, "openai") if layout.pin == MYPY_PIN else None
    root = extract_checkout(layout.pin, tmp_path / "src")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "sdist")
    before = complaints(root, mypy_with=mypy_with)
    with ModelsDevServer(FIXTURE) as server:
        for provider, answers in COPIES.items():
            data = [arg for answer in (f"provider={provider}", *answers) for arg in ("--data", answer)]
            env = copier_env(tmp_path, server.url, name=provider)
            result = run_copier("copy", "--trust", "--defaults", "--vcs-ref", "HEAD", *data,
                                str(template_repo), str(root), cwd=tmp_path, env=env)  # fmt: skip
            assert result.returncode == 0, result.stdout + result.stderr
            git(root, "add", "-A")
            git(root, "commit", "-qm", f"add {provider}")
    styles = {provider: (root / f".copier-answers.{provider}.yml").read_text() for provider in COPIES}
    assert "api_style: anthropic_compatible" in styles["freemodel"], styles["freemodel"]
    added = complaints(root, mypy_with=mypy_with) - before
    assert not added, "\n".join(" | ".join(key) for key in sorted(added))
