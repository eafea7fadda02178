"""Wire a rendered provider driver into a Prompture checkout: one function per step.

Each step reads its file's text from the :class:`~.transaction.Transaction`, computes the
new text in memory and stages it; nothing is written until every step has run and the
transaction commits. A step that finds its edit already there stages nothing, so a second
run changes no byte. Steps are looked up by the names the layout lists (``Layout.steps``).
"""

from __future__ import annotations

import ast
import re
import sys
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .checks import (
    distribution_problem,
    endpoint_problem,
    env_name_problem,
    model_id_problem,
    text_problem,
    version_problem,
)
from .edits import (
    AnchorNotFound,
    Brackets,
    WiringError,
    add_import_names,
    imports_name,
    insert_dunder_all,
    insert_from_import,
    insert_item,
    insert_lines,
    is_sorted,
    layout,
    literal_strings,
    natural_key,
    sorted_position,
    top_level_assignment,
)
from .layouts import Layout, LayoutError, detect_layout
from .pyliteral import py_str
from .transaction import Transaction

API_STYLES = ("openai_compatible", "custom_sdk", "http")
AUTHS = ("api_key", "endpoint", "api_key_and_endpoint")
_PROVIDER = re.compile(r"[a-z][a-z0-9_]*")
_CLASS_PREFIX = re.compile(r"[A-Z][A-Za-z0-9]*")


# ── Answers ───────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Answers:
    """The answers wiring uses (the answers file holds more; the rest is ignored)."""

    provider: str
    class_prefix: str
    display_name: str
    api_style: str
    auth: str
    default_model: str
    api_key_env: str | None = None
    endpoint: str | None = None
    endpoint_env: str | None = None
    sdk_package: str | None = None
    sdk_min_version: str | None = None
    lazy_import: bool | None = None

    @property
    def upper(self) -> str:
        return self.provider.upper()

    @property
    def has_api_key(self) -> bool:
        return self.auth != "endpoint"

    @property
    def endpoint_var(self) -> str:
        return self.endpoint_env or f"{self.upper}_ENDPOINT"

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], source: str = "answers") -> Answers:
        def text(key: str, required: bool = True) -> str | None:
            value = data.get(key)
            if value is None or value == "":
                if required:
                    problems.append(f"{key} is missing")
                return None
            if not isinstance(value, str):
                problems.append(f"{key} must be text, not {type(value).__name__}")
                return None
            return value

        problems: list[str] = []
        provider = text("provider")
        if provider is not None and not _PROVIDER.fullmatch(provider):
            problems.append(f"provider {provider!r} is not lowercase letters, digits and underscores")
        prefix = text("class_prefix")
        if prefix is not None and not _CLASS_PREFIX.fullmatch(prefix):
            problems.append(f"class_prefix {prefix!r} is not a class name prefix like 'Acme'")
        display = text("display_name")
        if display is not None and (problem := text_problem(display, "display_name")):
            problems.append(problem)
        elif display is not None:
            display = " ".join(display.split())  # it ends up in comments: no trailing or doubled blanks
        api_style = text("api_style")
        if api_style is not None and api_style not in API_STYLES:
            problems.append(f"api_style {api_style!r} is not one of {', '.join(API_STYLES)}")
        auth = text("auth")
        if auth is not None and auth not in AUTHS:
            problems.append(f"auth {auth!r} is not one of {', '.join(AUTHS)}")
        model = text("default_model")
        if model is not None and (problem := model_id_problem(model)):
            problems.append(problem)
        api_key_env = text("api_key_env", required=auth not in (None, "endpoint"))
        endpoint = text("endpoint", required=auth in ("endpoint", "api_key_and_endpoint"))
        endpoint_env = text("endpoint_env", required=False)
        for name in (api_key_env, endpoint_env):
            if name is not None and (problem := env_name_problem(name)):
                problems.append(problem)
        if endpoint is not None and (problem := endpoint_problem(endpoint)):
            problems.append(problem)
        sdk_package = sdk_min_version = lazy = None
        if api_style == "custom_sdk":
            sdk_package, sdk_min_version = text("sdk_package"), text("sdk_min_version")
            if sdk_package is not None and (problem := distribution_problem(sdk_package)):
                problems.append(problem)
            if sdk_min_version is not None and (problem := version_problem(sdk_min_version)):
                problems.append(problem)
            lazy = data.get("lazy_import", True)
            if not isinstance(lazy, bool):
                problems.append(f"lazy_import must be true or false, not {lazy!r}")
        if problems:
            raise WiringError(f"{source}: " + "; ".join(problems) + ". Fix the answers and run again.")
        return cls(
            provider=provider,
            class_prefix=prefix,
            display_name=display,
            api_style=api_style,
            auth=auth,
            default_model=model,
            api_key_env=api_key_env if auth != "endpoint" else None,
            endpoint=endpoint,
            endpoint_env=endpoint_env,
            sdk_package=sdk_package,
            sdk_min_version=sdk_min_version,
            lazy_import=lazy,
        )


