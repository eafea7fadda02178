"""Run the steps a layout lists, all-or-nothing, and the task's command line."""

from __future__ import annotations

import ast
import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path

from ..catalogue_facts import read_handoff
from ..edits import AnchorNotFound, UnpackedLiteral, WiringError
from ..layouts import Layout, LayoutError, detect_layout
from ..names import example_path, tests_path
from ..transaction import Transaction
from .answers import Answers, load_answers
from .catalogue import step_model_rates, step_rate_file
from .context import Context, StepResult, parse
from .dependencies import step_pyproject
from .discovery import step_discovery, step_list_models_kwargs
from .docs import step_claude_md, step_env
from .exports import step_drivers, step_package_exports
from .extras import step_brand, step_key_check, step_name_map, step_provider_env
from .provider_lists import step_driver_reference, step_issue_template, step_readme_providers
from .registry import (
    step_async_driver_map,
    step_async_registry,
    step_descriptors,
    step_driver_map,
    step_family_plugin,
    step_registry,
)
from .settings import step_settings

#: Step name (as listed in ``Layout.steps``) -> function.
STEPS: dict[str, Callable[[Context], StepResult]] = {
    "family_plugin": step_family_plugin,  # L4
    "descriptors": step_descriptors,  # L3
    "registry": step_registry,  # L1, L2
    "driver_map": step_driver_map,  # L2
    "async_registry": step_async_registry,  # L1, L2
    "async_driver_map": step_async_driver_map,  # L2
    "drivers": step_drivers,
    "package_exports": step_package_exports,  # L1
    "settings": step_settings,
    "provider_env": step_provider_env,  # L2, L3, L4, optional
    "name_map": step_name_map,  # L4, optional
    "key_check": step_key_check,  # L4, optional
    "brand": step_brand,  # L4, optional
    "discovery": step_discovery,  # L1, L2
    "list_models_kwargs": step_list_models_kwargs,  # L2
    "model_rates": step_model_rates,  # L1, L2
    "rate_file": step_rate_file,  # every layout (L1: none)
    "pyproject": step_pyproject,
    "env": step_env,
    "claude_md": step_claude_md,
    "readme": step_readme_providers,  # each of these three is skipped where the file or list is absent
    "issue_template": step_issue_template,
    "driver_reference": step_driver_reference,
}


# ── Running ───────────────────────────────────────────────────────────────────


def check_rendered(root: Path, layout: Layout, a: Answers) -> None:
    """The modules the wiring imports must exist and define the classes it imports from them."""
    expected = {
        "driver": f"{a.class_prefix}Driver",
        "async_driver": f"Async{a.class_prefix}Driver",
    }
    for kind, cls in expected.items():
        if kind not in layout.rendered:
            continue
        rel = layout.rendered_path(kind, a.provider)
        file = root / rel
        if not file.is_file():
            raise WiringError(
                f"{rel}: not found, but the wiring imports {cls} from it. Render it again (copier copy) and run again."
            )
        tree = parse(file.read_text(encoding="utf-8"), rel)
        if not any(isinstance(node, ast.ClassDef) and node.name == cls for node in tree.body):
            raise AnchorNotFound(rel, f"'class {cls}'", "Render the file again (copier copy) and run again.")


def wire(root: Path | str, answers: Answers) -> list[StepResult]:
    """Wire the rendered provider into the checkout at ``root``, all-or-nothing; one result per step."""
    root = Path(root)
    layout = detect_layout(root)
    missing = [step for step in layout.steps if step not in STEPS]
    if not layout.wired or missing:
        raise WiringError(
            f"{root} is a Prompture {layout.versions} checkout (layout {layout.label}), which this version of "
            "the template cannot wire."
        )
    if answers.prompture_layout and answers.prompture_layout != layout.name:
        raise WiringError(
            f"the driver was rendered for Prompture layout {answers.prompture_layout} (recorded in the answers "
            f"file), but {root} is now layout {layout.label}. Render it again for this checkout (e.g. "
            f"`copier update --trust --data prompture_layout={layout.name}`)."
        )
    check_rendered(root, layout, answers)
    tx, results = stage(root, layout, answers)
    tx.commit()
    return results


def stage(root: Path, layout: Layout, answers: Answers) -> tuple[Transaction, list[StepResult]]:
    """Run every step of the layout into a new transaction; nothing is written (the caller commits or not)."""
    tx = Transaction(root)
    return tx, [run_step(step, Context(root, layout, answers, tx)) for step in layout.steps]


def run_step(step: str, ctx: Context) -> StepResult:
    """Run one step; a dict it cannot add to is reported with the step's file."""
    try:
        return STEPS[step](ctx)
    except UnpackedLiteral:
        path = ctx.layout.files.get(step, "a file")
        raise WiringError(
            f"{path}: a dict literal with ** unpacking cannot take a new entry ({step} step): add the "
            "provider's entry by hand (or move the ** out of that dict), then run again."
        ) from None


def main(argv: list[str], root: Path | None = None) -> int:
    """``wire_checkout.py [--refresh-models-dev=true|false] [--models-dev-facts=FILE] <answers file>``, run in
    the checkout. Exit 0 when wired, 1 when nothing changed.

    The two options carry what the answers file never records: Copier's ``refresh_models_dev`` (the rate
    file is written again from models.dev), and the facts the questionnaire read (``catalogue_facts``'s
    handoff file, deleted once read), so the rate file is written from those without reading models.dev again.
    """
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
        sys.stderr.reconfigure(errors="backslashreplace")
    options = {name: value for name, _, value in (arg[2:].partition("=") for arg in argv if arg.startswith("--"))}
    files = [arg for arg in argv if not arg.startswith("--")]
    facts = read_handoff(options.pop("models-dev-facts", ""))
    refresh = options.pop("refresh-models-dev", "false").lower()
    if len(files) != 1 or options or refresh not in ("true", "false"):
        print(
            "usage: wire_checkout.py [--refresh-models-dev=true|false] [--models-dev-facts=FILE] <copier answers file>",
            file=sys.stderr,
        )
        return 2
    root = Path.cwd() if root is None else root
    try:
        answers = load_answers(root / files[0])
        answers = dataclasses.replace(answers, refresh_models_dev=refresh == "true", models_dev_facts=facts)
        layout = detect_layout(root)
        results = wire(root, answers)
    except (WiringError, LayoutError) as error:
        print(f"✗ wiring failed: {error}", file=sys.stderr)
        print("Nothing was changed.", file=sys.stderr)
        return 1
    print(f"Prompture layout: {layout.label}")
    for result in results:
        print(result.line())
    print(f"Rendered: {', '.join(rendered_files(root, layout, answers, files[0]))}")
    edited = list(dict.fromkeys(result.file for result in results if result.status == "changed"))
    print(f"Edited: {', '.join(edited)}" if edited else "Edited: nothing (every edit was already there)")
    return 0


def rendered_files(root: Path, layout: Layout, a: Answers, answers_file: str) -> list[str]:
    """The files Copier renders for this provider that exist in the checkout (the rate file is the wiring's)."""
    candidates = [
        *(layout.rendered_path(kind, a.provider) for kind in layout.rendered if kind != "rates"),
        example_path(a.provider),
        tests_path(a.provider),
        answers_file,
    ]
    return [rel for rel in candidates if (root / rel).is_file()]
