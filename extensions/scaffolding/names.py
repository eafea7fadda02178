"""Names and rules the questionnaire, the wiring and the templates share, each stated once here.

copier.yml reaches these through Jinja globals (``jinja_globals.py``); tests/test_layering.py
fails when copier.yml restates one of them.
"""

from __future__ import annotations

API_STYLES = ("openai_compatible", "anthropic_compatible", "custom_sdk", "http")
AUTHS = ("api_key", "endpoint", "api_key_and_endpoint")


def has_api_key(auth: object) -> bool:
    """Whether the driver reads an API key: every auth but an endpoint alone."""
    return auth != "endpoint"


def class_prefix_for(provider: str) -> str:
    """The default class prefix: ``acme_ai`` -> ``AcmeAi`` (gives ``AcmeAiDriver``)."""
    return "".join(part.capitalize() for part in provider.split("_"))


def answers_file_for(provider: str) -> str:
    return f".copier-answers.{provider}.yml"


def example_path(provider: str) -> str:
    """Where the rendered example goes (every layout has ``examples/`` at its root)."""
    return f"examples/{provider}_example.py"


def tests_path(provider: str) -> str:
    """Where the rendered driver tests go (every layout has ``tests/`` at its root)."""
    return f"tests/test_{provider}_driver.py"
