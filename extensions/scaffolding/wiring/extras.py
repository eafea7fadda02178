"""Optional places of later layouts that the add-driver spec does not list (each asked in copier.yml).

    provider_env   ProviderEnvironment fields: per-consumer keys and endpoints (infra/provider_env.py)
    name_map       PROVIDER_NAME_MAP: the canonical name APIs use (drivers/__init__.py)
    key_check      _KEY_CHECKS: the live API-key check of `prompture setup` (infra/provider_keys.py)
    brand          PROVIDER_BRANDS: display name, colour, logo domain (drivers/provider_branding.py)

A step whose answer was not given (an older answers file) or says no is not applicable; so is
one whose file this release does not have yet. An entry already there is kept as it is, even
when it differs from the answers (a maintainer may have tuned it by hand); the step says so.
"""

from __future__ import annotations

import ast
import re

from ..edits import AnchorNotFound, Brackets, WiringError, insert_item, insert_lines, layout
from ..pyliteral import py_str
from .context import SECTION_COMMENT, Context, StepResult, dict_literal, finish, parse, restore_hint, ruff_line_length

_KEPT = "differs from the answers; kept as it is"


def _not_applicable(ctx: Context, step: str, kind: str, why: str) -> StepResult:
    return StepResult(step, "n/a", ctx.layout.path(kind), why)


def _missing_file(ctx: Context, kind: str) -> str:
    path = ctx.layout.path(kind)
    return "" if (ctx.root / path).is_file() else f"this release has no {path}"


def _dict_literal(tree: ast.Module, path: str, name: str, shape: str) -> ast.Dict:
    """``dict_literal``, refusing ``**`` unpacking too (an entry hidden in it could not be seen)."""
    node = dict_literal(tree, path, name, shape)
    if None in node.keys:
        raise AnchorNotFound(path, f"the dict '{name}: {shape} = {{...}}'", restore_hint(path))
    return node


def _entry(node: ast.Dict, key: str) -> ast.expr | None:
    for k, value in zip(node.keys, node.values, strict=True):
        if isinstance(k, ast.Constant) and k.value == key:
            return value
    return None


def step_provider_env(ctx: Context) -> StepResult:
    """``<provider>_api_key`` / ``_endpoint`` fields of ``ProviderEnvironment``, after its last field."""
    step, a = "provider environment", ctx.answers
    if not a.provider_env_fields:
        return _not_applicable(ctx, step, "provider_env", "provider_env_fields not answered yes")
    if why := _missing_file(ctx, "provider_env"):
        return _not_applicable(ctx, step, "provider_env", why)
    path = ctx.layout.path("provider_env")
    text = ctx.tx.text(path)
    tree = parse(text, path)
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "ProviderEnvironment"), None)
    fields = [
        node
        for node in (cls.body if cls is not None else [])
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
    ]
    if not fields:
        wanted = "'class ProviderEnvironment' with fields like 'moonshot_api_key: str | None = None'"
        raise AnchorNotFound(path, wanted, restore_hint(path))
    present = {node.target.id for node in fields}
    missing = [field for _, field, _ in a.settings_reads() if field not in present]
    if missing:
        last = fields[-1]
        indent = re.match(r"[ \t]*", text.splitlines()[last.lineno - 1]).group(0)
        annotation = ast.unparse(last.annotation)
        if annotation not in ("str | None", "Optional[str]"):
            annotation = "str | None"
        text = insert_lines(text, last.end_lineno + 1, [f"{indent}{field}: {annotation} = None" for field in missing])
    return finish(ctx, step, path, text)


def step_name_map(ctx: Context) -> StepResult:
    """``"<provider>": "<canonical name>"`` at the end of ``PROVIDER_NAME_MAP``."""
    step, a = "provider name map", ctx.answers
    if not a.canonical_name:
        return _not_applicable(ctx, step, "name_map", "canonical_name left empty")
    path = ctx.layout.path("name_map")
    text = ctx.tx.text(path)
    node = _dict_literal(parse(text, path), path, "PROVIDER_NAME_MAP", "dict[str, str]")
    existing = _entry(node, a.provider)
    if existing is None:
        text = insert_item(text, node, len(node.keys), f"{py_str(a.provider)}: {py_str(a.canonical_name)}")
        return finish(ctx, step, path, text)
    same = isinstance(existing, ast.Constant) and existing.value == a.canonical_name
    return finish(ctx, step, path, text, "" if same else _KEPT)


def _auth_styles(tree: ast.Module) -> set[str] | None:
    """The styles ``_auth_headers(style, key)`` tests for, plus its bearer fallback; None without it."""
    function = next((n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "_auth_headers"), None)
    if function is None:
        return None
    tested = {
        operand.value
        for compare in ast.walk(function)
        if isinstance(compare, ast.Compare) and isinstance(compare.left, ast.Name) and compare.left.id == "style"
        for operand in compare.comparators
        if isinstance(operand, ast.Constant) and isinstance(operand.value, str)
    }
    return tested | {"bearer"}


