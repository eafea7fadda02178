"""The dependencies step: a custom SDK as an optional extra or a dependency."""

from __future__ import annotations

from typing import Any

from ..edits import AnchorNotFound, WiringError
from .context import Context, StepResult, finish, restore_hint


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
