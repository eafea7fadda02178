"""What every step gets (:class:`Context`) and returns (:class:`StepResult`), and helpers they share."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..edits import (
    WiringError,
    imports_name,
    insert_dunder_all,
    insert_from_import,
    literal_strings,
    top_level_assignment,
)
from ..layouts import Layout
from ..transaction import Transaction
from .answers import Answers


@dataclass(frozen=True)
class Context:
    root: Path
    layout: Layout
    answers: Answers
    tx: Transaction


@dataclass(frozen=True)
class StepResult:
    step: str
    status: str  # "changed" | "same" | "n/a"
    file: str
    why: str = ""

    def line(self) -> str:
        if self.status == "changed":
            return f"✓ {self.step}: {self.file}"
        if self.status == "same":
            return f"= {self.step}: already there"
        return f"– {self.step}: not applicable ({self.why})"


def restore_hint(path: str) -> str:
    return f"Restore it (e.g. `git checkout -- {path}`) or make the edit by hand, then run again."


def parse(text: str, path: str) -> ast.Module:
    try:
        return ast.parse(text, filename=path)
    except SyntaxError as error:
        raise WiringError(f"{path}: does not parse (line {error.lineno}: {error.msg}); fix it and run again.") from None


def finish(ctx: Context, step: str, path: str, text: str) -> StepResult:
    changed = ctx.tx.stage(path, text)
    return StepResult(step, "changed" if changed else "same", path)


def ensure_import(text: str, path: str, module: str, name: str, line_length: int) -> str:
    tree = parse(text, path)
    if imports_name(tree, 1, module, name):
        return text
    return insert_from_import(text, tree, 1, module, name, path=path, line_length=line_length)


def ensure_in_all(text: str, path: str, name: str) -> str:
    tree = parse(text, path)
    assignment = top_level_assignment(tree, "__all__")
    items = literal_strings(assignment.value) if assignment is not None and assignment.value is not None else None
    if items is not None and name in items:
        return text
    return insert_dunder_all(text, tree, name, path=path)


def ruff_line_length(root: Path) -> int:
    """The checkout's ruff line length: ``.ruff.toml``, ``ruff.toml``, ``[tool.ruff]``, else ruff's 88."""
    import tomlkit

    for name, keys in ((".ruff.toml", ()), ("ruff.toml", ()), ("pyproject.toml", ("tool", "ruff"))):
        path = root / name
        if not path.is_file():
            continue
        try:
            config: Any = tomlkit.parse(path.read_text(encoding="utf-8")).unwrap()
        except Exception:
            continue
        for key in keys:
            config = config.get(key, {}) if isinstance(config, dict) else {}
        if isinstance(config, dict) and isinstance(config.get("line-length"), int):
            return config["line-length"]
        if name != "pyproject.toml":
            break  # ruff uses the first ruff.toml it finds, even without line-length
    return 88