def load_answers(path: Path | str) -> Answers:
    """Read a Copier answers file (YAML)."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise WiringError(f"{path}: cannot read the answers file ({error.strerror}).") from None
    except yaml.YAMLError as error:
        raise WiringError(f"{path}: not a valid YAML answers file ({error}).") from None
    if not isinstance(data, dict):
        raise WiringError(f"{path}: the answers file does not hold a mapping of answers.")
    return Answers.from_mapping(data, source=str(path))


# ── Steps ─────────────────────────────────────────────────────────────────────


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


def _restore_hint(path: str) -> str:
    return f"Restore it (e.g. `git checkout -- {path}`) or make the edit by hand, then run again."


def _parse(text: str, path: str) -> ast.Module:
    try:
        return ast.parse(text, filename=path)
    except SyntaxError as error:
        raise WiringError(f"{path}: does not parse (line {error.lineno}: {error.msg}); fix it and run again.") from None


def _finish(ctx: Context, step: str, path: str, text: str) -> StepResult:
    changed = ctx.tx.stage(path, text)
    return StepResult(step, "changed" if changed else "same", path)


def _ensure_import(text: str, path: str, module: str, name: str, line_length: int) -> str:
    tree = _parse(text, path)
    if imports_name(tree, 1, module, name):
        return text
    return insert_from_import(text, tree, 1, module, name, path=path, line_length=line_length)


def _ensure_in_all(text: str, path: str, name: str) -> str:
    tree = _parse(text, path)
    assignment = top_level_assignment(tree, "__all__")
    items = literal_strings(assignment.value) if assignment is not None and assignment.value is not None else None
    if items is not None and name in items:
        return text
    return insert_dunder_all(text, tree, name, path=path)


def step_plugins(ctx: Context) -> StepResult:
    """Import the provider's plugin, append an instance to BUILTIN_PLUGINS, export its name."""
    path = ctx.layout.path("plugins")
    plugin = f"{ctx.answers.class_prefix}Plugin"
    text = _ensure_import(ctx.tx.text(path), path, f"{ctx.answers.provider}_plugin", plugin, _line_length(ctx.root))
    tree = _parse(text, path)
    assignment = top_level_assignment(tree, "BUILTIN_PLUGINS")
    if assignment is None or not isinstance(assignment.value, ast.List):
        raise AnchorNotFound(path, "the list 'BUILTIN_PLUGINS: list[ProviderPlugin] = [...]'", _restore_hint(path))
    listed = any(
        isinstance(item, ast.Call) and isinstance(item.func, ast.Name) and item.func.id == plugin
        for item in assignment.value.elts
    )
    if not listed:
        text = insert_item(text, assignment.value, len(assignment.value.elts), f"{plugin}()")
    text = _ensure_in_all(text, path, plugin)
    return _finish(ctx, "plugin registry", path, text)


def step_drivers(ctx: Context) -> StepResult:
    """Import both driver classes into the drivers package and export them (``from .drivers import *``)."""
    path = ctx.layout.path("drivers")
    a = ctx.answers
    text = ctx.tx.text(path)
    pairs = (
        (f"{a.provider}_driver", f"{a.class_prefix}Driver"),
        (f"async_{a.provider}_driver", f"Async{a.class_prefix}Driver"),
    )
    for module, name in pairs:
        text = _ensure_import(text, path, module, name, _line_length(ctx.root))
    for _, name in pairs:
        text = _ensure_in_all(text, path, name)
    return _finish(ctx, "driver exports", path, text)


