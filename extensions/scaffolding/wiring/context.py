"""What every step gets (:class:`Context`) and returns (:class:`StepResult`), and helpers they share."""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..edits import (
    AnchorNotFound,
    WiringError,
    add_import_names,
    from_import_statement,
    imports_name,
    insert_dunder_all,
    insert_from_import,
    literal_strings,
    top_level_assignment,
)
from ..fileio import load_toml
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
            return f"= {self.step}: already there" + (f" ({self.why})" if self.why else "")
        return f"– {self.step}: not applicable ({self.why})"


def restore_hint(path: str) -> str:
    return f"Restore it (e.g. `git checkout -- {path}`) or make the edit by hand, then run again."


def parse(text: str, path: str) -> ast.Module:
    """The module's tree (shared: steps only read trees, never change them)."""
    try:
        return _parsed(text, path)
    except SyntaxError as error:
        raise WiringError(f"{path}: does not parse (line {error.lineno}: {error.msg}); fix it and run again.") from None


@functools.lru_cache(maxsize=64)
def _parsed(text: str, path: str) -> ast.Module:
    # Steps re-read the same text (a file two steps edit, the questionnaire's dry runs): parse it once.
    return ast.parse(text, filename=path)


def finish(ctx: Context, step: str, path: str, text: str, why_same: str = "") -> StepResult:
    changed = ctx.tx.stage(path, text)
    return StepResult(step, "changed" if changed else "same", path, "" if changed else why_same)


def ensure_import(text: str, path: str, module: str, name: str, line_length: int, level: int = 1) -> str:
    """``from <level dots><module> import <name>``: added to that statement if the file has one, else a new line."""
    tree = parse(text, path)
    if imports_name(tree, level, module, name):
        return text
    if from_import_statement(tree, level, module) is not None:
        return add_import_names(text, tree, module, [name], path=path, line_length=line_length, level=level)
    return insert_from_import(text, tree, level, module, name, path=path, line_length=line_length)


def package_import(path: str, package: str) -> tuple[int, str]:
    """(level, module) of a relative import of ``package`` from the module at ``path``.

    ``prompture/drivers`` seen from ``prompture/infra/discovery.py`` is ``(2, "drivers")``
    (``..drivers``); ``package`` must sit in a folder that contains ``path``.
    """
    here, parent = path.split("/")[:-1], package.split("/")[:-1]
    if here[: len(parent)] != parent:
        raise ValueError(f"{package} cannot be imported relatively from {path}")
    return len(here) - len(parent) + 1, package.split("/")[-1]


def dict_literal(tree: ast.Module, path: str, name: str, shape: str) -> ast.Dict:
    """The dict literal of the top-level assignment ``name: shape = {...}``, or AnchorNotFound naming it."""
    assignment = top_level_assignment(tree, name)
    if assignment is None or not isinstance(assignment.value, ast.Dict):
        raise AnchorNotFound(path, f"the dict '{name}: {shape} = {{...}}'", restore_hint(path))
    return assignment.value


def ensure_in_all(text: str, path: str, name: str) -> str:
    tree = parse(text, path)
    assignment = top_level_assignment(tree, "__all__")
    items = literal_strings(assignment.value) if assignment is not None and assignment.value is not None else None
    if items is not None and name in items:
        return text
    return insert_dunder_all(text, tree, name, path=path)


#: A section comment inside a built-in list or dict, ``    # ── local ──``; group 1 is its title.
SECTION_COMMENT = re.compile(r"[ \t]*# ── (.*?) ─+$")

_CONFIGS = ((".ruff.toml", ()), ("ruff.toml", ()), ("pyproject.toml", ("tool", "ruff")))


def ruff_line_length(root: Path) -> int:
    """The checkout's ruff line length: ``.ruff.toml``, ``ruff.toml``, ``[tool.ruff]``, else ruff's 88.

    Steps ask for it many times per run (and the questionnaire's dry runs once per question):
    remembered while the config files are unchanged.
    """
    stamp = []
    for name, _ in _CONFIGS:
        try:
            info = (root / name).stat()
            stamp.append((info.st_mtime_ns, info.st_size))
        except OSError:
            stamp.append(None)
    return _line_length(str(root), tuple(stamp))


@functools.lru_cache(maxsize=32)
def _line_length(root: str, stamp: tuple) -> int:
    for (name, keys), present in zip(_CONFIGS, stamp, strict=True):
        if present is None:
            continue
        try:
            config: Any = load_toml(Path(root, name).read_text(encoding="utf-8"))
        except Exception:
            continue
        for key in keys:
            config = config.get(key, {}) if isinstance(config, dict) else {}
        if isinstance(config, dict) and isinstance(config.get("line-length"), int):
            return config["line-length"]
        if name != "pyproject.toml":
            break  # ruff uses the first ruff.toml it finds, even without line-length
    return 88
