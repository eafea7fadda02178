"""Registry steps: where Prompture learns that the provider exists."""

from __future__ import annotations

import ast
import re
from collections import Counter

from ..edits import (
    AnchorNotFound,
    Brackets,
    function_def,
    insert_item,
    insert_lines,
    layout,
    statement_indent,
    top_level_assignment,
)
from ..pyliteral import py_str
from .answers import Answers
from .context import (
    Context,
    StepResult,
    dict_literal,
    ensure_import,
    ensure_in_all,
    finish,
    parse,
    restore_hint,
    ruff_line_length,
)


def step_plugins(ctx: Context) -> StepResult:
    """Import the provider's plugin, append an instance to BUILTIN_PLUGINS, export its name."""
    path = ctx.layout.path("plugins")
    plugin = f"{ctx.answers.class_prefix}Plugin"
    text = ensure_import(ctx.tx.text(path), path, f"{ctx.answers.provider}_plugin", plugin, ruff_line_length(ctx.root))
    tree = parse(text, path)
    assignment = top_level_assignment(tree, "BUILTIN_PLUGINS")
    if assignment is None or not isinstance(assignment.value, ast.List):
        raise AnchorNotFound(path, "the list 'BUILTIN_PLUGINS: list[ProviderPlugin] = [...]'", restore_hint(path))
    listed = any(
        isinstance(item, ast.Call) and isinstance(item.func, ast.Name) and item.func.id == plugin
        for item in assignment.value.elts
    )
    if not listed:
        text = insert_item(text, assignment.value, len(assignment.value.elts), f"{plugin}()")
    text = ensure_in_all(text, path, plugin)
    return finish(ctx, "plugin registry", path, text)


# ── L1, L2: register_driver(...) calls and the PROVIDER_DRIVER_MAP dicts ──────

_TYPE_IGNORE = "  # type: ignore[misc]"


def _registered(tree: ast.Module, function: str, provider: str) -> bool:
    return any(
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Name)
        and node.value.func.id == function
        and node.value.args
        and isinstance(node.value.args[0], ast.Constant)
        and node.value.args[0].value == provider
        for node in tree.body
    )


def _first_run(tree: ast.Module, function: str) -> list[ast.stmt]:
    """The first run of module-level ``function(...)`` calls written on consecutive lines (the built-ins)."""
    run: list[ast.stmt] = []
    for node in tree.body:
        is_call = (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == function
        )
        if is_call and (not run or node.lineno == run[-1].end_lineno + 1):
            run.append(node)
        elif run:
            break
    return run


def _register_call(ctx: Context, text: str, function: str, cls: str) -> list[str]:
    """``function("acme", lambda model=None: Cls(api_key=settings..., ...), overwrite=True)``, exploded."""
    a = ctx.answers
    ignore = _TYPE_IGNORE if re.search(r"lambda model=None: \w+\(" + re.escape(_TYPE_IGNORE), text) else ""
    arguments = [f"{kwarg}=settings.{field}," for kwarg, field, _ in a.settings_reads() if kwarg == "api_key"]
    arguments.append(f"model=model or settings.{a.provider}_model,")
    arguments += [f"{kwarg}=settings.{field}," for kwarg, field, _ in a.settings_reads() if kwarg != "api_key"]
    return [
        f"{function}(",
        f"    {py_str(a.provider)},",
        f"    lambda model=None: {cls}({ignore}",
        *(f"        {argument}" for argument in arguments),
        "    ),",
        "    overwrite=True,",
        ")",
    ]


def _add_register_call(ctx: Context, text: str, path: str, function: str, cls: str) -> str:
    tree = parse(text, path)
    if _registered(tree, function, ctx.answers.provider):
        return text
    run = _first_run(tree, function)
    if not run:
        raise AnchorNotFound(
            path, f"the module-level '{function}(...)' calls of the built-in drivers", restore_hint(path)
        )
    return insert_lines(text, run[-1].end_lineno + 1, _register_call(ctx, text, function, cls))


def step_registry(ctx: Context) -> StepResult:
    """``register_driver(...)`` for the sync driver, after the built-in ones (the import comes with ``drivers``)."""
    path = ctx.layout.path("registry")
    a = ctx.answers
    text = ensure_import(ctx.tx.text(path), path, f"{a.provider}_driver", f"{a.class_prefix}Driver", _width(ctx))
    text = _add_register_call(ctx, text, path, "register_driver", f"{a.class_prefix}Driver")
    return finish(ctx, "driver registry", path, text)


def step_async_registry(ctx: Context) -> StepResult:
    """Import the async driver into the async registry and ``register_async_driver(...)`` it."""
    path = ctx.layout.path("async_registry")
    a = ctx.answers
    cls = f"Async{a.class_prefix}Driver"
    text = ensure_import(ctx.tx.text(path), path, f"async_{a.provider}_driver", cls, _width(ctx))
    text = _add_register_call(ctx, text, path, "register_async_driver", cls)
    return finish(ctx, "async driver registry", path, text)


def _kwarg_map(a: Answers) -> Brackets:
    items = tuple((f"{py_str(kwarg)}: ", py_str(field)) for kwarg, field, _ in a.settings_reads())
    return Brackets("{", items, "}", collection=True)


