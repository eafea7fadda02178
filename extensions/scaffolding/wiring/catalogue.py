"""models.dev steps: ``PROVIDER_MAP`` (L1, L2) and the rate file's absence in L1."""

from __future__ import annotations

import ast

from ..edits import insert_item
from ..pyliteral import py_str
from .context import Context, StepResult, dict_literal, finish, parse


def step_model_rates(ctx: Context) -> StepResult:
    """``PROVIDER_MAP["<provider>"] = "<models.dev id>"``: live prices, capabilities and the model list."""
    a = ctx.answers
    step = "models.dev PROVIDER_MAP"
    path = ctx.layout.path("model_rates")
    if not a.models_dev_provider:
        return StepResult(step, "n/a", path, "the provider is not on models.dev")
    text = ctx.tx.text(path)
    node = dict_literal(parse(text, path), path, "PROVIDER_MAP", "dict[str, str]")
    keys = [key.value if isinstance(key, ast.Constant) else None for key in node.keys]
    if a.provider not in keys:
        entry = f"{py_str(a.provider)}: {py_str(a.models_dev_provider)}"
        text = insert_item(text, node, len(keys), entry)
    return finish(ctx, step, path, text)


def step_rate_file(ctx: Context) -> StepResult:
    """Layouts without a rate folder: say so (the template renders no rate file there)."""
    return StepResult(
        "rate file",
        "n/a",
        "",
        f"layout {ctx.layout.name} '{ctx.layout.title}' has no prompture/infra/rates/ folder; prices and "
        "capabilities come from models.dev"
        + (" through PROVIDER_MAP" if ctx.answers.models_dev_provider else " (the provider is not listed there)"),
    )
