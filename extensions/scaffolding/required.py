"""Answers that can have no default: the provider key, and what models.dev did not give.

A person at a terminal is asked for them with an empty input (copier.yml's defaults render
Copier's ``UNSET`` then, so no placeholder is offered). Under ``--defaults`` nothing is
asked, so the run is refused before anything is written, naming the ``--data`` keys to give.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .facts import default_endpoint
from .names import has_api_key

#: The questions in questionnaire order, with an example value for the ``--data`` hint.
EXAMPLES = {
    "provider": "acme",
    "endpoint": "https://api.acme.example/v1",
    "default_model": "acme-chat-1",
    "price_input": "0.5",
    "price_output": "1.5",
}


def _facts(answers: Mapping[str, Any]) -> dict:
    facts = answers.get("models_dev_facts")
    return facts if isinstance(facts, dict) else {}


def lacks_default(key: str, answers: Mapping[str, Any]) -> bool:
    """True when ``key`` is asked with the answers so far and models.dev gives it no value."""
    facts = _facts(answers)
    if key == "provider":
        return True
    if key == "endpoint":
        key_env = answers.get("api_key_env") if has_api_key(answers.get("auth")) else ""
        usable = default_endpoint(facts, answers.get("provider") or "", key_env or "")
        return not usable
    if key == "default_model":
        return not facts.get("models")
    if key in ("price_input", "price_output"):
        return not answers.get("models_dev_provider")
    raise ValueError(f"no rule for a missing default of {key!r}")


def missing_answer_message(key: str, answers: Mapping[str, Any], given: Mapping[str, Any], unreachable: str) -> str:
    """The one-line refusal of a ``--defaults`` run at ``key``, listing the answers still to give.

    ``given`` holds the ``--data`` answers (those need no hint); ``unreachable`` says why the
    models.dev catalogue could not be loaded ("" when it was).
    """
    provider_id = answers.get("models_dev_provider")
    if key == "provider":
        why, later = "it names the new provider", [key]
    else:
        keys = list(EXAMPLES)
        later = [k for k in keys[keys.index(key) :] if k == key or (k not in given and lacks_default(k, answers))]
        if not provider_id:
            why = unreachable or "models_dev_provider is empty, so models.dev gives nothing"
        elif key == "endpoint" and (api := _facts(answers).get("provider", {}).get("api", "")):
            why = f'models.dev\'s API URL for "{provider_id}" is not usable as an endpoint ({api})'
        elif key == "endpoint":
            why = f'models.dev gives no API URL for "{provider_id}"'
        else:
            why = f'models.dev lists no models for "{provider_id}"'
    fetch = (
        " To take them from models.dev instead, connect or set MODELS_DEV_URL to a reachable copy of its api.json."
        if unreachable and not provider_id and key != "provider"
        else ""
    )
    hint = " ".join(f"--data {k}={EXAMPLES[k]}" for k in later)
    return (
        f"{key} has no default: {why}. --defaults asks nothing, so give {hint} (your values), "
        f"or run without --defaults to be asked.{fetch} Nothing was written."
    )