def _env_aliases(a: Answers) -> dict[str, str]:
    """Settings field -> the answered env var, where that differs from the one pydantic-settings reads."""
    aliases = {}
    if a.has_api_key and a.api_key_env and a.api_key_env != f"{a.upper}_API_KEY":
        aliases[f"{a.provider}_api_key"] = a.api_key_env
    if a.endpoint and a.endpoint_var != f"{a.upper}_ENDPOINT":
        aliases[f"{a.provider}_endpoint"] = a.endpoint_var
    return aliases


def _settings_fields(a: Answers, indent: str, line_length: int) -> list[tuple[str, list[str]]]:
    """(field name, source lines) of the provider's Settings block.

    A field whose env var is not its own name gets ``Field(validation_alias=AliasChoices(name, ENV))``:
    pydantic-settings then reads either variable (the field's own name first), from the
    environment and from ``.env``; keyword arguments by field name keep working.
    """
    aliases = _env_aliases(a)
    fields = []
    if a.has_api_key:
        fields.append((f"{a.provider}_api_key", "str | None", "None"))
    fields.append((f"{a.provider}_model", "str", py_str(a.default_model)))
    if a.endpoint:
        fields.append((f"{a.provider}_endpoint", "str", py_str(a.endpoint)))
    result = []
    for name, annotation, default in fields:
        if name in aliases:
            choices = Brackets("AliasChoices(", (("", py_str(name)), ("", py_str(aliases[name]))))
            field = Brackets("Field(", (("default=", default), ("validation_alias=", choices)))
            lines = layout(f"{name}: {annotation} = ", field, "", indent=indent, line_length=line_length)
        else:
            lines = [f"{indent}{name}: {annotation} = {default}"]
        result.append((name, lines))
    return result


def _line_length(root: Path) -> int:
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


def _blocks(lines: list[str], first: int, last: int) -> list[tuple[int, int]]:
    """Runs of non-blank lines between 1-based lines ``first`` and ``last``, as (start, end)."""
    blocks, start = [], None
    for number in range(first, last + 1):
        blank = not lines[number - 1].strip()
        if not blank and start is None:
            start = number
        elif blank and start is not None:
            blocks.append((start, number - 1))
            start = None
    if start is not None:
        blocks.append((start, last))
    return blocks


def _is_provider_block(names: set[str]) -> bool:
    """A block like Moonshot's: ``<x>_model`` with ``<x>_api_key`` or ``<x>_endpoint``."""
    return any(
        f"{name[: -len('_model')]}_api_key" in names or f"{name[: -len('_model')]}_endpoint" in names
        for name in names
        if name.endswith("_model")
    )


def step_settings(ctx: Context) -> StepResult:
    """Add the provider's block to ``class Settings`` after the last provider block; alias a custom env var."""
    path = ctx.layout.path("settings")
    a = ctx.answers
    text = ctx.tx.text(path)
    tree = _parse(text, path)
    settings = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings"), None)
    if settings is None:
        raise AnchorNotFound(path, "'class Settings(BaseSettings)'", _restore_hint(path))
    fields = {
        node.target.id: node
        for node in settings.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }
    body_indent = re.match(r"[ \t]*", text.splitlines()[settings.body[0].lineno - 1]).group(0)
    line_length = _line_length(ctx.root)
    wanted = _settings_fields(a, body_indent, line_length)
    present = [name for name, _ in wanted if name in fields]
    if present and len(present) < len(wanted):
        missing = [name for name, _ in wanted if name not in fields]
        raise WiringError(
            f"{path}: class Settings already has {', '.join(present)} but not {', '.join(missing)}: "
            "complete or remove that block by hand, then run again."
        )
    if not present:
        lines = text.splitlines(keepends=True)
        candidates = []
        for start, end in _blocks(lines, settings.body[0].lineno, settings.end_lineno):
            names = {name for name, node in fields.items() if start <= node.lineno <= end}
            if _is_provider_block(names):
                candidates.append((start, end))
        if not candidates:
            raise AnchorNotFound(
                path,
                "a provider block in class Settings (a comment, then '<name>_api_key' or '<name>_endpoint' "
                "and '<name>_model' fields, like the Moonshot block)",
                _restore_hint(path),
            )
        _, end = candidates[-1]
        block = ["", f"{body_indent}# {a.display_name}", *(line for _, source in wanted for line in source)]
        text = insert_lines(text, end + 1, block)
        if _env_aliases(a):
            names = ["AliasChoices", "Field"]
            text = add_import_names(text, _parse(text, path), "pydantic", names, path=path, line_length=line_length)
    aliases = _env_aliases(a)
    if aliases:
        text = _ensure_key_aliases(text, path, list(aliases.items()), line_length)
    return _finish(ctx, "settings", path, text)


