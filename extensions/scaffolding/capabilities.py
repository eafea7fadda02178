"""Which capability flags need another one, for the questionnaire (``copier.yml`` validators on the
``supports_*`` questions, through :func:`capability_problem`).

Every API style renders every capability: the three share one request/response mapping
(OpenAI chat-completions shaped; for ``http`` it is the two ADAPT functions, for ``custom_sdk``
the SDK calls marked ADAPT(sdk)), one streaming frame loop and one cost/meta path, and the
rendered tests exercise each flag for each style. So the only rule is :data:`REQUIRES`:

* ``supports_vision`` needs ``supports_messages``. Images reach a driver only as content blocks
  of chat messages; without its own ``generate_messages`` Prompture's base class flattens the
  messages into one prompt and replaces each image with the text "[image]".
* ``supports_json_schema`` needs ``supports_json_mode``: copier.yml does not ask it otherwise
  (``when``), so it needs no rule here.
"""

from __future__ import annotations

from collections.abc import Mapping

FLAGS = (
    "supports_messages",
    "supports_json_mode",
    "supports_json_schema",
    "supports_tool_use",
    "supports_streaming",
    "supports_vision",
)

#: flag -> (the flag it needs, why).
REQUIRES: Mapping[str, tuple[str, str]] = {
    "supports_vision": (
        "supports_messages",
        "images reach a driver only inside chat messages, and without generate_messages Prompture "
        'flattens messages into one prompt where each image becomes the text "[image]"',
    ),
}


def capability_problem(value: object, flag: str, answers: Mapping[str, object] | None = None) -> str:
    """Why ``flag: yes`` cannot be rendered with these ``answers`` ("" when it can)."""
    needed = REQUIRES.get(flag)
    if not value or needed is None or answers is None:
        return ""
    other, why = needed
    if answers.get(other):
        return ""
    return f"{flag} needs {other}: {why}. Answer yes to {other} or no here."
