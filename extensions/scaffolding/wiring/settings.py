"""The settings step: the provider's fields in ``class Settings``."""

from __future__ import annotations

import ast
import re

from ..edits import (
    AnchorNotFound,
    Brackets,
    WiringError,
    imports_name,
    insert_item,
    insert_lines,
    is_sorted,
    layout,
    literal_strings,
    natural_key,
    sorted_position,
    top_level_assignment,
)
from ..pyliteral import py_str
from .answers import Answers
from .context import Context, StepResult, ensure_import, finish, parse, restore_hint, ruff_line_length


def _env_aliases(a: Answers) -> dict[str, str]:
    """Settings field -> the answered env var, where that differs from the one pydantic-settings reads."""
    aliases = {}
    if a.has_api_key and a.api_key_env and a.api_key_env != f"{a.upper}_API_KEY":
        aliases[f"{a.provider}_api_key"] = a.api_key_env
    if a.endpoint and a.endpoint_var != f"{a.upper}_ENDPOINT":
        aliases[f"{a.provider}_endpoint"] = a.endpoint_var
    return aliases


def _settings_fields(a: Answers, indent: str, line_length: int, optional: str) -> list[tuple[str, list[str]]]:
    """(field name, source lines) of the provider's Settings block.

    A field whose env var is not its own name gets ``Field(validation_alias=AliasChoices(name, ENV))``:
    pydantic-settings then reads either variable (the field's own name first), from the
    environment and from ``.env``; keyword arguments by field name keep working.
    """
    aliases = _env_aliases(a)
    fields = []
    if a.has_api_key:
        fields.append((f"{a.provider}_api_key", optional, "None"))
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


def _optional_str(text: str, tree: ast.Module, settings: ast.ClassDef) -> str:
    """``Optional[str]`` where the class writes its optional fields so (older releases, Python 3.9), else
    ``str | None``; ``Optional`` must be imported from typing for the former."""
    # ast.unparse, not get_source_segment: the latter re-splits the whole file for every field (~0.4 s here).
    sources = [ast.unparse(node.annotation) for node in settings.body if isinstance(node, ast.AnnAssign)]
    older, newer = sources.count("Optional[str]"), sources.count("str | None")
    return "Optional[str]" if older > newer and imports_name(tree, 0, "typing", "Optional") else "str | None"


def step_settings(ctx: Context) -> StepResult:
    """Add the provider's block to ``class Settings`` after the last provider block; alias a custom env var."""
    path = ctx.layout.path("settings")
    a = ctx.answers
    text = ctx.tx.text(path)
    tree = parse(text, path)
    settings = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Settings"), None)
    if settings is None:
        raise AnchorNotFound(path, "'class Settings(BaseSettings)'", restore_hint(path))
    fields = {
        node.target.id: node
        for node in settings.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    }
    body_indent = re.match(r"[ \t]*", text.splitlines()[settings.body[0].lineno - 1]).group(0)
    line_length = ruff_line_length(ctx.root)
    wanted = _settings_fields(a, body_indent, line_length, _optional_str(text, tree, settings))
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
                restore_hint(path),
            )
        _, end = candidates[-1]
        # The endpoint's ${NAME} parts: pydantic-settings reads NAME (and .env) into the field name.lower();
        # a field the class has already (another provider's) serves both.
        optional = _optional_str(text, tree, settings)
        filled_in = [f"{body_indent}{name.lower()}: {optional} = None" for name in a.endpoint_vars]
        filled_in = [line for line, name in zip(filled_in, a.endpoint_vars, strict=True) if name.lower() not in fields]
        block = [
            "",
            f"{body_indent}# {a.display_name}",
            *(line for _, source in wanted for line in source),
            *filled_in,
        ]
        text = insert_lines(text, end + 1, block)
        if _env_aliases(a):
            for name in ("AliasChoices", "Field"):
                text = ensure_import(text, path, "pydantic", name, line_length, level=0)
    aliases = _env_aliases(a)
    if aliases and _uses_key_aliases(parse(text, path)):
        # Later releases also keep vendor key names in KEY_ALIASES (other code reads them from there);
        # a file that uses KEY_ALIASES without defining it is refused by _ensure_key_aliases.
        text = _ensure_key_aliases(text, path, list(aliases.items()), line_length)
    return finish(ctx, "settings", path, text)


def _uses_key_aliases(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.Name) and node.id == "KEY_ALIASES" for node in ast.walk(tree))


def _ensure_key_aliases(text: str, path: str, aliases: list[tuple[str, str]], line_length: int) -> str:
    """Make the Settings fields also read the answered env vars, through the file's ``KEY_ALIASES``."""
    for field, env_name in aliases:
        tree = parse(text, path)
        assignment = top_level_assignment(tree, "KEY_ALIASES")
        if assignment is None or not isinstance(assignment.value, ast.Dict):
            raise AnchorNotFound(
                path,
                "the dict 'KEY_ALIASES: dict[str, tuple[str, ...]] = {...}' (needed because "
                f"{field} must also read {env_name})",
                restore_hint(path),
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
