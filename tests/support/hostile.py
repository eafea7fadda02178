"""Shared parts of the hostile-input and fault tests (tests/test_hostile_*.py).

Every case there is marked ``@pytest.mark.hostile(area, outcome)``; docs/hostile-input.md's
"Hostile input and faults" figures are counted from those marks
(``python scripts/hostile_figures.py``), never typed by hand.
"""

from __future__ import annotations

import difflib
import shutil
from pathlib import Path

from .copier_cli import TEMPLATE_DIR, run_copier
from .template_repo import git

VERSION = "1.15.1"
AREAS = ("questionnaire", "target checkout", "models.dev")
#: What a case shows. "refused": a clear message and nothing changed; "rolled back": a fault
#: after the render, every edited file restored; "kept": hostile but valid input (or user
#: content) carried through exactly; "fallback": models.dev failed, one warning and the
#: cache or the answers used; "property": a property-based test over generated answers.
OUTCOMES = ("refused", "rolled back", "kept", "fallback", "property")


def plain_template(destination: Path) -> Path:
    """The template's working tree (tracked and new files, not ignored ones) as a plain folder.

    Not a git repository, so Copier uses it in place instead of cloning it for every run
    (these tests run Copier about a hundred times; the answers file then has no ``_commit``).
    """
    listed = git(TEMPLATE_DIR, "ls-files", "--cached", "--others", "--exclude-standard", "-z").split("\0")
    for name in filter(None, listed):
        source = TEMPLATE_DIR / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def copy(template: Path, checkout: Path, data: dict[str, str], env: dict[str, str], *flags: str):
    """``copier copy --trust --defaults --data k=v ...`` of the template folder into ``checkout``."""
    args = ["copy", "--trust", "--defaults", *flags]
    for key, value in data.items():
        args += ["--data", f"{key}={value}"]
    return run_copier(*args, str(template), str(checkout), cwd=checkout.parent, env=env)


def fresh_checkout(pristine: Path, destination: Path) -> Path:
    """A writable copy of the extracted sdist."""
    shutil.copytree(pristine, destination, symlinks=True)
    return destination


def tree_changes(before: dict[str, str], after: dict[str, str]) -> dict[str, list[str]]:
    """Files added, removed and modified between two ``file_digests``; empty lists when identical."""
    return {
        "added": sorted(set(after) - set(before)),
        "removed": sorted(set(before) - set(after)),
        "modified": sorted(rel for rel in set(before) & set(after) if before[rel] != after[rel]),
    }


def validation_line(stderr: str) -> str:
    """The last line of a Copier run's stderr (Copier ends a refused answer with its ValueError)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def removals(old: bytes, new: bytes) -> list[str]:
    """What ``new`` lacks of ``old``: [] when ``new`` is ``old`` with text inserted only.

    Line by line first; a changed line must keep every character of the old one, in order
    (the wiring appends ", acme" to one-line lists).
    """
    old_lines, new_lines = old.splitlines(keepends=True), new.splitlines(keepends=True)
    lost = []
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("equal", "insert"):
            continue
        before, after = b"".join(old_lines[i1:i2]), b"".join(new_lines[j1:j2])
        chars = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
        for ctag, c1, c2, _, _ in chars.get_opcodes():
            if ctag in ("delete", "replace"):
                lost.append(f"line {i1 + 1}: {before[c1:c2]!r}")
    return lost
