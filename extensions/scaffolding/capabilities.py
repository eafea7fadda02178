"""Which capability flags a rendered driver can honour, and the rendered tests' file.

The rule the questionnaire enforces (``copier.yml`` validators on the ``supports_*``
questions, through :func:`capability_problem`):

* **API style.** :data:`STYLE_CAPABILITIES` lists what each style renders. Every
  style renders every capability today: the three share one request/response
  mapping (OpenAI chat-completions shaped; for ``http`` it is the two ADAPT
  functions, for ``custom_sdk`` the SDK calls marked ADAPT(sdk)), one streaming
  frame loop and one cost/meta path, and the rendered tests exercise each flag
  for each style. A style that cannot honour a flag is removed from that flag's
  set here, and the questionnaire then refuses ``yes`` for it.
* **Other flags.** :data:`REQUIRES`: ``supports_vision`` needs ``supports_messages``.
  Images reach a driver only as content blocks of chat messages; without its own
  ``generate_messages`` Prompture's base class flattens the messages into one
  prompt and replaces each image with the text "[image]".
* ``supports_json_schema`` needs ``supports_json_mode``: copier.yml does not ask it
  otherwise (``when``), so it needs no rule here.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

STYLES = ("openai_compatible", "custom_sdk", "http")
FLAGS = (
    "supports_messages",
    "supports_json_mode",
    "supports_json_schema",
    "supports_tool_use",
    "supports_streaming",
    "supports_vision",
)

#: API style -> the capability flags a driver of that style is rendered with.
STYLE_CAPABILITIES: Mapping[str, frozenset[str]] = {style: frozenset(FLAGS) for style in STYLES}

#: flag -> (the flag it needs, why).
REQUIRES: Mapping[str, tuple[str, str]] = {
    "supports_vision": (
        "supports_messages",
        "images reach a driver only inside chat messages, and without generate_messages Prompture "
        'flattens messages into one prompt where each image becomes the text "[image]"',
    ),
}


def capability_problem(value: object, flag: str, api_style: str, answers: Mapping[str, object] | None = None) -> str:
    """Why ``flag: yes`` cannot be rendered for ``api_style`` with these ``answers`` ("" when it can)."""
    if not value:
        return ""
    supported = STYLE_CAPABILITIES.get(api_style)
    if supported is not None and flag not in supported:
        return f"The {api_style} API style cannot render {flag}: answer no."
    needed = REQUIRES.get(flag)
    if needed is not None and answers is not None and not answers.get(needed[0]):
        other, why = needed
        return f"{flag} needs {other}: {why}. Answer yes to {other} or no here."
    return ""


def tests_path(provider: str) -> str:
    """Where the rendered driver tests go in the checkout (every layout has ``tests/`` at its root)."""
    return f"tests/test_{provider}_driver.py"


def tests_problem(with_tests: object, provider: str, checkout: Path | str) -> str:
    """The rendered tests must not overwrite a test file the checkout already has."""
    if not with_tests or not provider:
        return ""
    checkout = Path(checkout)
    if (checkout / f".copier-answers.{provider}.yml").is_file():
        return ""  # our own earlier render of this provider
    rel = tests_path(provider)
    if (checkout / rel).exists() or (checkout / rel).is_symlink():
        return f"{rel} already exists and the rendered tests would overwrite it: answer no, or pick another provider."
    return ""
