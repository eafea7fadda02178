"""The wiring run on the answers given so far, writing nothing: the questionnaire's last checks and
``copier copy --pretend``'s preview both use :func:`dry_run`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .edits import WiringError
from .layouts import Layout, detect_layout
from .names import has_api_key
from .transaction import Transaction
from .wiring import STEPS, Answers, StepResult
from .wiring.runner import stage

#: Answer keys the wiring reads (everything else in the answers does not change what it edits).
WIRING_KEYS = (
    "provider",
    "class_prefix",
    "display_name",
    "api_style",
    "auth",
    "api_key_env",
    "endpoint",
    "endpoint_env",
    "default_model",
    "sdk_package",
    "sdk_min_version",
    "lazy_import",
    "models_dev_provider",
    "models_dev_facts",
    "price_input",
    "price_output",
    "refresh_models_dev",
    "provider_env_fields",
    "canonical_name",
    "key_check_url",
    "key_check_auth",
    "brand",
    "brand_domain",
    "brand_color",
)


def wiring_answers(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The answers the wiring reads, as the answers file will hold them (None: not recorded)."""
    data = {key: answers.get(key) for key in WIRING_KEYS}
    # copier.yml's `when`: Copier still puts the defaults of skipped questions in the context,
    # the answers file omits them.
    if not has_api_key(data.get("auth")):
        data["api_key_env"] = None
    if data.get("api_style") != "custom_sdk":
        data.update(sdk_package=None, sdk_min_version=None, lazy_import=None)
    for price in ("price_input", "price_output"):  # not answered yet when the questionnaire dry-runs
        if data.get("models_dev_provider") or not isinstance(data.get(price), (int, float)):
            data[price] = None
    data["refresh_models_dev"] = data.get("refresh_models_dev") is True
    return data


class RefusedAnswers(WiringError):
    """The wiring refuses the answers themselves (the questions that own them say why)."""


@dataclass(frozen=True)
class DryRun:
    layout: Layout
    answers: Answers
    tx: Transaction  # the staged edits, checked, not written
    results: list[StepResult]


def wires_every_step(layout: Layout) -> bool:
    """Whether this version of the template can wire the layout (every one of its steps exists)."""
    return layout.wired and all(step in STEPS for step in layout.steps)


def dry_run(checkout: Path, answers: Mapping[str, Any]) -> DryRun:
    """Stage and check the wiring for ``answers`` (a render context or answers file) in ``checkout``.

    Raises ``LayoutError`` when the checkout is not one this template knows, and ``WiringError``
    when the answers are refused or an edit could not be made.
    """
    layout = detect_layout(checkout)
    data = wiring_answers(answers)
    try:
        parsed = Answers.from_mapping({key: value for key, value in data.items() if value is not None})
    except WiringError as error:
        raise RefusedAnswers(str(error)) from None
    tx, results = stage(checkout, layout, parsed)
    tx.check()
    return DryRun(layout, parsed, tx, results)
