"""models.dev steps: ``PROVIDER_MAP`` (L1, L2) and the provider's rate file (L2 - L4; none in L1).

The rate file is where the checkout records the models.dev facts (Prompture's own format,
``prompture/infra/rates/<provider>.json``): the rendered tests read their models from it.
The wiring writes it, not Copier, because ``copier update`` re-renders from the answers
alone: a first copy writes it from the facts the questionnaire read, an update leaves it as
it is unless asked to refresh it from models.dev.
"""

from __future__ import annotations

import ast

from ..catalogue_facts import CatalogueUnavailable, fetch_facts
from ..edits import WiringError, insert_item
from ..facts import FactsError, rate_file_text
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
    """``prompture/infra/rates/<provider>.json``: written from the facts, kept on an update unless refreshed.

    A provider models.dev does not list gets one entry, for its default model, priced at the
    prices answered: written again whenever that changes (it needs no network).
    """
    a = ctx.answers
    step = "rate file"
    rel = ctx.layout.rendered_path("rates", a.provider) if "rates" in ctx.layout.rendered else ""
    if not rel:
        return StepResult(
            step,
            "n/a",
            "",
            f"layout {ctx.layout.name} '{ctx.layout.title}' has no prompture/infra/rates/ folder; prices and "
            "capabilities come from models.dev"
            + (" through PROVIDER_MAP" if a.models_dev_provider else " (the provider is not listed there)"),
        )
    if a.models_dev_provider and ctx.tx.exists(rel) and not a.refresh_models_dev:
        return StepResult(step, "same", rel, "kept: `--data refresh_models_dev=true` reads models.dev again")
    try:
        facts = a.models_dev_facts or fetch_facts(a.models_dev_provider or "", a.refresh_models_dev)
        text = rate_file_text(facts, a.default_model, a.price_input or 0, a.price_output or 0, a.api_style, a.provider)
    except (CatalogueUnavailable, FactsError, ValueError) as error:
        raise WiringError(f"{rel}: cannot write the rate file: {error}") from None
    changed = ctx.tx.create(rel, text)
    return StepResult(step, "changed" if changed else "same", rel)
