"""What a Prompture checkout already has: its providers, driver classes, bound names and environment
variables (for the questionnaire's validators)."""

from __future__ import annotations

import ast
import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from .layouts import LayoutError, detect_layout


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
        return None


def _call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _string(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _registered_names(tree: ast.Module) -> Iterator[str]:
    """Provider names in ``ProviderDescriptor(name=...)``, ``build_alias("x", ...)`` and
    ``register_driver("x", ...)`` / ``register_async_driver("x", ...)`` calls."""
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = _call_name(node)
        if called == "ProviderDescriptor":
            for keyword in node.keywords:
                if keyword.arg == "name" and (name := _string(keyword.value)):
                    yield name
        elif called in ("build_alias", "register_driver", "register_async_driver") and node.args:
            name = _string(node.args[0])
            if name:
                yield name


def _driver_stem_provider(stem: str) -> str:
    """``moonshot_driver`` and ``async_moonshot_driver`` -> ``moonshot``."""
    name = stem.removesuffix("_driver")
    return name.removeprefix("async_")


def existing_providers(root: Path | str) -> set[str]:
    """Provider names the checkout already registers or has driver modules for.

    Registered names come from the AST of the layout's provider sources (for L4 the
    plugin modules); module names are the ``*_driver.py`` stems in the drivers folder
    (``async_`` and ``_driver`` removed). An unrecognised folder gives an empty set.
    """
    root = Path(root)
    try:
        layout = detect_layout(root)
    except LayoutError:
        return set()
    names: set[str] = set()
    for pattern in layout.provider_sources:
        for path in sorted(root.glob(pattern)):
            if (tree := _parse(path)) is not None:
                names.update(_registered_names(tree))
    for path in (root / layout.drivers_dir).glob("*_driver.py"):
        names.add(_driver_stem_provider(path.stem))
    return names


_MODULE_LEVEL_CLASS = re.compile(r"^class[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.MULTILINE)


def existing_driver_classes(root: Path | str) -> set[str]:
    """Names of the classes defined at module level in ``prompture/drivers/*.py``.

    Read from ``class X`` at the start of a line, not from a parse: parsing the ~130 driver
    modules took a quarter of a second per copy. A column-0 ``class X`` inside a multi-line
    string also counts, which can only make the class-prefix check more careful.
    """
    root = Path(root)
    try:
        drivers_dir = root / detect_layout(root).drivers_dir
    except LayoutError:
        drivers_dir = root / "prompture" / "drivers"
    classes: set[str] = set()
    for path in drivers_dir.glob("*.py"):
        try:
            classes.update(_MODULE_LEVEL_CLASS.findall(path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    return classes


def bound_name_clash(checkout: Path, prefix: str) -> tuple[str, str] | None:
    """A class name the render adds (``<prefix>Driver``, ``Async<prefix>Driver``) that a module the wiring
    imports it into already binds, as (name, file)."""
    try:
        layout = detect_layout(checkout)
    except LayoutError:
        return None
    new = {f"{prefix}Driver", f"Async{prefix}Driver"}
    # The packages the wiring imports the classes into.
    files = [layout.files[step] for step in ("drivers",) if step in layout.files]
    files.append("prompture/__init__.py")
    for rel in dict.fromkeys(files):
        try:
            tree = ast.parse((checkout / rel).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            continue
        for node in tree.body:
            bound: list[str] = []
            if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                bound = [node.name]
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                bound = [alias.asname or alias.name.split(".")[0] for alias in node.names]
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                bound = [target.id for target in targets if isinstance(target, ast.Name)]
            for name in bound:
                if name in new:
                    return name, rel
    return None


def env_names_in_use(checkout: Path) -> dict[str, str]:
    """Variables the checkout's env template sets, and Settings fields' upper-cased names -> file."""
    try:
        layout = detect_layout(checkout)
    except LayoutError:
        return {}
    used: dict[str, str] = {}
    env = layout.files.get("env")
    if env:
        try:
            lines = (checkout / env).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            lines = []
        for line in lines:
            match = re.match(r"#?\s*([A-Z][A-Z0-9_]*)=", line)
            if match:
                used.setdefault(match.group(1), env)
    settings = layout.files.get("settings")
    if settings:
        try:
            tree = ast.parse((checkout / settings).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, SyntaxError, ValueError):
            tree = None
        for node in tree.body if tree is not None else ():
            if isinstance(node, ast.ClassDef) and node.name == "Settings":
                for field in node.body:
                    if isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name):
                        used.setdefault(field.target.id.upper(), settings)
            if _assigns(node, "KEY_ALIASES"):
                # Vendor names another provider's key is also read from (e.g. ANTHROPIC_API_KEY).
                for item in ast.walk(node.value):
                    if isinstance(item, ast.Constant) and isinstance(item.value, str):
                        used.setdefault(item.value, settings)
    return used


def _assigns(node: Any, name: str) -> bool:
    """True for a module-level ``name = ...`` or ``name: T = ...``."""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
    return getattr(node, "value", None) is not None and any(
        isinstance(target, ast.Name) and target.id == name for target in targets
    )


_scans: dict[tuple, Any] = {}


def scanned(scan: Any, checkout: Path) -> Any:
    """``scan(checkout)``, remembered while the Python files of the checkout's package folders are unchanged.

    Validators run on every keystroke of an interactive answer; parsing every driver module
    each time would make typing lag.
    """
    key = (scan.__name__, str(checkout), _python_files_stamp(checkout / "prompture"))
    if key not in _scans:
        if len(_scans) > 16:
            _scans.clear()
        _scans[key] = scan(checkout)
    return _scans[key]


def _python_files_stamp(package: Path, depth: int = 3) -> tuple:
    """(path, mtime, size) of the ``.py`` files ``depth`` folders deep in ``package``, and of their folders.

    ``os.scandir``, not ``Path.glob``: a stamp is taken on every keystroke, and globbing was most of its cost.
    """
    stamp = []
    pending = [(str(package), 1)]
    while pending:
        folder, level = pending.pop()
        try:
            with os.scandir(folder) as entries:
                found = list(entries)
        except OSError:
            continue
        files = []
        for entry in found:
            with contextlib.suppress(OSError):
                if entry.name.endswith(".py") and entry.is_file():
                    files.append(entry.path)
                elif level < depth and entry.is_dir():
                    pending.append((entry.path, level + 1))
        if not files:
            continue  # a folder without Python files is not part of the stamp
        for path in [folder, *files]:
            with contextlib.suppress(OSError):
                info = os.stat(path)
                stamp.append((path, info.st_mtime_ns, info.st_size))
    return tuple(sorted(stamp))