def _ensure_key_aliases(text: str, path: str, aliases: list[tuple[str, str]], line_length: int) -> str:
    """Make the Settings fields also read the answered env vars, through the file's ``KEY_ALIASES``."""
    for field, env_name in aliases:
        tree = _parse(text, path)
        assignment = top_level_assignment(tree, "KEY_ALIASES")
        if assignment is None or not isinstance(assignment.value, ast.Dict):
            raise AnchorNotFound(
                path,
                "the dict 'KEY_ALIASES: dict[str, tuple[str, ...]] = {...}' (needed because "
                f"{field} must also read {env_name})",
                _restore_hint(path),
            )
        keys = [k.value if isinstance(k, ast.Constant) else None for k in assignment.value.keys]
        if field in keys:
            names = literal_strings(assignment.value.values[keys.index(field)]) or []
            if env_name in names:
                continue
            raise WiringError(
                f"{path}: KEY_ALIASES[{field!r}] lists {', '.join(names) or 'other names'} but not {env_name}: "
                "add it by hand, then run again."
            )
        string_keys = [k for k in keys if isinstance(k, str)]
        index = (
            sorted_position(string_keys, field, natural_key)
            if len(string_keys) == len(keys) and is_sorted(string_keys, natural_key)
            else len(keys)
        )
        value = Brackets("(", (("", py_str(env_name)),), one_tuple=True)
        text = insert_item(text, assignment.value, index, f"{py_str(field)}: ", value, line_length=line_length)
    return text


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
        raise AnchorNotFound(path, "the [project] table", _restore_hint(path))
    wanted = f"{a.sdk_package}>={a.sdk_min_version}"
    if a.lazy_import:
        extras = project.get("optional-dependencies")
        if not isinstance(extras, dict):
            raise AnchorNotFound(path, "the [project.optional-dependencies] table", _restore_hint(path))
        if a.provider not in extras:
            array = tomlkit.array()
            array.append(wanted)
            extras.append(a.provider, array)
            return _finish(ctx, step, path, tomlkit.dumps(doc))
        target, where = extras[a.provider], f"the {a.provider!r} extra"
    else:
        target, where = project.get("dependencies"), "[project] dependencies"
        if not isinstance(target, list):
            raise AnchorNotFound(path, "the [project] dependencies list", _restore_hint(path))
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
            return _finish(ctx, step, path, tomlkit.dumps(doc))
        return StepResult(step, "same", path)  # already required (keep a stricter or different pin)
    target.append(wanted)
    return _finish(ctx, step, path, tomlkit.dumps(doc))


def _is_lower_minimum(requirement: Any, minimum: str) -> bool:
    """True if ``requirement`` is a plain ``>=X`` with X below ``minimum`` (so raising it is safe)."""
    from packaging.version import Version

    specs = list(requirement.specifier)
    if requirement.extras or requirement.marker or len(specs) != 1 or specs[0].operator != ">=":
        return False
    return Version(specs[0].version) < Version(minimum)


_ENV_HEADER = "# ─── "
_ENV_VAR = re.compile(r"([A-Z][A-Z0-9_]*)=")


