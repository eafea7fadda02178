"""Run the steps a layout lists, all-or-nothing, and the task's command line."""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from pathlib import Path

from ..edits import AnchorNotFound, WiringError
from ..layouts import Layout, LayoutError, detect_layout
from ..transaction import Transaction
from .answers import Answers, load_answers
from .context import Context, StepResult, parse
from .dependencies import step_pyproject
from .docs import step_claude_md, step_env
from .exports import step_drivers
from .registry import step_plugins
from .settings import step_settings

STEPS: dict[str, Callable[[Context], StepResult]] = {
    "plugins": step_plugins,
    "drivers": step_drivers,
    "settings": step_settings,
    "pyproject": step_pyproject,
    "env": step_env,
    "claude_md": step_claude_md,
}


# ── Running ───────────────────────────────────────────────────────────────────


def check_rendered(root: Path, layout: Layout, a: Answers) -> None:
    """The modules the wiring imports must exist and define the classes it imports from them."""
    expected = {
        "driver": f"{a.class_prefix}Driver",
        "async_driver": f"Async{a.class_prefix}Driver",
        "plugin": f"{a.class_prefix}Plugin",
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
            f"{root} is a Prompture {layout.versions} checkout (layout {layout.name} '{layout.title}'); this "
            "template can only wire layout L4 (Prompture 1.1.1 and later) so far. Nothing was changed."
        )
    check_rendered(root, layout, answers)
    tx = Transaction(root)
    results = [STEPS[step](Context(root, layout, answers, tx)) for step in layout.steps]
    tx.commit()
    return results


def main(argv: list[str], root: Path | None = None) -> int:
    """``wire_checkout.py <answers file>``, run in the checkout. Exit 0 when wired, 1 when nothing changed."""
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="backslashreplace")
        sys.stderr.reconfigure(errors="backslashreplace")
    if len(argv) != 1:
        print("usage: wire_checkout.py <copier answers file>", file=sys.stderr)
        return 2
    root = Path.cwd() if root is None else root
    try:
        results = wire(root, load_answers(root / argv[0]))
    except (WiringError, LayoutError) as error:
        print(f"✗ wiring failed: {error}", file=sys.stderr)
        print("Nothing was changed.", file=sys.stderr)
        return 1
    for result in results:
        print(result.line())
    return 0
