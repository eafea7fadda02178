"""The dependencies step: a custom SDK as an optional extra or a dependency."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from ..edits import AnchorNotFound, Brackets, WiringError, insert_item
from ..fileio import load_toml
from ..pyliteral import py_str
from .context import Context, StepResult, finish, parse, restore_hint, ruff_line_length


def step_pyproject(ctx: Context) -> StepResult:
    """custom_sdk: the SDK as an optional extra (lazy import) or a dependency (eager), with tomlkit."""
    a = ctx.answers
    step = "dependencies"
    if a.api_style != "custom_sdk":
        return StepResult(step, "n/a", "", f"api_style is {a.api_style}: no SDK to depend on")
    import tomlkit
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    path = ctx.layout.path("pyproject")
    if _uses_setup_py(ctx.root, path):
        return _step_setup_py(ctx, step)
    text = ctx.tx.text(path)
    try:
        doc = tomlkit.parse(text)
    except Exception as error:
        raise WiringError(f"{path}: not valid TOML ({error}); fix it and run again.") from None
    project = doc.get("project")
    if not isinstance(project, dict):
        raise AnchorNotFound(path, "the [project] table", restore_hint(path))
    wanted = f"{a.sdk_package}>={a.sdk_min_version}"
    if a.lazy_import:
        extras = project.get("optional-dependencies")
        if not isinstance(extras, dict):
            raise AnchorNotFound(path, "the [project.optional-dependencies] table", restore_hint(path))
        if a.provider not in extras:
            array = tomlkit.array()
            array.append(wanted)
            extras.append(a.provider, array)
            return finish(ctx, step, path, tomlkit.dumps(doc))
        target, where = extras[a.provider], f"the {a.provider!r} extra"
    else:
        target, where = project.get("dependencies"), "[project] dependencies"
        if not isinstance(target, list):
            raise AnchorNotFound(path, "the [project] dependencies list", restore_hint(path))
    if not isinstance(target, list):
        raise WiringError(f"{path}: {where} is not a list of requirements; fix it by hand, then run again.")
    name = canonicalize_name(a.sdk_package)
    for index, existing in enumerate(list(target)):
        try:
            requirement = Requirement(str(existing))
        except InvalidRequirement:
            continue
        if canonicalize_name(requirement.name) != name:
            continue
        if str(existing) != wanted and _is_lower_minimum(requirement, a.sdk_min_version):
            target[index] = wanted
            return finish(ctx, step, path, tomlkit.dumps(doc))
        return StepResult(step, "same", path)  # already required (keep a stricter or different pin)
    target.append(wanted)
    return finish(ctx, step, path, tomlkit.dumps(doc))


def _is_lower_minimum(requirement: Any, minimum: str) -> bool:
    """True if ``requirement`` is a plain ``>=X`` with X below ``minimum`` (so raising it is safe)."""
    from packaging.version import Version

    specs = list(requirement.specifier)
    if requirement.extras or requirement.marker or len(specs) != 1 or specs[0].operator != ">=":
        return False
    return Version(specs[0].version) < Version(minimum)


# ── setup.py (Prompture 0.0.x up to 0.0.33 has no [project] table) ─────────────

SETUP_PY = "setup.py"


def _uses_setup_py(root: Path, pyproject: str) -> bool:
    """True when the checkout declares its dependencies in ``setup.py`` rather than ``[project]``."""
    if not (root / SETUP_PY).is_file():
        return False
    try:
        return "project" not in load_toml((root / pyproject).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return True
    except Exception:
        return False  # a broken pyproject.toml: the pyproject path reports it


def _setup_call(tree: ast.Module) -> ast.Call | None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name == "setup":
                return node
    return None


def _requirement_index(values: list[ast.expr], distribution: str) -> int | None:
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    for index, value in enumerate(values):
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            try:
                if canonicalize_name(Requirement(value.value).name) == canonicalize_name(distribution):
                    return index
            except InvalidRequirement:
                continue
    return None


def _step_setup_py(ctx: Context, step: str) -> StepResult:
    """The SDK in ``setup(extras_require={...})`` (lazy import) or ``setup(install_requires=[...])`` (eager)."""
    a = ctx.answers
    path = SETUP_PY
    text = ctx.tx.text(path)
    call = _setup_call(parse(text, path))
    keyword = "extras_require" if a.lazy_import else "install_requires"
    kind = ast.Dict if a.lazy_import else ast.List
    value = next((k.value for k in call.keywords if k.arg == keyword), None) if call is not None else None
    if not isinstance(value, kind):
        shape = "{...}" if a.lazy_import else "[...]"
        raise AnchorNotFound(path, f"'{keyword}={shape}' in the setup(...) call", restore_hint(path))
    wanted = py_str(f"{a.sdk_package}>={a.sdk_min_version}")
    width = ruff_line_length(ctx.root)
    if a.lazy_import:
        keys = [key.value if isinstance(key, ast.Constant) else None for key in value.keys]
        if a.provider in keys:
            requirements = value.values[keys.index(a.provider)]
            if not isinstance(requirements, ast.List):
                raise WiringError(
                    f"{path}: extras_require[{a.provider!r}] is not a list; fix it by hand, then run again."
                )
            if _requirement_index(requirements.elts, a.sdk_package) is not None:
                return StepResult(step, "same", path)
            text = insert_item(text, requirements, len(requirements.elts), wanted)
        else:
            bracket = Brackets("[", (("", wanted),), "]", collection=True)
            text = insert_item(text, value, len(keys), f"{py_str(a.provider)}: ", bracket, line_length=width)
    elif _requirement_index(value.elts, a.sdk_package) is None:
        text = insert_item(text, value, len(value.elts), wanted)
    return finish(ctx, step, path, text)