def _env_sections(lines: list[str]) -> list[tuple[int, int]]:
    """(start, end) 0-based half-open line ranges of the ``# ─── Title ───`` sections."""
    starts = [i for i, line in enumerate(lines) if line.startswith(_ENV_HEADER)]
    return [(start, (starts[k + 1] if k + 1 < len(starts) else len(lines))) for k, start in enumerate(starts)]


def _env_vars(lines: list[str]) -> list[str]:
    return [match.group(1) for line in lines if (match := _ENV_VAR.match(line))]


def _is_provider_section(names: list[str]) -> bool:
    found = set(names)
    return any(
        name.endswith("_MODEL") and ({f"{name[:-6]}_API_KEY", f"{name[:-6]}_ENDPOINT"} & found) for name in found
    )


def step_env(ctx: Context) -> StepResult:
    """A ``# ─── Name ───`` section after the last provider section, and the name in the AI_PROVIDER list."""
    path = ctx.layout.path("env")
    a = ctx.answers
    text = ctx.tx.text(path)
    lines = text.splitlines()
    sections = _env_sections(lines)
    if not sections:
        raise AnchorNotFound(path, "section headers like '# ─── OpenAI ───…'", _restore_hint(path))
    width = Counter(len(lines[start]) for start, _ in sections).most_common(1)[0][0]

    new_vars = []
    if a.has_api_key:
        new_vars.append((a.api_key_env, f"your-{a.provider}-api-key"))
    new_vars.append((f"{a.upper}_MODEL", a.default_model))
    if a.endpoint:
        new_vars.append((a.endpoint_var, a.endpoint))
    existing = set(_env_vars(lines))
    present = [name for name, _ in new_vars if name in existing]
    if present and len(present) < len(new_vars):
        missing = [name for name, _ in new_vars if name not in existing]
        raise WiringError(
            f"{path}: already sets {', '.join(present)} but not {', '.join(missing)}: complete or remove "
            "those lines by hand, then run again."
        )
    if not present:
        providers = [(s, e) for s, e in sections if _is_provider_section(_env_vars(lines[s:e]))]
        if not providers:
            raise AnchorNotFound(
                path,
                "a provider section ('# ─── Name ───' with NAME_API_KEY or NAME_ENDPOINT and NAME_MODEL)",
                _restore_hint(path),
            )
        _, end = providers[-1]
        title = f"{_ENV_HEADER}{a.display_name} "
        section = [title + "─" * max(1, width - len(title)), *(f"{name}={value}" for name, value in new_vars)]
        if end < len(lines):
            text = insert_lines(text, end + 1, [*section, ""])
        else:
            text = insert_lines(text, len(lines) + 1, ([""] if lines and lines[-1].strip() else []) + section)
    text = _add_to_provider_list(text, path, a.provider, width)
    return _finish(ctx, "env template", path, text)


def _add_to_provider_list(text: str, path: str, provider: str, width: int) -> str:
    """Append ``provider`` to the ``# Set AI_PROVIDER to one of: a, b,`` comment, wrapping at ``width``."""
    lines = text.splitlines(keepends=True)
    first = next(
        (i for i, line in enumerate(lines) if line.startswith("#") and "AI_PROVIDER" in line and "one of:" in line),
        None,
    )
    if first is None:
        raise AnchorNotFound(path, "the comment '# Set AI_PROVIDER to one of: …'", _restore_hint(path))
    last = first
    while last + 1 < len(lines) and lines[last + 1].startswith("# ") and not lines[last + 1].startswith(_ENV_HEADER):
        last += 1
    listed = lines[first].split("one of:", 1)[1] + "".join(line[2:] for line in lines[first + 1 : last + 1])
    names = [name.strip() for name in listed.replace("\n", " ").split(",") if name.strip()]
    if provider in names:
        return text
    tail = lines[last].rstrip("\r\n")
    ending = lines[last][len(tail) :] or "\n"
    if len(tail) + len(", ") + len(provider) <= width:
        lines[last] = f"{tail}, {provider}{ending}"
    else:
        lines[last] = f"{tail},{ending}"
        lines.insert(last + 1, f"# {provider}{ending}")
    return "".join(lines)


