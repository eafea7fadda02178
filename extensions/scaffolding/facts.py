"""The facts: everything the template takes from models.dev, as one JSON-able dict.

The facts are recorded in the Copier answers file, so a later ``copier update`` replays
the very same data instead of whatever models.dev says that day. Shape::

    {"provider": {"id", "name"?, "env"?, "api"?, "doc"?, "npm"?},
     "models": {model_id: {"name"?, "reasoning"?, "tool_call"?, "structured_output"?,
                           "attachment"?, "temperature"?, "modalities"? {"input"?, "output"?},
                           "limit"? {"context"?, "output"?},
                           "cost"? {"input"?, "output"?, "cache_read"?},
                           "status"?, "release_date"?}}}

or ``{}`` when the provider is not on models.dev. ``npm`` and ``release_date`` are kept
because ``default_api_style`` and ``default_model`` depend on them. A key is absent when
models.dev does not give it (or gives something unusable).

Everything here is pure: no I/O.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from typing import Any
from urllib.parse import urlsplit

from .names import API_STYLES
from .validators import endpoint_problem, is_local_host


class FactsError(ValueError):
    """The catalogue has no such provider (the message says what to do)."""


PROVIDER_TEXT_FIELDS = ("id", "name", "api", "doc", "npm")
MODEL_FLAG_FIELDS = ("reasoning", "tool_call", "structured_output", "attachment", "temperature")
MODEL_TEXT_FIELDS = ("name", "status", "release_date")
MODALITY_FIELDS = ("input", "output")
LIMIT_FIELDS = ("context", "output")
COST_FIELDS = ("input", "output", "cache_read")
MODEL_FIELDS = (*MODEL_FLAG_FIELDS, *MODEL_TEXT_FIELDS, "modalities", "limit", "cost")

DRIVER_FLAGS = ("json_mode", "json_schema", "tool_use", "vision")
OPENAI_PROTOCOL_NPM = frozenset({"@ai-sdk/openai-compatible", "@ai-sdk/openai"})
ANTHROPIC_PROTOCOL_NPM = "@ai-sdk/anthropic"
# Key order of Prompture's own rate files (prompture/infra/rates/*.json).
RATE_ENTRY_KEYS = (
    "supports_temperature",
    "supports_tool_use",
    "supports_structured_output",
    "supports_vision",
    "is_reasoning",
    "context_window",
    "max_output_tokens",
    "modalities_input",
    "modalities_output",
    "api_type",
    "tokens_param",
)

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_CONVENTIONAL_ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")
_RELEASE_DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


# ── Building the facts ──────────────────────────────────────────────────────


def provider_facts(catalogue: dict, provider_id: str) -> dict:
    """Return the facts for ``provider_id`` from ``catalogue`` ({} for an empty id).

    Raises ``FactsError`` when the catalogue does not list the provider.
    """
    if not provider_id:
        return {}
    entry = catalogue.get(provider_id) if isinstance(catalogue, dict) else None
    if not isinstance(entry, dict):
        raise FactsError(_unknown_provider_message(catalogue, provider_id))
    models = entry.get("models") if isinstance(entry.get("models"), dict) else {}
    return {
        "provider": _provider_subset(provider_id, entry),
        "models": {
            model_id: _model_subset(model)
            for model_id, model in sorted(models.items())
            if isinstance(model_id, str) and model_id and isinstance(model, dict)
        },
    }


def guess_provider_id(catalogue: dict | None, provider: str) -> str:
    """Return the models.dev id matching the Prompture provider key exactly, else "".

    Provider keys use underscores where models.dev ids use hyphens, so "fireworks_ai"
    matches "fireworks-ai". No catalogue (offline, nothing cached) means no guess.
    """
    if not catalogue or not provider:
        return ""
    for candidate in (provider, provider.replace("_", "-")):
        if isinstance(catalogue.get(candidate), dict):
            return candidate
    return ""


def _unknown_provider_message(catalogue: Any, provider_id: str) -> str:
    known = [key for key in catalogue if isinstance(key, str)] if isinstance(catalogue, dict) else []
    close = difflib.get_close_matches(provider_id.lower(), known, n=5, cutoff=0.6)
    hint = f" Close matches: {', '.join(close)}." if close else ""
    return (
        f'models.dev does not list a provider with the id "{provider_id}".{hint} '
        "If models.dev does not list the provider, leave models_dev_provider empty."
    )


def _provider_subset(provider_id: str, entry: dict) -> dict:
    subset: dict[str, Any] = {"id": provider_id}
    for field in ("name", "env", "api", "doc", "npm"):
        value = _env_names(entry.get(field)) if field == "env" else _text(entry.get(field))
        if value:
            subset[field] = value
    return subset


def _model_subset(model: dict) -> dict:
    subset: dict[str, Any] = {}
    if _text(model.get("name")):
        subset["name"] = _text(model["name"])
    for field in MODEL_FLAG_FIELDS:
        if isinstance(model.get(field), bool):
            subset[field] = model[field]
    for group, fields, clean in (
        ("modalities", MODALITY_FIELDS, _modality_list),
        ("limit", LIMIT_FIELDS, _token_count),
        ("cost", COST_FIELDS, _price),
    ):
        values = _cleaned_group(model.get(group), fields, clean)
        if values:
            subset[group] = values
    if _text(model.get("status")):
        subset["status"] = _text(model["status"])
    if _RELEASE_DATE.fullmatch(_text(model.get("release_date"))):
        subset["release_date"] = _text(model["release_date"])
    return subset


def _cleaned_group(raw: Any, fields: tuple[str, ...], clean) -> dict[str, Any]:
    if not isinstance(raw, dict):
        return {}
    values = {field: clean(raw.get(field)) for field in fields}
    return {field: value for field, value in values.items() if value is not None}


def _env_names(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [name for name in value if isinstance(name, str) and _ENV_NAME.fullmatch(name)]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _modality_list(value: Any) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [item for item in value if isinstance(item, str) and item] or None


def _token_count(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = _number(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and value >= 0 else None


def _price(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    number = _number(value) if isinstance(value, str) else value
    if not isinstance(number, (int, float)) or not math.isfinite(number) or number < 0:
        return None
    return float(number)


def _number(text: str) -> float | None:
    try:
        return float(text.strip())
    except ValueError:
        return None


# ── Checking recorded facts ─────────────────────────────────────────────────


def facts_problem(facts: Any) -> str:
    """Return "" when ``facts`` is ``{}`` or well-formed facts, else a one-line message."""
    if isinstance(facts, dict) and not facts:
        return ""
    problem = _facts_shape_problem(facts)
    return f"models_dev_facts is not usable: {problem}." if problem else ""


def _facts_shape_problem(facts: Any) -> str:
    if not isinstance(facts, dict):
        return "it is not a JSON object"
    extra = sorted(set(facts) - {"provider", "models"})
    if extra:
        return f"unknown keys {extra}"
    return _provider_problem(facts.get("provider")) or _models_problem(facts.get("models"))


def _provider_problem(provider: Any) -> str:
    if not isinstance(provider, dict):
        return "provider is missing or not an object"
    extra = sorted(set(provider) - {*PROVIDER_TEXT_FIELDS, "env"})
    if extra:
        return f"provider has unknown keys {extra}"
    if not isinstance(provider.get("id"), str) or not provider["id"]:
        return "provider.id is missing"
    for field in PROVIDER_TEXT_FIELDS[1:]:
        if field in provider and not isinstance(provider[field], str):
            return f"provider.{field} is not a string"
    env = provider.get("env", [])
    if not isinstance(env, list) or not all(isinstance(name, str) and _ENV_NAME.fullmatch(name) for name in env):
        return "provider.env is not a list of environment variable names"
    return ""


def _models_problem(models: Any) -> str:
    if not isinstance(models, dict):
        return "models is missing or not an object"
    for model_id, model in models.items():
        problem = _model_problem(model)
        if problem:
            return f"model {model_id!r}: {problem}"
    return ""


def _model_problem(model: Any) -> str:
    if not isinstance(model, dict):
        return "not an object"
    extra = sorted(set(model) - set(MODEL_FIELDS))
    if extra:
        return f"unknown keys {extra}"
    for field in MODEL_FLAG_FIELDS:
        if field in model and not isinstance(model[field], bool):
            return f"{field} is not true/false"
    for field in MODEL_TEXT_FIELDS:
        if field in model and not isinstance(model[field], str):
            return f"{field} is not a string"
    checks = (
        ("modalities", MODALITY_FIELDS, lambda v: isinstance(v, list) and all(isinstance(m, str) for m in v)),
        ("limit", LIMIT_FIELDS, lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0),
        ("cost", COST_FIELDS, _is_price),
    )
    for group, fields, valid in checks:
        if group not in model:
            continue
        values = model[group]
        if not isinstance(values, dict) or set(values) - set(fields):
            return f"{group} is not an object with keys {', '.join(fields)}"
        bad = [field for field, value in values.items() if not valid(value)]
        if bad:
            return f"{group}.{bad[0]} has an unusable value"
    return ""


def _is_price(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value >= 0


# ── Defaults for the questionnaire ──────────────────────────────────────────


def default_api_style(facts: dict) -> str:
    """How the driver should speak to the provider.

    - no facts, or an OpenAI-protocol SDK on models.dev (``@ai-sdk/openai-compatible``,
      ``@ai-sdk/openai``): "openai_compatible";
    - an Anthropic-protocol API at its own URL (``@ai-sdk/anthropic`` with an ``api``, e.g. MiniMax):
      "anthropic_compatible";
    - any other provider with an ``api`` base URL (e.g. OpenRouter): "openai_compatible";
    - otherwise the provider ships its own SDK: "custom_sdk".
    """
    provider = _provider(facts)
    if not provider:
        return "openai_compatible"
    npm, api = provider.get("npm", ""), provider.get("api", "")
    if npm in OPENAI_PROTOCOL_NPM:
        return "openai_compatible"
    if api and npm == ANTHROPIC_PROTOCOL_NPM:
        return "anthropic_compatible"
    return "openai_compatible" if api else "custom_sdk"


def default_auth(facts: dict) -> str:
    """What the driver needs: usually "api_key".

    A provider whose API is on the local machine (LM Studio and the like) gets
    "endpoint"; one whose URL must be filled in per account (``${VAR}`` in models.dev's
    ``api``) or that names an endpoint/host variable gets "api_key_and_endpoint".
    """
    provider = _provider(facts)
    api = provider.get("api", "")
    if api and _is_local_url(api):
        return "endpoint"
    endpoint_vars = [name for name in provider.get("env", []) if name.endswith(("_ENDPOINT", "_BASE_URL", "_HOST"))]
    if "${" in api or endpoint_vars:
        return "api_key_and_endpoint"
    return "api_key"


def _is_local_url(url: str) -> bool:
    try:
        return is_local_host(urlsplit(url).hostname or "")
    except ValueError:
        return False


def default_api_key_env(facts: dict, provider: str) -> str:
    """The API key variable: the first of models.dev's ``env`` ending in ``_API_KEY``, else the
    first that looks like a secret (``KEY``, ``TOKEN``, ``_PAT``), else the first one, else
    ``<PROVIDER>_API_KEY``. Only conventional names (uppercase, starting with a letter) are
    picked, so the default passes the questionnaire's check.
    """
    names = [name for name in _provider(facts).get("env", []) if _CONVENTIONAL_ENV_NAME.fullmatch(name)]
    for matches in (
        lambda name: name.endswith("_API_KEY"),
        lambda name: "KEY" in name or "TOKEN" in name or name.endswith("_PAT"),
        lambda name: True,
    ):
        found = [name for name in names if matches(name)]
        if found:
            return found[0]
    prefix = re.sub(r"[^A-Z0-9]+", "_", (provider or "").upper()).strip("_")
    return f"{prefix}_API_KEY" if prefix[:1].isalpha() else "PROVIDER_API_KEY"


def default_endpoint(facts: dict, provider: str = "", key_env: str = "") -> str:
    """models.dev's ``api`` base URL without a trailing ``/chat/completions`` or slash, ``${VAR}`` parts kept
    (the driver fills them in from the environment); "" when it gives none or one the endpoint question
    would refuse for ``provider`` and its key variable ``key_env`` (the question then has no default).
    """
    api = _provider(facts).get("api", "").rstrip("/").removesuffix("/chat/completions").rstrip("/")
    return api if api and not endpoint_problem(api, provider, key_env) else ""


def key_env_names(facts: dict) -> list[str]:
    """The environment variables models.dev names for the provider (its ``env``), [] without facts."""
    return list(_provider(facts).get("env", []))


def default_model(facts: dict) -> str:
    """Pick the model a new driver uses by default ("" without facts or models): the first of
    ``ranked_models``."""
    ranked = ranked_models(facts)
    return ranked[0] if ranked else ""


def ranked_models(facts: dict) -> list[str]:
    """The provider's model ids, the best default first.

    Rule: first the models not marked ``status: "deprecated"``, whose output includes text
    (or is not stated) and that support tool calls, most recently released first; models
    without a ``release_date`` rank after all dated ones, and ties go to the alphabetically
    first id. Then, ranked the same way, those that only miss the tool-call condition, then
    the text-output one, then the deprecation one.
    """
    models = _models(facts)
    tiers = (
        lambda model: _is_current(model) and _outputs_text(model) and model.get("tool_call") is True,
        lambda model: _is_current(model) and _outputs_text(model),
        _is_current,
        lambda model: True,
    )
    ranked: list[str] = []
    for qualifies in tiers:
        candidates = sorted(
            model_id for model_id, model in models.items() if qualifies(model) and model_id not in ranked
        )
        candidates.sort(key=lambda model_id: models[model_id].get("release_date", ""), reverse=True)
        ranked += candidates
    return ranked


#: Columns a question's help may take: 80, less Copier's prompt mark and its space.
HELP_WIDTH = 77


def default_model_help(facts: dict, lead: str = "Default model") -> str:
    """``lead`` and, with facts, how many models models.dev lists and the best ids that fit one line.

    E.g. "Default model (models.dev lists 40: glm-5, glm-4.7, +38 more)".
    """
    ranked = ranked_models(facts)
    shown: list[str] = []
    for model_id in ranked:
        if len(_models_line(lead, len(ranked), [*shown, model_id])) > HELP_WIDTH:
            break
        shown.append(model_id)
    return _models_line(lead, len(ranked), shown) if ranked else lead


def _models_line(lead: str, count: int, shown: list[str]) -> str:
    rest = count - len(shown)
    listed = ", ".join([*shown, f"+{rest} more"] if rest and shown else shown)
    return f"{lead} (models.dev lists {count}: {listed})" if listed else f"{lead} (models.dev lists {count})"


def model_flag(facts: dict, model_id: str, flag: str) -> bool:
    """The default for one driver capability of ``model_id``.

    - ``json_mode``: True unless models.dev says the model lacks structured output;
    - ``json_schema``: True only when models.dev says it has structured output;
    - ``tool_use``: True unless models.dev says it has no tool calls;
    - ``vision``: whether the model's input modalities include "image" (``attachment``
      only when the modalities are not given: models.dev also sets it for file inputs).

    For an unknown model (or no facts) that gives json_mode True, json_schema False,
    tool_use True, vision False.
    """
    if flag not in DRIVER_FLAGS:
        raise ValueError(f"unknown flag {flag!r}; expected one of {', '.join(DRIVER_FLAGS)}")
    model = _models(facts).get(model_id, {})
    if flag == "json_mode":
        return model.get("structured_output") is not False
    if flag == "json_schema":
        return model.get("structured_output") is True
    if flag == "tool_use":
        return model.get("tool_call") is not False
    return _accepts_images(model) is True


def provider_flag(facts: dict, flag: str) -> bool:
    """The default for one driver capability flag: whether any of the provider's models has it.

    In Prompture a driver class's ``supports_*`` flags describe the provider; the
    per-model check (``get_model_capabilities``, ``_validate_model_capabilities``)
    decides per call. So a provider with one vision model gets ``supports_vision``.
    Each model is judged by :func:`model_flag`'s rule; without facts or models the
    rule's unknown-model answer is the default.
    """
    models = _models(facts)
    if not models:
        return model_flag(facts, "", flag)
    return any(model_flag(facts, model_id, flag) for model_id in models)


def _provider(facts: Any) -> dict:
    provider = facts.get("provider") if isinstance(facts, dict) else None
    return provider if isinstance(provider, dict) else {}


def _models(facts: Any) -> dict:
    models = facts.get("models") if isinstance(facts, dict) else None
    return models if isinstance(models, dict) else {}


def _is_current(model: dict) -> bool:
    return _text(model.get("status")).lower() != "deprecated"


def _outputs_text(model: dict) -> bool:
    outputs = model.get("modalities", {}).get("output")
    return outputs is None or "text" in outputs


def _accepts_images(model: dict) -> bool | None:
    inputs = model.get("modalities", {}).get("input")
    if inputs is not None:
        return "image" in inputs
    return model.get("attachment")


# ── Prompture's rate file ───────────────────────────────────────────────────


def rate_file_text(
    facts: dict,
    default_model: str,
    price_input: float,
    price_output: float,
    api_style: str,
    provider: str = "",
) -> str:
    """The text of ``prompture/infra/rates/<provider>.json``.

    With facts: one entry per models.dev model (plus ``default_model`` if models.dev does
    not list it), capabilities only. No ``cost`` block: Prompture reads a rate file's cost
    before models.dev's, so a copied price would never follow models.dev again.

    Without facts (provider not on models.dev): one entry for ``default_model`` whose
    ``cost`` holds ``price_input`` / ``price_output`` in USD per 1M tokens, the shape of
    Prompture's rate files and ``pricing._coerce_rate_dict``.

    What models.dev does not say is written as ``null`` (Prompture's "unknown"), so
    Prompture keeps using models.dev for it. ``api_type`` is "openai-compatible" for that
    style, else ``provider`` (Prompture's convention: "anthropic", "google", ...), else
    the models.dev id, else "custom".
    """
    problem = facts_problem(facts)
    if problem:
        raise FactsError(problem)
    if api_style not in API_STYLES:
        raise ValueError(f"unknown api_style {api_style!r}; expected one of {', '.join(API_STYLES)}")
    api_type = _api_type(api_style, provider or _provider(facts).get("id", ""))
    models = _models(facts)
    entries = {model_id: _rate_entry(model, api_type) for model_id, model in sorted(models.items())}
    if default_model and default_model not in entries:
        entries[default_model] = _rate_entry({}, api_type)
        if not facts:
            entries[default_model]["modalities_input"] = ["text"]
            entries[default_model]["modalities_output"] = ["text"]
            entries[default_model]["cost"] = {"input": _given_price(price_input), "output": _given_price(price_output)}
    return _json_text(entries) + "\n"


def _api_type(api_style: str, provider: str) -> str:
    return "openai-compatible" if api_style == "openai_compatible" else provider or "custom"


def _rate_entry(model: dict, api_type: str) -> dict[str, Any]:
    limit, modalities = model.get("limit", {}), model.get("modalities", {})
    values = {
        "supports_temperature": model.get("temperature"),
        "supports_tool_use": model.get("tool_call"),
        "supports_structured_output": model.get("structured_output"),
        "supports_vision": "image" in modalities["input"] if "input" in modalities else None,
        "is_reasoning": model.get("reasoning"),
        "context_window": limit.get("context"),
        "max_output_tokens": limit.get("output"),
        # Prompture does tuple(entry.get(...)) on these: a list, never null.
        "modalities_input": list(modalities.get("input", [])),
        "modalities_output": list(modalities.get("output", [])),
        "api_type": api_type,
        "tokens_param": "max_tokens",
    }
    return {key: values[key] for key in RATE_ENTRY_KEYS}


def _given_price(price: Any) -> float:
    value = float(price)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{price!r} is not a usable price (USD per 1M tokens)")
    return value


def _json_text(value: Any, depth: int = 0) -> str:
    """JSON with 2-space indent and lists kept on one line, like Prompture's rate files."""
    if isinstance(value, dict) and value:
        inner = "  " * (depth + 1)
        items = [f"{inner}{json.dumps(key)}: {_json_text(item, depth + 1)}" for key, item in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + "  " * depth + "}"
    return json.dumps(value, allow_nan=False)
