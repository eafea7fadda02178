"""Which real models the rendered tests use for each trait, picked from the recorded models.dev facts.

The rendered tests (``tests/test_<provider>_driver.py``) resolve drivers the way users do,
``get_driver_for_model("<provider>/<model>")``, with model ids from the facts recorded in the
answers file; a test of a trait (no temperature, no structured output, vision, ...) is rendered
only when some recorded model has it. Pure: no I/O.
"""

from __future__ import annotations

from typing import Any


def sample_models(facts: Any, default_model: str) -> dict[str, str]:
    """``{trait: model id}`` for the traits some recorded model has; ``chat`` is always ``default_model``.

    Traits: ``chat`` (the default model), ``other`` (another model), ``reasoning`` (models.dev
    ``reasoning: true``), ``no_temperature`` (``temperature: false``), ``structured_output`` (a
    model marked ``structured_output: true``, else one not marked ``false``; the default model
    first), ``no_structured_output`` (``false``) and
    ``vision`` ("image" among its input modalities; another model than the default when one has
    it). Without facts only ``chat`` and ``structured_output`` (the default model: nothing rules it out).
    Ties go to the alphabetically first id.
    """
    models = facts.get("models") if isinstance(facts, dict) else None
    models = models if isinstance(models, dict) else {}
    ids = sorted(models)

    def first(test, candidates=ids) -> str | None:
        return next((model_id for model_id in candidates if test(models.get(model_id, {}))), None)

    default_first = [default_model, *(model_id for model_id in ids if model_id != default_model)]
    others_first = [*(model_id for model_id in ids if model_id != default_model), default_model]
    picks = {
        "chat": default_model,
        "other": next((model_id for model_id in ids if model_id != default_model), None),
        "reasoning": first(lambda model: model.get("reasoning") is True),
        "no_temperature": first(lambda model: model.get("temperature") is False),
        "structured_output": first(lambda model: model.get("structured_output") is True, default_first)
        or first(lambda model: model.get("structured_output") is not False, default_first),
        "no_structured_output": first(lambda model: model.get("structured_output") is False),
        "vision": first(lambda model: "image" in model.get("modalities", {}).get("input", []), others_first),
    }
    return {trait: model_id for trait, model_id in picks.items() if model_id}
