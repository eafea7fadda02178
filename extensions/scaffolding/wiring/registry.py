"""Registry steps: where Prompture learns that the provider exists."""

from __future__ import annotations

import ast

from ..edits import AnchorNotFound, insert_item, top_level_assignment
from .context import Context, StepResult, ensure_import, ensure_in_all, finish, parse, restore_hint, ruff_line_length


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
