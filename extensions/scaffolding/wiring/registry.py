"""Registry steps: where Prompture learns that the provider exists."""

from __future__ import annotations

import ast
import re
from collections import Counter

from ..edits import (
    AnchorNotFound,
    Brackets,
    function_def,
    imports_name,
    insert_item,
    insert_lines,
    layout,
    statement_indent,
)
from ..pyliteral import py_str
from .answers import Answers
from .context import (
    SECTION_COMMENT,
    Context,
    StepResult,
    dict_literal,
    ensure_import,
    finish,
    parse,
    restore_hint,
    ruff_line_length,
)

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


def _describes(function: ast.FunctionDef, provider: str) -> bool:
    """Whether a ``ProviderDescriptor(name=provider, ...)`` is built anywhere in ``function``."""
    return any(
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "ProviderDescriptor"
        and any(
            k.arg == "name" and isinstance(k.value, ast.Constant) and k.value.value == provider for k in node.keywords
        )
        for node in ast.walk(function)
    )


def _descriptor(
    ctx: Context, tree: ast.Module, indent: str, target: str = "descriptors", kwargs_name: str = ""
) -> list[str]:
    """``<target>.append(ProviderDescriptor(...))``, exploded like the built-in ones.

    With ``kwargs_name``, the driver specs name that variable (bound by the caller) instead of
    repeating the keyword map.
    """
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
    # DriverSpec(...) by keyword where the file has the name: the release's `**_llm(...)` returns
    # dict[str, object], which mypy refuses for every one of ProviderDescriptor's typed fields.
    if not _has_driver_spec(tree) and (
        function_def(tree, "_llm") is not None or imports_name(tree, 1, "_aliases", "_llm")
    ):
        args = [py_str(part) for part in (*sync, *asynchronous)]
        llm = [
            f"{indent}        **_llm(",
            *(f"{inner}{arg}," for arg in args),
            *(
                [f"{inner}{kwargs_name},"]
                if kwargs_name
                else layout("", _kwarg_map(a), ",", indent=inner, line_length=width)
            ),
            f"{inner}{model},",
            f"{indent}        ),",
        ]
    else:
        llm = []
        for keyword, (module, cls) in (("llm_sync", sync), ("llm_async", asynchronous)):
            kwargs = kwargs_name or _kwarg_map(a)
            spec = Brackets("DriverSpec(", (("", py_str(f"{module}.{cls}")), ("", kwargs), ("", model)))
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
        f"{indent}{target}.append(",
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


def _has_driver_spec(tree: ast.Module) -> bool:
    """True when the module defines or imports ``DriverSpec``."""
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == "DriverSpec":
            return True
        if isinstance(node, ast.ImportFrom) and any(
            alias.name == "DriverSpec" and not alias.asname for alias in node.names
        ):
            return True
    return False


def _appended(node: ast.stmt, target: str) -> ast.expr | None:
    """The argument of a ``<target>.append(x)`` statement, else None."""
    if (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == "append"
        and isinstance(node.value.func.value, ast.Name)
        and node.value.func.value.id == target
        and len(node.value.args) == 1
    ):
        return node.value.args[0]
    return None


def step_descriptors(ctx: Context) -> StepResult:
    """A ``ProviderDescriptor`` appended in ``_build_descriptors()``, after the last built-in provider."""
    path = ctx.layout.path("descriptors")
    text = ctx.tx.text(path)
    tree = parse(text, path)
    function = function_def(tree, "_build_descriptors")
    appends = [
        node for node in (function.body if function is not None else []) if _appended(node, "descriptors") is not None
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
        widths = Counter(
            len(line) for line in lines[function.lineno : function.end_lineno] if SECTION_COMMENT.match(line)
        )
        width = widths.most_common(1)[0][0] if widths else len(indent) + 72
        title = f"{indent}# ── {ctx.answers.display_name} "
        header = title + "─" * max(3, width - len(title))
        text = insert_lines(text, appends[-1].end_lineno + 1, ["", header, *_descriptor(ctx, tree, indent)])
    return finish(ctx, "provider descriptor", path, text)


def _width(ctx: Context) -> int:
    return ruff_line_length(ctx.root)


# ── L4: a ProviderDescriptor in the family plugin's descriptors() ──────────────


def family_plugin(a: Answers) -> str:
    """The L4 plugin family the provider joins (a key of ``Layout.files``), as Prompture groups its own.

    Self-hosted servers join Ollama and LM Studio, OpenAI-compatible APIs join Moonshot and
    Z.ai, other APIs join Mistral and DeepSeek in the extras.
    """
    if not a.has_api_key:
        return "local_family"
    return "openai_compatible_family" if a.api_style == "openai_compatible" else "extras_family"


def _is_provider(argument: ast.expr) -> bool:
    """A named provider's descriptor (``ProviderDescriptor(...)`` or a variable), not an alias or the generic router."""
    if isinstance(argument, ast.Name):
        return True
    return (
        isinstance(argument, ast.Call)
        and isinstance(argument.func, ast.Name)
        and argument.func.id == "ProviderDescriptor"
        and not any(
            k.arg == "name" and isinstance(k.value, ast.Constant) and k.value.value == "openai_compatible"
            for k in argument.keywords
        )
    )


def step_family_plugin(ctx: Context) -> StepResult:
    """A ``ProviderDescriptor`` in the family plugin's ``descriptors()``, after its last named provider.

    Before the aliases and the generic OpenAI-compatible router, with a ``# <Name>`` comment
    like the built-in ones; nothing is added to ``BUILTIN_PLUGINS`` (the family is there).
    """
    path = ctx.layout.path(family_plugin(ctx.answers))
    text = ctx.tx.text(path)
    tree = parse(text, path)
    method = next(
        (
            item
            for cls in tree.body
            if isinstance(cls, ast.ClassDef)
            for item in cls.body
            if isinstance(item, ast.FunctionDef) and item.name == "descriptors"
        ),
        None,
    )
    appends = [
        node
        for node in (method.body if method is not None else [])
        if (argument := _appended(node, "descs")) is not None and _is_provider(argument)
    ]
    if method is None or not appends:
        raise AnchorNotFound(
            path, "a plugin class whose 'def descriptors(self)' has 'descs.append(...)' calls", restore_hint(path)
        )
    if not _describes(method, ctx.answers.provider):
        indent, kwargs_name = statement_indent(text, appends[-1]), f"{ctx.answers.provider}_kw"
        bound = {n.id for n in ast.walk(method) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        if kwargs_name in bound:  # e.g. "moon_kw" is Moonshot's: spell the map out instead of rebinding it
            kwargs_name, kwargs = "", []
        else:
            kwargs = layout(f"{kwargs_name} = ", _kwarg_map(ctx.answers), "", indent=indent, line_length=_width(ctx))
        block = [
            "",
            f"{indent}# {ctx.answers.display_name}",
            *kwargs,
            *_descriptor(ctx, tree, indent, target="descs", kwargs_name=kwargs_name),
        ]
        text = insert_lines(text, appends[-1].end_lineno + 1, block)
    return finish(ctx, "plugin family", path, text)
