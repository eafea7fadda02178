"""The README's quick start, run as written in a fresh clone of this repository.

The lines come from the README (between the quickstart markers), so the two cannot drift.
The clone sets up its own ``.venv`` and downloads a fresh Prompture sdist, as on a new
machine; only models.dev is a local stand-in, serving our fixture plus a made-up "stepfun"
entry shaped like the real one (the quick start's provider).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from support.copier_cli import TEMPLATE_DIR
from support.models_dev_server import ModelsDevServer
from support.scaffold import catalogue_with_stepfun
from support.template_repo import snapshot_template

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(os.name == "nt", reason="the README's commands need a POSIX shell")]


def quick_start_lines() -> list[str]:
    text = (TEMPLATE_DIR / "README.md").read_text(encoding="utf-8")
    block = text.split("<!-- quickstart:start -->\n", 1)[1].split("<!-- quickstart:end -->", 1)[0]
    return [line.removeprefix("    ") for line in block.splitlines() if line.strip()]


def bash(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", "-e", "-c", script], cwd=cwd, env=env, capture_output=True, text=True, timeout=900,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_the_quick_start_works_as_written(tmp_path):
    pretend, real, look = quick_start_lines()
    assert pretend.startswith("python3 dev.py copy --pretend") and real.startswith("python3 dev.py copy ")
    clone = snapshot_template(tmp_path / "prompture-driver-template")
    with ModelsDevServer(catalogue_with_stepfun()) as server:
        env = {key: value for key, value in os.environ.items() if not key.startswith(("MODELS_DEV_", "VIRTUAL_ENV"))}
        env.update(MODELS_DEV_URL=server.url, MODELS_DEV_CACHE_DIR=str(tmp_path / "models-dev-cache"))
        env.update(NO_PROXY="127.0.0.1,localhost", PYTHONIOENCODING="utf-8")

        previewed = bash(pretend, clone, env)
        assert previewed.returncode == 0, previewed.stdout[-2000:] + previewed.stderr[-3000:]
        checkout = clone / "prompture-checkout" / "prompture-1.15.1"
        assert (checkout / ".git").is_dir()
        unchanged = subprocess.run(["git", "status", "--porcelain"], cwd=checkout, capture_output=True, text=True)
        assert unchanged.stdout == ""
        assert "Wiring preview (--pretend: nothing was written)" in previewed.stderr
        assert '+                name="stepfun",\n' in previewed.stderr

        done = bash(f"{real}\n{look}", clone, env)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    out = done.stdout
    assert "Prompture layout: L4 'plugins' (1.1.1 – 1.15.x)" in out
    assert "✓ plugin family: prompture/plugins/builtins/openai_compatible_plugin.py" in out
    assert "Edited: prompture/plugins/builtins/openai_compatible_plugin.py, " in out
    assert "    .venv/bin/python -m pytest tests/test_stepfun_driver.py -q" in done.stderr
    status = out.splitlines()[-30:]
    assert " M prompture/plugins/builtins/openai_compatible_plugin.py" in status
    assert "?? prompture/drivers/stepfun_driver.py" in status
    answers = (checkout / ".copier-answers.stepfun.yml").read_text(encoding="utf-8")
    assert "models_dev_provider: stepfun\n" in answers