_DRIVER_LIST = re.compile(r"\(([^()]*?), …\)")


def step_claude_md(ctx: Context) -> StepResult:
    """Add the provider to the driver list of the ``prompture/drivers/`` bullet in Module Layout."""
    path = ctx.layout.path("claude_md")
    provider = ctx.answers.provider
    lines = ctx.tx.text(path).splitlines(keepends=True)
    index = next((i for i, line in enumerate(lines) if line.lstrip().startswith("- **`prompture/drivers/`**")), None)
    if index is None:
        raise AnchorNotFound(path, "the '- **`prompture/drivers/`**' bullet under 'Module Layout'", _restore_hint(path))
    match = _DRIVER_LIST.search(lines[index])
    if match is None:
        raise AnchorNotFound(
            path,
            "the driver list '(openai, claude, …)' in the '- **`prompture/drivers/`**' bullet",
            _restore_hint(path),
        )
    names = [name.strip() for name in match.group(1).split(",")]
    if provider not in names:
        line = lines[index]
        lines[index] = line[: match.end(1)] + f", {provider}" + line[match.end(1) :]
    return _finish(ctx, "CLAUDE.md driver list", path, "".join(lines))


#: Step name (as listed in ``Layout.steps``) -> function. L1–L3 steps are not implemented yet.
STEPS: dict[str, Callable[[Context], StepResult]] = {
    "plugins": step_plugins,
    "drivers": step_drivers,
    "settings": step_settings,
    "pyproject": step_pyproject,
    "env": step_env,
    "claude_md": step_claude_md,
}


# ── Running ───────────────────────────────────────────────────────────────────


def check_rendered(root: Path, layout: Layout, a: Answers) -> None:
    """The modules the wiring imports must exist and define the classes it imports from them."""
    expected = {
        "driver": f"{a.class_prefix}Driver",
        "async_driver": f"Async{a.class_prefix}Driver",
        "plugin": f"{a.class_prefix}Plugin",
    }
    for kind, cls in expected.items():
        if kind not in layout.rendered:
            continue
        rel = layout.rendered_path(kind, a.provider)
        file = root / rel
        if not file.is_file():
            raise WiringError(
                f"{rel}: not found, but the wiring imports {cls} from it. Render it again (copier copy) and run again."
            )
        tree = _parse(file.read_text(encoding="utf-8"), rel)
        if not any(isinstance(node, ast.ClassDef) and node.name == cls for node in tree.body):
            raise AnchorNotFound(rel, f"'class {cls}'", "Render the file again (copier copy) and run again.")


def wire(root: Path | str, answers: Answers) -> list[StepResult]:
    """Wire the rendered provider into the checkout at ``root``, all-or-nothing; one result per step."""
    root = Path(root)
    layout = detect_layout(root)
    missing = [step for step in layout.steps if step not in STEPS]
    if not layout.wired or missing:
        raise WiringError(
            f"{root} is a Prompture {layout.versions} checkout (layout {layout.name} '{layout.title}'); this "
            "template can only wire layout L4 (Prompture 1.1.1 and later) so far. Nothing was changed."
        )
    check_rendered(root, layout, answers)
    tx = Transaction(root)
    results = [STEPS[step](Context(root, layout, answers, tx)) for step in layout.steps]
    tx.commit()
    return results


def main(argv: list[str], root: Path | None = None) -> int:
    """``wire_checkout.py <answers file>``, run in the checkout. Exit 0 when wired, 1 when nothing changed."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
        sys.stderr.reconfigure(errors="backslashreplace")
    if len(argv) != 1:
        print("usage: wire_checkout.py <copier answers file>", file=sys.stderr)
        return 2
    root = Path.cwd() if root is None else root
    try:
        results = wire(root, load_answers(root / argv[0]))
    except (WiringError, LayoutError) as error:
        print(f"✗ wiring failed: {error}", file=sys.stderr)
        print("Nothing was changed.", file=sys.stderr)
        return 1
    for result in results:
        print(result.line())
    return 0