def _add_driver_map_entry(ctx: Context, path: str, name: str, cls: str) -> str:
    a = ctx.answers
    text = ctx.tx.text(path)
    tree = parse(text, path)
    node = dict_literal(tree, path, name, "dict[str, tuple[...]]")
    keys = [key.value if isinstance(key, ast.Constant) else None for key in node.keys]
    if a.provider in keys:
        return text
    value = Brackets("(", (("", cls), ("", _kwarg_map(a)), ("", py_str(f"{a.provider}_model"))), collection=True)
    return insert_item(text, node, len(keys), f"{py_str(a.provider)}: ", value, line_length=_width(ctx))


def step_driver_map(ctx: Context) -> StepResult:
    """The ``PROVIDER_DRIVER_MAP`` entry (per-environment construction of the sync driver)."""
    path = ctx.layout.path("driver_map")
    text = _add_driver_map_entry(ctx, path, "PROVIDER_DRIVER_MAP", f"{ctx.answers.class_prefix}Driver")
    return finish(ctx, "PROVIDER_DRIVER_MAP", path, text)


def step_async_driver_map(ctx: Context) -> StepResult:
    """The ``ASYNC_PROVIDER_DRIVER_MAP`` entry (per-environment construction of the async driver)."""
    path = ctx.layout.path("async_driver_map")
    text = _add_driver_map_entry(ctx, path, "ASYNC_PROVIDER_DRIVER_MAP", f"Async{ctx.answers.class_prefix}Driver")
    return finish(ctx, "ASYNC_PROVIDER_DRIVER_MAP", path, text)


# ── L3: a ProviderDescriptor in _build_descriptors() ───────────────────────────

_SECTION = re.compile(r"[ \t]*# ── .* ─+$")


def _describes(function: ast.FunctionDef, provider: str) -> bool:
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "ProviderDescriptor"
        and any(
            k.arg == "name" and isinstance(k.value, ast.Constant) and k.value.value == provider for k in node.keywords
        )
        for node in ast.walk(function)
    )


def _descriptor(ctx: Context, tree: ast.Module, indent: str) -> list[str]:
    """``descriptors.append(ProviderDescriptor(...))``, exploded like the built-in ones."""
    a, width = ctx.answers, _width(ctx)
    sync, asynchronous = (
        (f"{a.provider}_driver", f"{a.class_prefix}Driver"),
        (
            f"async_{a.provider}_driver",
            f"Async{a.class_prefix}Driver",
        ),
    )
    model = py_str(f"{a.provider}_model")
    inner = indent + " " * 12
    if function_def(tree, "_llm") is not None:
        args = [py_str(part) for part in (*sync, *asynchronous)]
        llm = [
            f"{indent}        **_llm(",
            *(f"{inner}{arg}," for arg in args),
            *layout("", _kwarg_map(a), ",", indent=inner, line_length=width),
            f"{inner}{model},",
            f"{indent}        ),",
        ]
    else:
        llm = []
        for keyword, (module, cls) in (("llm_sync", sync), ("llm_async", asynchronous)):
            spec = Brackets("DriverSpec(", (("", py_str(f"{module}.{cls}")), ("", _kwarg_map(a)), ("", model)))
            llm += layout(f"{keyword}=", spec, ",", indent=indent + " " * 8, line_length=width)
    field, _ = a.configured_by()
    listing = [
        line
        for kwarg, settings_field, env in a.settings_reads()
        for line in layout(
            "",
            Brackets("(", (("", py_str(kwarg)), ("", py_str(settings_field)), ("", py_str(env))), collection=True),
            ",",
            indent=inner,
            line_length=width,
        )
    ]
    return [
        f"{indent}descriptors.append(",
        f"{indent}    ProviderDescriptor(",
        f"{indent}        name={py_str(a.provider)},",
        *llm,
        *layout("display_name=", py_str(a.display_name), ",", indent=indent + " " * 8, line_length=width),
        f"{indent}        is_configured_check={py_str(field)},",
        f"{indent}        list_models_kwargs=[",
        *listing,
        f"{indent}        ],",
        *([f"{indent}        models_dev_name={py_str(a.models_dev_provider)},"] if a.models_dev_provider else []),
        f"{indent}    )",
        f"{indent})",
    ]


def step_descriptors(ctx: Context) -> StepResult:
    """A ``ProviderDescriptor`` appended in ``_build_descriptors()``, after the last built-in provider."""
    path = ctx.layout.path("descriptors")
    text = ctx.tx.text(path)
    tree = parse(text, path)
    function = function_def(tree, "_build_descriptors")
    appends = [
        node
        for node in (function.body if function is not None else [])
        if isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == "append"
        and isinstance(node.value.func.value, ast.Name)
        and node.value.func.value.id == "descriptors"
    ]
    if function is None or not appends:
        raise AnchorNotFound(
            path,
            "'def _build_descriptors()' with its 'descriptors.append(ProviderDescriptor(...))' calls",
            restore_hint(path),
        )
    if not _describes(function, ctx.answers.provider):
        lines = text.splitlines()
        indent = statement_indent(text, appends[-1])
        widths = Counter(len(line) for line in lines[function.lineno : function.end_lineno] if _SECTION.match(line))
        width = widths.most_common(1)[0][0] if widths else len(indent) + 72
        title = f"{indent}# ── {ctx.answers.display_name} "
        header = title + "─" * max(3, width - len(title))
        text = insert_lines(text, appends[-1].end_lineno + 1, ["", header, *_descriptor(ctx, tree, indent)])
    return finish(ctx, "provider descriptor", path, text)


def _width(ctx: Context) -> int:
    return ruff_line_length(ctx.root)