def step_key_check(ctx: Context) -> StepResult:
    """``"<provider>": (url, auth style)`` at the end of ``_KEY_CHECKS``."""
    step, a = "API key check", ctx.answers
    if not a.has_api_key:
        return _not_applicable(ctx, step, "key_check", "auth is endpoint: no API key to check")
    if not a.key_check_url:
        return _not_applicable(ctx, step, "key_check", "key_check_url left empty")
    if why := _missing_file(ctx, "key_check"):
        return _not_applicable(ctx, step, "key_check", why)
    path = ctx.layout.path("key_check")
    style = a.key_check_auth or "bearer"
    text = ctx.tx.text(path)
    tree = parse(text, path)
    node = _dict_literal(tree, path, "_KEY_CHECKS", "dict[str, tuple[str, str]]")
    styles = _auth_styles(tree)
    if styles is not None and style not in styles:
        raise WiringError(
            f"{path}: _auth_headers here knows no {style!r} auth style (key_check_auth). Answer one it knows "
            f"({', '.join(sorted(styles))}) and run again."
        )
    existing = _entry(node, a.provider)
    if existing is None:
        value = Brackets("(", (("", py_str(a.key_check_url)), ("", py_str(style))))
        text = insert_item(
            text, node, len(node.keys), f"{py_str(a.provider)}: ", value, line_length=ruff_line_length(ctx.root)
        )
        return finish(ctx, step, path, text)
    same = isinstance(existing, ast.Tuple) and [getattr(e, "value", None) for e in existing.elts] == [
        a.key_check_url,
        style,
    ]
    return finish(ctx, step, path, text, "" if same else _KEPT)


def _is_local_brand(value: ast.expr) -> bool:
    return isinstance(value, ast.Call) and any(
        k.arg == "is_local" and isinstance(k.value, ast.Constant) and k.value.value is True for k in value.keywords
    )


def _brand_fields(tree: ast.Module) -> set[str]:
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "ProviderBrand"), None)
    if cls is None:
        return set()
    return {n.target.id for n in cls.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name)}


#: Where Prompture 1.15 lists Groq, OpenRouter and ModelScope: the section an API provider joins.
_PLATFORMS_SECTION = "inference platforms"


def _entries_in_section(text: str, node: ast.Dict, title: str) -> list[int]:
    """Indexes of the dict's entries under its ``# ── <title> ──`` comment (up to the next such comment)."""
    lines = text.splitlines()
    sections = [
        (number, match.group(1).strip())
        for number in range(node.lineno, (node.end_lineno or node.lineno) + 1)
        if (match := SECTION_COMMENT.match(lines[number - 1]))
    ]
    entries = []
    for index, key in enumerate(node.keys):
        above = [name for number, name in sections if number < key.lineno]
        if above and above[-1] == title:
            entries.append(index)
    return entries


def step_brand(ctx: Context) -> StepResult:
    """A ``ProviderBrand`` entry: local providers at the end, others with the inference platforms (else after the
    last non-local entry)."""
    step, a = "brand", ctx.answers
    if not a.brand:
        return _not_applicable(ctx, step, "brand", "brand not answered yes")
    if why := _missing_file(ctx, "brand"):
        return _not_applicable(ctx, step, "brand", why)
    path = ctx.layout.path("brand")
    text = ctx.tx.text(path)
    tree = parse(text, path)
    node = _dict_literal(tree, path, "PROVIDER_BRANDS", "dict[str, ProviderBrand]")
    fields = _brand_fields(tree)
    if not {"display_name", "icon_slug", "brand_color"} <= fields:
        raise AnchorNotFound(
            path, "'class ProviderBrand' with display_name, icon_slug and brand_color fields", restore_hint(path)
        )
    local = not a.has_api_key
    arguments = [("", py_str(a.display_name)), ("icon_slug=", "None")]
    arguments.append(("brand_color=", py_str(a.brand_color) if a.brand_color else "None"))
    if local and "is_local" in fields:
        arguments.append(("is_local=", "True"))
    if "domain" in fields:
        arguments.append(("domain=", py_str(a.brand_domain) if a.brand_domain else "None"))
    value = Brackets("ProviderBrand(", tuple(arguments))
    existing = _entry(node, a.provider)
    if existing is not None:
        same = ast.dump(existing) == ast.dump(ast.parse(value.flat(), mode="eval").body)
        return finish(ctx, step, path, text, "" if same else _KEPT)
    key = f"{py_str(a.provider)}: "
    line_length = ruff_line_length(ctx.root)
    non_local = [i for i, v in enumerate(node.values) if not _is_local_brand(v)]
    platforms = _entries_in_section(text, node, _PLATFORMS_SECTION) or non_local
    after = len(node.keys) - 1 if local or not platforms else platforms[-1]
    if after < 0 or after == len(node.keys) - 1:
        text = insert_item(text, node, len(node.keys), key, value, line_length=line_length)
    else:
        # After the entry, not before the next one: a section comment may sit between them.
        last = node.values[after]
        lines = text.splitlines(keepends=True)
        if not lines[last.end_lineno - 1][last.end_col_offset :].lstrip().startswith(","):
            text = insert_item(text, node, after + 1, key, value, line_length=line_length)
        else:
            indent = re.match(r"[ \t]*", lines[node.keys[after].lineno - 1]).group(0)
            text = insert_lines(
                text, last.end_lineno + 1, layout(key, value, ",", indent=indent, line_length=line_length)
            )
    return finish(ctx, step, path, text)
