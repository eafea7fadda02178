"""`copier copy --pretend`: writes nothing, shows the files Copier would render and each wiring edit as a diff.

The diff is checked against the real thing: applied with `git apply` to an untouched copy of
the sdist, it gives exactly the files a real `copier copy` wires.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from scaffolding.layouts import layout_named
from support.copier_cli import copier_env, run_copier, tree_digest
from support.scaffold import copy_args
from support.sdists import extract_checkout
from support.template_repo import git

pytestmark = pytest.mark.e2e  # needs Prompture sdists or runtimes (python3 dev.py test -m 'not e2e' skips it)


def committed_checkout(version: str, folder: Path) -> Path:
    checkout = extract_checkout(version, folder)
    git(checkout, "init", "-q")
    git(checkout, "add", "-A")
    git(checkout, "commit", "-qm", "sdist")
    return checkout


def preview_diff(stderr: str) -> str:
    """The unified diff at the end of the wiring preview."""
    lines = stderr.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("--- a/"))
    return "".join(lines[start:]).rstrip("\n") + "\n"


@pytest.mark.parametrize("version", ["1.15.1", "1.0.12"], ids=["L4", "L1"])
def test_pretend_writes_nothing_and_its_diff_is_what_the_copy_wires(template_repo, models_dev, tmp_path, version):
    env = copier_env(tmp_path, models_dev.url)
    checkout = committed_checkout(version, tmp_path / "pretend")
    before = tree_digest(checkout)
    pretend = run_copier(*copy_args(template_repo, checkout, "--pretend"), cwd=tmp_path, env=env)
    assert pretend.returncode == 0, pretend.stderr[-3000:]
    assert tree_digest(checkout) == before
    assert git(checkout, "status", "--porcelain") == ""

    layout = layout_named("L4" if version == "1.15.1" else "L1")
    assert "Wiring preview (--pretend: nothing was written)" in pretend.stderr
    assert "This previews the wiring only; Copier listed above the files it would render." in pretend.stderr
    assert f"Prompture layout: {layout.label}" in pretend.stderr
    for kind in layout.rendered:  # Copier lists each file it would render; the wiring writes the rate file
        listed = f"create  {layout.rendered_path(kind, 'acme')}" in _plain(pretend.stderr)
        assert listed == (kind != "rates"), kind
    step_lines = [line for line in pretend.stderr.splitlines() if line[:2] in ("✓ ", "= ", "– ")]
    assert len(step_lines) == len(layout.steps)

    real = committed_checkout(version, tmp_path / "real")
    copied = run_copier(*copy_args(template_repo, real), cwd=tmp_path, env=env)
    assert copied.returncode == 0, copied.stderr[-3000:]
    wired = [line[3:] for line in git(real, "status", "--porcelain").splitlines() if line.startswith(" M ")]
    assert wired
    wired += [layout.rendered_path("rates", "acme")] if "rates" in layout.rendered else []

    applied = tmp_path / "applied"
    shutil.copytree(checkout, applied)
    patch = tmp_path / "wiring.diff"
    patch.write_text(preview_diff(pretend.stderr), encoding="utf-8")
    result = subprocess.run(["git", "apply", str(patch)], cwd=applied, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    changed = [line[3:] for line in git(applied, "status", "--porcelain").splitlines()]
    assert sorted(changed) == sorted(wired)
    for rel in wired:
        assert (applied / rel).read_bytes() == (real / rel).read_bytes(), rel


def test_pretend_after_a_copy_shows_nothing_left_to_change(template_repo, models_dev, tmp_path):
    env = copier_env(tmp_path, models_dev.url)
    checkout = committed_checkout("1.15.1", tmp_path / "checkout")
    assert run_copier(*copy_args(template_repo, checkout), cwd=tmp_path, env=env).returncode == 0
    before = tree_digest(checkout)
    again = run_copier(*copy_args(template_repo, checkout, "--pretend", "--overwrite"), cwd=tmp_path, env=env)
    assert again.returncode == 0, again.stderr[-3000:]
    assert tree_digest(checkout) == before
    assert "The wiring would change no file." in again.stderr
    assert "This previews the wiring only. Copier may also change the rendered files" in again.stderr
    assert "✓ " not in again.stderr and "--- a/" not in again.stderr


def _plain(text: str) -> str:
    """Copier's output without colour codes."""
    import re

    return re.sub(r"\x1b\[[0-9;]*m", "", text)
