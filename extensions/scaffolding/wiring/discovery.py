"""Discovery steps (L1, L2): ``get_available_models()`` finds the provider and asks it for its models."""

from __future__ import annotations

import ast
from collections.abc import Callable

from ..edits import (
    AnchorNotFound,
    Brackets,
    equality_test,
    function_def,
    if_chain,
    insert_elif,
    insert_item,
    layout,
    statement_indent,
)
from ..pyliteral import py_str
from .context import Context, StepResult, ensure_import, finish, package_import, parse, restore_hint, ruff_line_length


def _value(ctx: Context, field: str, env: str, prefix: str, suffix: str, indent: str) -> list[str]:
    """Lines for ``prefix + <the setting's value, as this discovery module reads it> + suffix``."""
    width = ruff_line_length(ctx.root)
    if ctx.layout.discovery_value == "cfg_value":
        call = Brackets("_cfg_value(", (("", "env"), ("", py_str(field)), ("", py_str(env))))
        return layout(prefix, call, suffix, indent=indent, line_length=width)
    flat = f"{indent}{prefix}settings.{field} or os.getenv({py_str(env)}){suffix}"
    if len(flat) <= width:
        return [flat]
    # What ruff format does with a too-long `a or f(x)`: split the last brackets.
    return [f"{indent}{prefix}settings.{field} or os.getenv(", f"{indent}    {py_str(env)}", f"{indent}){suffix}"]


def _chains(function: ast.FunctionDef) -> list[list[ast.If]]:
    """The ``if provider == "x": ... elif provider == "y": ...`` chains in ``function``."""
    inner = {id(node.orelse[0]) for node in ast.walk(function) if isinstance(node, ast.If) and len(node.orelse) == 1}
    heads = [
        node
        for node in ast.walk(function)
        if isinstance(node, ast.If) and id(node) not in inner and equality_test(node.test, "provider") is not None
    ]
    return [if_chain(head) for head in heads]


def _add_branch(ctx: Context, text: str, chain: list[ast.If], body: Callable[[str], list[str]]) -> str:
    """``elif provider == "<provider>":`` + ``body(indent)`` after the chain's last ``provider == "x"`` branch.

    ``body`` gets the indentation of the branch's body and returns its lines.
    """
    provider = ctx.answers.provider
    names = [equality_test(branch.test, "provider") for branch in chain]
    if provider in names:
        return text
    last = max(index for index, name in enumerate(names) if name is not None)
    base = statement_indent(text, chain[0])
    lines = [line[len(base) :] for line in body(base + "    ")]
    return insert_elif(text, chain, last, [f"elif provider == {py_str(provider)}:", *lines])


def _assigns(node: ast.AST, name: str) -> bool:
    return any(
        isinstance(child, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in child.targets)
        for child in ast.walk(node)
    )


def step_discovery(ctx: Context) -> StepResult:
    """Import the sync driver, add it to ``provider_classes`` and to the is-configured ``elif`` chain."""
    path = ctx.layout.path("discovery")
    a = ctx.answers
    cls = f"{a.class_prefix}Driver"
    level, drivers = package_import(path, ctx.layout.drivers_dir)
    text = ctx.tx.text(path)
    tree = parse(text, path)
    statement = next(
        (n for n in tree.body if isinstance(n, ast.ImportFrom) and n.level == level and n.module == drivers), None
    )
    module = drivers if statement is not None else f"{drivers}.{a.provider}_driver"
    text = ensure_import(text, path, module, cls, ruff_line_length(ctx.root), level=level)

    function = function_def(parse(text, path), "get_available_models")
    assignments = [
        node
        for node in (ast.walk(function) if function is not None else ())
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Dict)
        and any(isinstance(target, ast.Name) and target.id == "provider_classes" for target in node.targets)
    ]
    classes = assignments[0].value if assignments else None
    if classes is None:
        raise AnchorNotFound(path, "the dict 'provider_classes = {...}' in get_available_models()", restore_hint(path))
    keys = [key.value if isinstance(key, ast.Constant) else None for key in classes.keys]
    if a.provider not in keys:
        text = insert_item(text, classes, len(keys), f"{py_str(a.provider)}: {cls}")

    function = function_def(parse(text, path), "get_available_models")
    chains = [chain for chain in _chains(function) if any(_assigns(branch, "is_configured") for branch in chain)]
    if not chains:
        raise AnchorNotFound(
            path,
            "the 'if provider == \"openai\": ... is_configured = True' chain in get_available_models()",
            restore_hint(path),
        )
    field, env = a.configured_by()
    text = _add_branch(
        ctx,
        text,
        max(chains, key=len),
        lambda indent: [*_value(ctx, field, env, "if ", ":", indent), f"{indent}    is_configured = True"],
    )
    return finish(ctx, "discovery", path, text)


def step_list_models_kwargs(ctx: Context) -> StepResult:
    """L2: the provider's branch in ``_get_list_models_kwargs`` (what its ``list_models()`` is called with)."""
    path = ctx.layout.path("list_models_kwargs")
    a = ctx.answers
    text = ctx.tx.text(path)
    function = function_def(parse(text, path), "_get_list_models_kwargs")
    chains = _chains(function) if function is not None else []
    if not chains:
        raise AnchorNotFound(
            path,
            "the 'if provider == \"openai\": kw[...] = ...' chain in _get_list_models_kwargs()",
            restore_hint(path),
        )
    if not a.settings_reads():
        return StepResult("list_models() arguments", "n/a", path, "the driver reads neither a key nor an endpoint")

    def body(indent: str) -> list[str]:
        return [
            line
            for kwarg, field, env in a.settings_reads()
            for line in _value(ctx, field, env, f"kw[{py_str(kwarg)}] = ", "", indent)
        ]

    text = _add_branch(ctx, text, max(chains, key=len), body)
    return finish(ctx, "list_models() arguments", path, text)
